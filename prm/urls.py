"""Project URLs. Tenant pages live under /t/<slug>/, the API under /api/v1/t/<slug>/.

Each app's ``urls.py`` offers three lists (staff pages, portal pages, API routes); this module
mounts them under the tenant prefixes, where the tenant middleware guards every one.
"""

from importlib import import_module

from django.conf import settings
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import api, closing_api, closing_views, errors, views

core_router = SimpleRouter()
core_router.register("members", api.MembershipViewSet, basename="member")
core_router.register("invitations", api.InvitationViewSet, basename="invitation")
core_router.register("audit-events", api.AuditEventViewSet, basename="audit-event")
core_router.register("fiscal-quarters", closing_api.FiscalQuarterViewSet, basename="fiscal-quarter")

core_pages = [
    path("", views.tenant_home, name="tenant_home"),
    path("members/", views.members, name="members"),
    path("members/<int:member_id>/", views.member_edit, name="member_edit"),
    path(
        "members/<int:member_id>/deactivate/",
        views.member_set_active,
        {"active": False},
        name="member_deactivate",
    ),
    path(
        "members/<int:member_id>/reactivate/",
        views.member_set_active,
        {"active": True},
        name="member_reactivate",
    ),
    path("invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("settings/api-keys/", views.api_keys, name="api_keys"),
    path("settings/api-keys/<int:api_key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("audit/", views.audit_log, name="audit_log"),
    path("settings/fiscal-quarters/", closing_views.fiscal_quarters, name="fiscal_quarters"),
    path("settings/fiscal-quarters/close/", closing_views.fiscal_quarter_close, name="fiscal_quarter_close"),
    path(
        "settings/fiscal-quarters/reopen/", closing_views.fiscal_quarter_reopen, name="fiscal_quarter_reopen"
    ),
    path("settings/fiscal-quarters/late-entries/", closing_views.late_entries, name="late_entries"),
]
core_portal = [path("team/", views.portal_team, name="team")]
core_api = [path("me/", api.MeView.as_view(), name="api-me"), *core_router.urls]

app_urls = [import_module(f"{app}.urls") for app in settings.PRM_APPS]
tenant_pages = core_pages + [p for m in app_urls for p in m.urlpatterns]
portal_pages = core_portal + [p for m in app_urls for p in m.portal_urlpatterns]
api_routes = [
    *core_api,
    *(p for m in app_urls for p in m.api_urlpatterns),
    # Last: any other path (ending in a slash, so APPEND_SLASH still redirects) is the API's 404.
    re_path(r"^.*/$", errors.api_not_found),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("tenants/", views.tenant_picker, name="tenant_picker"),
    path("accounts/", include("allauth.urls")),
    path("invitations/<slug:tenant_slug>/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("healthz", views.healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, so the docs page keeps the CSP too.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/t/<slug:tenant_slug>/", include((api_routes, "api"))),
    path("t/<slug:tenant_slug>/portal/", include((portal_pages, "portal"))),
    path("t/<slug:tenant_slug>/", include(tenant_pages)),
]

handler400 = "prm.errors.bad_request"
handler403 = "prm.errors.permission_denied"
handler404 = "prm.errors.page_not_found"
handler500 = "prm.errors.server_error"
