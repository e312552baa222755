from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api, portal
from .views import directory, imports

urlpatterns = [
    path("partners/", directory.partner_list, name="partner_list"),
    path("partners/import/", imports.partner_import, name="partner_import"),
    path("partners/import/<int:import_job_id>/", imports.partner_import_detail, name="partner_import_detail"),
    path("partners/import/<int:import_job_id>/apply/", imports.partner_import_apply, name="partner_import_apply"),
    path("partners/import/templates/<str:kind>.csv", imports.partner_import_template, name="partner_import_template"),
]

portal_urlpatterns = [
    path("", portal.portal_home, name="home"),
]

router = SimpleRouter()
router.register("partners", api.PartnerViewSet, basename="partner")
router.register("contacts", api.ContactViewSet, basename="contact")
router.register("certifications", api.CertificationViewSet, basename="certification")
api_urlpatterns = router.urls
