from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api, portal
from .views import directory

urlpatterns = [
    path("partners/", directory.partner_list, name="partner_list"),
]

portal_urlpatterns = [
    path("", portal.portal_home, name="home"),
]

router = SimpleRouter()
router.register("partners", api.PartnerViewSet, basename="partner")
api_urlpatterns = router.urls
