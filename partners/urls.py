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
router.register("contacts", api.ContactViewSet, basename="contact")
router.register("certifications", api.CertificationViewSet, basename="certification")
api_urlpatterns = router.urls
