from django.urls import path

from . import portal, views

urlpatterns = [
    path("reports/", views.dashboard, name="reporting_dashboard"),
    path("reports/figure/", views.figure, name="reporting_figure"),
    path("reports/export.csv", views.dashboard_csv, name="reporting_dashboard_csv"),
    path("reports/pdf/", views.dashboard_pdf, name="reporting_dashboard_pdf"),
    path("reports/exports/<int:export_id>/", views.export_download, name="reporting_export_download"),
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
    path("qbr/exports/<int:export_id>/", portal.portal_export_download, name="qbr_export_download"),
]
api_urlpatterns: list = []
