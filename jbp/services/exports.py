"""PDF exports of a plan: queued by either side, rendered by a Celery task."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from prm.access import TenantAccess, require
from prm.permissions import Perm

from ..models import Plan, PlanExport
from ._common import _audit, _clean_save, _own_plan

# --- PDF export ----------------------------------------------------------------------------------


@transaction.atomic
def export_request(*, access: TenantAccess, plan: Plan) -> PlanExport:
    """Queue a PDF of the plan (rendered by a Celery task after commit). Both sides may export."""
    if access.is_partner:
        require(access, Perm.USE_PORTAL)
        _own_plan(access, plan)
    else:
        require(access, Perm.VIEW_PROGRAM)
    export = PlanExport(plan=plan, requested_by=access.user, requested_by_label=access.actor_label)
    _clean_save(export)
    _audit(access, "plan.export_requested", plan, target=export)
    from ..tasks import render_plan_pdf  # the task calls back into this module

    tenant_id, export_id = plan.tenant_id, export.pk
    transaction.on_commit(lambda: render_plan_pdf.delay(tenant_id=tenant_id, export_id=export_id))
    return export


def export_render(*, export: PlanExport) -> PlanExport:
    """Render the export's PDF into media storage; a failure is recorded with its reason."""
    from ..pdf import render_plan  # looked up when rendering, so a test can stand in a renderer

    PlanExport.objects.filter(pk=export.pk).update(
        status=PlanExport.Status.RUNNING, started_at=timezone.now()
    )
    try:
        pdf, pages = render_plan(export.plan)
    except Exception as error:  # any render failure is shown to the user, with its reason
        PlanExport.objects.filter(pk=export.pk).update(
            status=PlanExport.Status.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            finished_at=timezone.now(),
        )
        export.refresh_from_db()
        return export
    plan = export.plan
    name = f"{plan.partner.name}-FY{plan.fiscal_year}-v{plan.version or 0}.pdf".replace(" ", "-")
    export.file.save(name, ContentFile(pdf), save=False)
    export.status = PlanExport.Status.DONE
    export.pages = pages
    export.finished_at = timezone.now()
    export.error = ""
    export.save(update_fields=["file", "status", "pages", "finished_at", "error", "updated_at"])
    return export
