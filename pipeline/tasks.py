"""Background jobs of the registration desk: thin adapters from ids to services and e-mail."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from partners.models import Partner
from prm.models import Membership
from prm.permissions import Role
from prm.tenancy import require_current_tenant

from .models import DealRegistration

EVENT_SUBJECTS = {
    "submitted": "received",
    "approved": "approved",
    "rejected": "rejected",
    "won": "marked won",
    "lost": "marked lost",
    "expired": "expired",
    "extended": "protection extended",
    "sales_rep_assigned": "a sales rep was assigned",
}


@shared_task(time_limit=300)
def expire_registrations(*, tenant_id: int) -> int:
    """Hourly: approved registrations past their protection period become expired."""
    from .services import registrations_expire  # the services queue this module's e-mails: import when run

    return registrations_expire(tenant=require_current_tenant())


@shared_task(time_limit=300)
def escalate_overdue_registrations(*, tenant_id: int) -> int:
    """Hourly: registrations waiting past the decision SLA are escalated, once each."""
    from .services import registrations_escalate_overdue  # as above: services import this module

    return registrations_escalate_overdue(tenant=require_current_tenant())


def _absolute(path: str) -> str:
    return settings.PRM_BASE_URL.rstrip("/") + path


@shared_task(time_limit=60)
def send_registration_email(*, tenant_id: int, registration_id: int, event: str) -> list[str]:
    """Tell the partner what happened to its registration, with a link to it in the portal."""
    tenant = require_current_tenant()
    registration = DealRegistration.objects.select_related(
        "account", "partner", "submitted_by", "submitted_by_key"
    ).get(pk=registration_id)
    recipients = set(
        Membership.objects.filter(
            tenant=tenant, partner_id=registration.partner_id, is_active=True, role=Role.PARTNER_ADMIN
        ).values_list("user__email", flat=True)
    )
    if registration.submitted_by is not None:
        recipients.add(registration.submitted_by.email)
    if not recipients:
        return []
    link = _absolute(reverse("portal:registration_detail", args=[tenant.slug, registration.pk]))
    lines = [
        f"Your deal registration “{registration.opportunity_name}” for {registration.account.name} "
        f"was {EVENT_SUBJECTS.get(event, event)}.",
    ]
    if registration.decision_reason and event == DealRegistration.Status.REJECTED:
        lines.append(f"Reason: {registration.decision_reason}")
    if registration.protected_until and event in {"approved", "extended"}:
        lines.append(f"It is protected until {registration.protected_until:%d %B %Y}.")
        if event == "approved" and registration.protection_days:
            lines.append(
                f"Protection granted: {registration.protection_days} days ({registration.protection_source})."
            )
    lines += ["", f"See it here: {link}", "", f"— {tenant.name} partner program"]
    send_mail(
        subject=f"[PRM] Deal registration {EVENT_SUBJECTS.get(event, event)}: {registration.opportunity_name}",
        message="\n".join(lines),
        from_email=None,
        recipient_list=sorted(recipients),
    )
    return sorted(recipients)


@shared_task(time_limit=60)
def send_sla_escalation_email(*, tenant_id: int, registration_ids: list[int]) -> list[str]:
    """Tell each partner's manager (or, without one, the program's managers) which registrations wait."""
    tenant = require_current_tenant()
    registrations = list(
        DealRegistration.objects.filter(pk__in=registration_ids).select_related(
            "partner__partner_manager", "account"
        )
    )
    fallback = sorted(
        Membership.objects.filter(
            tenant=tenant, is_active=True, role__in=[Role.MANAGER, Role.ADMIN]
        ).values_list("user__email", flat=True)
    )
    by_recipient: dict[str, list[DealRegistration]] = {}
    for registration in registrations:
        partner: Partner = registration.partner
        targets = [partner.partner_manager.email] if partner.partner_manager else fallback
        for email in targets:
            by_recipient.setdefault(email, []).append(registration)
    queue = _absolute(reverse("registration_queue", args=[tenant.slug]))
    for email, waiting in by_recipient.items():
        body = "\n".join(
            f"- {r.opportunity_name} ({r.account.name}) from {r.partner.name}, submitted {r.submitted_at:%d %b %H:%M}"
            for r in waiting
        )
        send_mail(
            subject=f"[PRM] {len(waiting)} deal registration(s) waiting past the decision SLA",
            message=f"These registrations wait for a decision:\n\n{body}\n\nDecide them here: {queue}",
            from_email=None,
            recipient_list=[email],
        )
    return sorted(by_recipient)
