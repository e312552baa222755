"""Background jobs of joint business plans: thin adapters from ids to services and e-mail."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from prm.tenancy import require_current_tenant

from .models import PlanExport
from .services import export_render, reminders_due, reminders_mark_sent


@shared_task(time_limit=120, soft_time_limit=100)
def render_plan_pdf(*, tenant_id: int, export_id: int) -> str:
    """Render a queued PDF export of a plan; returns its final status (idempotent once done)."""
    export = PlanExport.objects.select_related("plan", "plan__partner").get(pk=export_id)
    if export.status == PlanExport.Status.DONE:
        return export.status
    return export_render(export=export).status


@shared_task(time_limit=300)
def send_review_reminders(*, tenant_id: int) -> int:
    """Daily: e-mail owners about reviews due within a week and overdue action items (each once)."""
    tenant = require_current_tenant()
    today = timezone.localdate()
    reminders, plan_ids, item_ids = reminders_due(tenant=tenant, today=today)
    base = settings.PRM_BASE_URL.rstrip("/")
    for reminder in reminders:
        send_mail(
            subject=reminder.subject,
            message="\n\n".join(
                [*reminder.lines, f"Open it: {base}{reminder.path}", f"— {tenant.name} partner program"]
            ),
            from_email=None,
            recipient_list=reminder.to,
        )
    reminders_mark_sent(plan_ids=plan_ids, item_ids=item_ids, today=today)
    return len(reminders)
