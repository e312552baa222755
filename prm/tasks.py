"""Core background jobs. Thin adapters: ids in, a service call, a JSON-safe result out."""

from __future__ import annotations

from celery import current_app, shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from .models import Invitation, Tenant
from .tenancy import require_current_tenant


@shared_task(cross_tenant=True)
def fan_out(task_name: str) -> int:
    """Queue ``task_name`` once for every active tenant (what beat schedules call)."""
    task = current_app.tasks[task_name]
    tenant_ids = list(Tenant.objects.filter(is_active=True).values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        task.delay(tenant_id=tenant_id)
    return len(tenant_ids)


@shared_task(time_limit=120)
def expire_invitations(*, tenant_id: int) -> int:
    """Mark this tenant's stale invitations expired; returns how many."""
    from .services import invitation_expire_stale  # the services queue this module's tasks

    return invitation_expire_stale(tenant=require_current_tenant())


@shared_task(time_limit=60)
def send_invitation_email(*, tenant_id: int, invitation_id: int, token: str) -> str:
    """E-mail the invitation link. Returns the address it went to."""
    tenant = require_current_tenant()
    invitation = Invitation.objects.select_related("partner", "invited_by", "invited_by_key").get(
        pk=invitation_id
    )
    path = reverse("invitation_accept", kwargs={"tenant_slug": tenant.slug, "token": token})
    context = {
        "tenant": tenant,
        "invitation": invitation,
        "url": settings.PRM_BASE_URL.rstrip("/") + path,
    }
    send_mail(
        subject=f"[PRM] You are invited to {tenant.name}'s partner program",
        message=render_to_string("prm/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )
    address: str = invitation.email
    return address
