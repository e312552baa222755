"""Exports: CSV of every dashboard table, and PDFs of the dashboard and of a partner's QBR.

PDFs are rendered by WeasyPrint from the same templates and SVG charts as the pages, in a
Celery task; the page shows the export's state until the file is ready.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from prm import actors, audit
from prm.access import TenantAccess
from prm.csvfile import csv_text as safe_csv_text
from prm.periods import FiscalPeriod
from prm.permissions import Perm

from . import presenters, queries
from .models import ReportExport

Kind = ReportExport.Kind
Status = ReportExport.Status


# --- CSV -------------------------------------------------------------------------------------------


def csv_text(header: list[str], rows: Iterable[list[Any]]) -> str:
    """A report table as CSV text, through the product's one safe writer."""
    return safe_csv_text(header, rows)


# --- PDF ------------------------------------------------------------------------------------------


@transaction.atomic
def export_request(
    *, access: TenantAccess, kind: str, period: FiscalPeriod, partner_id: int | None = None
) -> ReportExport:
    """Queue a PDF of the dashboard (staff with VIEW_REPORTS) or of one partner's QBR (staff, or
    the partner's own members for their own partner). Rendering starts after commit."""
    if kind == Kind.DASHBOARD:
        if not access.can(Perm.VIEW_REPORTS):
            raise PermissionDenied
        partner_id = None
    elif access.is_partner:
        if partner_id != access.require_partner():
            raise PermissionDenied
    elif not access.can(Perm.VIEW_REPORTS):
        raise PermissionDenied
    export = ReportExport(
        kind=kind, period=period.label, partner_id=partner_id, **actors.by(access, "requested_by")
    )
    export.full_clean(exclude=["content"])
    export.save()
    audit.record(
        access=access,
        verb="report.export_requested",
        target=export,
        after={"kind": kind, "period": period.label},
        partner_id=partner_id,
    )
    tenant_id, export_id = access.tenant.pk, export.pk
    from .tasks import render_export  # the task calls back into this module: import when queuing

    transaction.on_commit(lambda: render_export.delay(tenant_id=tenant_id, export_id=export_id))
    return export


def export_render(*, export_id: int) -> str:
    """Render a queued export (idempotent: a finished export is left as it is)."""
    from weasyprint import HTML  # loads Pango and fonts: only the worker that renders pays for it

    export = ReportExport.objects.select_related("partner", "tenant").get(pk=export_id)
    if export.status == Status.DONE:
        return export.status
    ReportExport.objects.filter(pk=export.pk).update(status=Status.RUNNING)
    tenant = export.tenant
    # The request was authorised when it was queued; the worker reads with the program's read-only view.
    reader = TenantAccess.program_reader(tenant)
    try:
        period = queries.period_from(reader, export.period)
        if export.kind == Kind.DASHBOARD:
            context = presenters.dashboard_page(reader, period)
            template = "reporting/pdf/dashboard.html"
        else:
            assert export.partner is not None
            context = presenters.qbr_context(tenant, queries.qbr(reader, export.partner, period))
            template = "reporting/pdf/qbr.html"
        html = render_to_string(template, {**context, "tenant": tenant, "generated_at": timezone.now()})
        pdf = HTML(string=html).write_pdf()
    except Exception as error:  # any failure is shown on the page, then re-raised for the log
        ReportExport.objects.filter(pk=export.pk).update(
            status=Status.FAILED, error=str(error)[:500], finished_at=timezone.now()
        )
        raise
    ReportExport.objects.filter(pk=export.pk).update(
        status=Status.DONE, content=pdf, finished_at=timezone.now()
    )
    return Status.DONE
