# Routes arrive with this app's capability; the project URL conf already includes these lists.
from rest_framework.routers import SimpleRouter

from . import api

urlpatterns: list = []
portal_urlpatterns: list = []

api_router = SimpleRouter()
api_router.register("registrations", api.RegistrationViewSet, basename="registration")
api_router.register("accounts", api.AccountViewSet, basename="account")
api_router.register("vendor-opportunities", api.VendorOpportunityViewSet, basename="vendor-opportunity")
api_router.register("revenue-records", api.RevenueRecordViewSet, basename="revenue-record")
api_router.register("metrics", api.MetricsViewSet, basename="metric")
api_urlpatterns = api_router.urls
