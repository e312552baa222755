from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api, portal, views

urlpatterns = [
    path("reports/", views.dashboard, name="reporting_dashboard"),
    path("reports/figure/", views.figure, name="reporting_figure"),
    path("reports/export.csv", views.dashboard_csv, name="reporting_dashboard_csv"),
    path("reports/pdf/", views.dashboard_pdf, name="reporting_dashboard_pdf"),
    path("reports/exports/<int:report_export_id>/", views.export_download, name="reporting_export_download"),
    path("reports/partners/<int:partner_id>/qbr/", views.partner_qbr, name="reporting_partner_qbr"),
    path(
        "reports/partners/<int:partner_id>/qbr/export.csv",
        views.partner_qbr_csv,
        name="reporting_partner_qbr_csv",
    ),
    path(
        "reports/partners/<int:partner_id>/qbr/pdf/", views.partner_qbr_pdf, name="reporting_partner_qbr_pdf"
    ),
]
portal_urlpatterns = [
    path("qbr/", portal.portal_qbr, name="qbr"),
    path("qbr/export.csv", portal.portal_qbr_csv, name="qbr_csv"),
    path("qbr/pdf/", portal.portal_qbr_pdf, name="qbr_pdf"),
    path("qbr/exports/<int:report_export_id>/", portal.portal_export_download, name="qbr_export_download"),
]
api_router = SimpleRouter()
api_router.register("reporting/partner-qbrs", api.PartnerQbrViewSet, basename="partner-qbr")
api_router.register("reporting/exports", api.ReportExportViewSet, basename="report-export")
api_urlpatterns = [
    path("reporting/dashboard/", api.DashboardView.as_view(), name="reporting-dashboard"),
    path("reporting/figure-rows/", api.FigureRowsView.as_view(), name="reporting-figure-rows"),
    *api_router.urls,
]
