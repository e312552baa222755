from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api, portal, revenue_views, views

urlpatterns = [
    path("deals/", views.registration_queue, name="registration_queue"),
    path(
        "deals/partner-suggestions/",
        views.registration_partner_suggestions,
        name="registration_partner_suggestions",
    ),
    path("deals/bulk/", views.registration_bulk, name="registration_bulk"),
    path("deals/new/", views.registration_create, name="registration_create"),
    path("deals/<int:registration_id>/", views.registration_detail, name="registration_detail"),
    path("deals/<int:registration_id>/approve/", views.registration_approve, name="registration_approve"),
    path("deals/<int:registration_id>/reject/", views.registration_reject, name="registration_reject"),
    path("deals/<int:registration_id>/close/", views.registration_close, name="registration_close"),
    path("deals/<int:registration_id>/extend/", views.registration_extend, name="registration_extend"),
    path(
        "deals/<int:registration_id>/sales-rep/",
        views.registration_assign_rep,
        name="registration_assign_rep",
    ),
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<int:account_id>/", views.account_detail, name="account_detail"),
    path("accounts/<int:account_id>/merge/", views.account_merge, name="account_merge"),
    path("revenue/", revenue_views.revenue_list, name="revenue_list"),
    path("revenue/import/", revenue_views.revenue_import_upload, name="revenue_import_upload"),
    path(
        "revenue/import/template.csv", revenue_views.revenue_import_template, name="revenue_import_template"
    ),
    path(
        "revenue/import/<int:revenue_import_id>/",
        revenue_views.revenue_import_detail,
        name="revenue_import_detail",
    ),
    path(
        "revenue/import/<int:revenue_import_id>/apply/",
        revenue_views.revenue_import_apply,
        name="revenue_import_apply",
    ),
]
portal_urlpatterns = [
    path("deals/", portal.portal_registration_list, name="registration_list"),
    path("deals/new/", portal.portal_registration_create, name="registration_create"),
    path("deals/precheck/", portal.portal_registration_precheck, name="registration_precheck"),
    path("deals/<int:registration_id>/", portal.portal_registration_detail, name="registration_detail"),
    path(
        "deals/<int:registration_id>/extension/",
        portal.portal_registration_request_extension,
        name="registration_request_extension",
    ),
]
api_router = SimpleRouter()
api_router.register("registrations", api.RegistrationViewSet, basename="registration")
api_router.register("accounts", api.AccountViewSet, basename="account")
api_router.register("vendor-opportunities", api.VendorOpportunityViewSet, basename="vendor-opportunity")
api_router.register("revenue-records", api.RevenueRecordViewSet, basename="revenue-record")
api_router.register("metrics", api.MetricsViewSet, basename="metric")
api_urlpatterns = api_router.urls
