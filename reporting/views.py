"""Staff pages of reporting: the executive dashboard, the rows behind a figure, a partner's QBR,
their CSV and PDF exports. Read-only but for queuing a PDF."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from partners import queries as partner_queries
from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import paginate, require_perm

from . import exports, presenters, queries
from .models import ReportExport
from .pages import csv_response, download_response, exports_part, pending, qbr_csv, qbr_page


@require_perm(Perm.VIEW_REPORTS)
def dashboard(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    recent = queries.recent_exports(request.access, kind=ReportExport.Kind.DASHBOARD)
    if request.GET.get("part") == "exports":
        return exports_part(request, recent)
    period = queries.period_from(request.access, request.GET.get("period"))
    context = {**presenters.dashboard_page(request.access, period, fresh=request.GET.get("fresh") == "1")}
    context.update(
        period=period,
        period_forms=queries.period_choices(request.access, period),
        period_kind=queries.period_kind(period),
        recent_exports=recent,
        pending=pending(recent),
    )
    return render(request, "reporting/dashboard.html", context)


@require_perm(Perm.VIEW_REPORTS)
def figure(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """The rows behind one figure: the partners of its group with the metric's parts."""
    metric = queries.metric_or_404(request.GET.get("metric"))
    period = queries.period_from(request.access, request.GET.get("period"))
    drill = queries.drill(request.access, metric, period, request.GET.get("group"))
    if request.GET.get("format") == "csv":
        header = ["Partner", "Tier", "Classification", *drill.part_names, metric.label]
        rows = [[r.partner, r.tier, r.classification, *r.parts, r.value] for r in drill.rows]
        return csv_response(f"{metric.key}-{period.label}.csv", header, rows)
    page = paginate(request, drill.rows, per_page=50)
    return render(request, "reporting/figure.html", {"drill": drill, "page": page, "metric": metric})


@require_perm(Perm.VIEW_REPORTS)
def dashboard_csv(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    period = queries.period_from(request.access, request.GET.get("period"))
    # The very tables the page shows (the same cache entry), so the CSV equals the table.
    tables = presenters.dashboard_page(request.access, period)["tables"]
    table = tables.get(request.GET.get("table", "headline"))
    if table is None:
        raise Http404("No such table")
    header, rows = table.csv()
    return csv_response(f"dashboard-{table.name}-{period.label}.csv", header, rows)


@require_POST
@require_perm(Perm.VIEW_REPORTS)
def dashboard_pdf(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    period = queries.period_from(request.access, request.POST.get("period"))
    exports.export_request(access=request.access, kind=ReportExport.Kind.DASHBOARD, period=period)
    messages.success(
        request, f"The dashboard PDF for {period.label} is being prepared; it appears below when ready."
    )
    return redirect(
        reverse("reporting_dashboard", kwargs={"tenant_slug": tenant_slug})
        + f"?period={period.label}#exports"
    )


@require_perm(Perm.VIEW_REPORTS)
def export_download(request: TenantRequest, tenant_slug: str, report_export_id: int) -> HttpResponse:
    return download_response(queries.access_export(request.access, report_export_id))


@require_perm(Perm.VIEW_REPORTS)
def partner_qbr(request: TenantRequest, tenant_slug: str, partner_id: int) -> HttpResponse:
    partner = partner_queries.access_partner(request.access, partner_id)
    return qbr_page(request, partner, portal=False)


@require_perm(Perm.VIEW_REPORTS)
def partner_qbr_csv(request: TenantRequest, tenant_slug: str, partner_id: int) -> HttpResponse:
    partner = partner_queries.access_partner(request.access, partner_id)
    return qbr_csv(request, partner)


@require_POST
@require_perm(Perm.VIEW_REPORTS)
def partner_qbr_pdf(request: TenantRequest, tenant_slug: str, partner_id: int) -> HttpResponse:
    partner = partner_queries.access_partner(request.access, partner_id)
    period = queries.period_from(request.access, request.POST.get("period"))
    exports.export_request(
        access=request.access, kind=ReportExport.Kind.QBR, period=period, partner_id=partner.pk
    )
    messages.success(
        request, f"The QBR pack for {period.label} is being prepared; it appears below when ready."
    )
    url = reverse("reporting_partner_qbr", kwargs={"tenant_slug": tenant_slug, "partner_id": partner.pk})
    return redirect(f"{url}?period={period.label}#exports")
