# Routes arrive with this app's capability; the project URL conf already includes these lists.
urlpatterns: list = []
portal_urlpatterns: list = []
api_urlpatterns: list = []
