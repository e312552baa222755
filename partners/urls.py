from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api, portal
from .views import directory, imports, partner, people

urlpatterns = [
    path("partners/", directory.partner_list, name="partner_list"),
    path("partners/export.csv", directory.partner_export, name="partner_export"),
    path("partners/new/", partner.partner_create, name="partner_create"),
    path("partners/<int:partner_id>/", partner.partner_detail, name="partner_detail"),
    path("partners/<int:partner_id>/edit/", partner.partner_edit, name="partner_edit"),
    path("partners/<int:partner_id>/status/", partner.partner_status, name="partner_status"),
    path(
        "partners/<int:partner_id>/archive/",
        partner.partner_set_archived,
        {"archived": True},
        name="partner_archive",
    ),
    path(
        "partners/<int:partner_id>/restore/",
        partner.partner_set_archived,
        {"archived": False},
        name="partner_restore",
    ),
    path("partners/<int:partner_id>/notes/", partner.partner_add_note, name="partner_add_note"),
    path("partners/<int:partner_id>/logo/", partner.partner_logo, name="partner_logo"),
    path("partners/<int:partner_id>/contacts/new/", people.contact_create, name="contact_create"),
    path("contacts/<int:contact_id>/edit/", people.contact_edit, name="contact_edit"),
    path(
        "contacts/<int:contact_id>/archive/",
        people.contact_set_archived,
        {"archived": True},
        name="contact_archive",
    ),
    path(
        "contacts/<int:contact_id>/restore/",
        people.contact_set_archived,
        {"archived": False},
        name="contact_restore",
    ),
    path(
        "partners/<int:partner_id>/certifications/new/",
        people.certification_create,
        name="certification_create",
    ),
    path("certifications/<int:certification_id>/edit/", people.certification_edit, name="certification_edit"),
    path(
        "certifications/<int:certification_id>/archive/",
        people.certification_archive,
        name="certification_archive",
    ),
    path("partners/import/", imports.partner_import, name="partner_import"),
    path("partners/import/<int:import_job_id>/", imports.partner_import_detail, name="partner_import_detail"),
    path(
        "partners/import/<int:import_job_id>/apply/",
        imports.partner_import_apply,
        name="partner_import_apply",
    ),
    path(
        "partners/import/templates/<str:kind>.csv",
        imports.partner_import_template,
        name="partner_import_template",
    ),
]

portal_urlpatterns = [
    path("", portal.portal_home, name="home"),
    path("profile/edit/", portal.portal_profile_edit, name="profile_edit"),
    path("contacts/new/", portal.portal_contact_create, name="contact_create"),
    path("contacts/<int:contact_id>/edit/", portal.portal_contact_edit, name="contact_edit"),
    path("contacts/<int:contact_id>/archive/", portal.portal_contact_archive, name="contact_archive"),
    path("certifications/new/", portal.portal_certification_create, name="certification_create"),
    path(
        "certifications/<int:certification_id>/edit/",
        portal.portal_certification_edit,
        name="certification_edit",
    ),
]

router = SimpleRouter()
router.register("partners", api.PartnerViewSet, basename="partner")
router.register("contacts", api.ContactViewSet, basename="contact")
router.register("certifications", api.CertificationViewSet, basename="certification")
api_urlpatterns = router.urls
