"""Page builders that the staff pages and the partner portal share: a partner's QBR (page and
CSV), the list of recent exports, an export's download, a CSV response."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render

from partners.models import Partner
from prm.access import TenantRequest

from . import exports, presenters, queries
from .models import ReportExport


def csv_response(filename: str, header: list[str], rows: list[list[Any]]) -> HttpResponse:
    response = HttpResponse(exports.csv_text(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def exports_part(request: TenantRequest, recent: list[ReportExport], *, portal: bool = False) -> HttpResponse:
    """The list of recent exports alone (htmx polls it while one is being rendered)."""
    return render(
        request,
        "reporting/_exports.html",
        {"recent_exports": recent, "pending": pending(recent), "portal": portal},
    )


def pending(recent: list[ReportExport]) -> bool:
    return any(e.status in {ReportExport.Status.QUEUED, ReportExport.Status.RUNNING} for e in recent)


def download_response(export: ReportExport) -> HttpResponse:
    """A finished export's PDF as a download; 404 while it is not ready."""
    if export.status != ReportExport.Status.DONE or export.content is None:
        raise Http404("This export is not ready")
    response = HttpResponse(bytes(export.content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


def qbr_page(request: TenantRequest, partner: Partner, *, portal: bool) -> HttpResponse:
    """A partner's QBR page, for staff and (with ``portal``) for the partner's own people."""
    recent = queries.recent_exports(request.access, kind=ReportExport.Kind.QBR, partner_id=partner.pk)
    if request.GET.get("part") == "exports":
        return exports_part(request, recent, portal=portal)
    period = queries.period_from(request.access, request.GET.get("period"))
    context = presenters.qbr_context(request.access.tenant, queries.qbr(request.access, partner, period))
    context.update(
        period=period,
        period_forms=queries.period_choices(request.access, period),
        period_kind=queries.period_kind(period),
        recent_exports=recent,
        pending=pending(recent),
        portal=portal,
    )
    return render(request, "reporting/qbr.html", context)


def qbr_csv(request: TenantRequest, partner: Partner) -> HttpResponse:
    """One table of a partner's QBR as CSV, cell for cell as the page shows it."""
    period = queries.period_from(request.access, request.GET.get("period"))
    tables = presenters.qbr_tables(queries.qbr(request.access, partner, period))
    table = tables.get(request.GET.get("table", "metrics"))
    if table is None:
        raise Http404("No such table")
    header, rows = table.csv()
    return csv_response(f"qbr-{partner.pk}-{table.name}-{period.label}.csv", header, rows)
