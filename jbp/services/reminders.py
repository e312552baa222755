"""Reminders sent by the daily task: reviews of active plans due within a week (once per review
date) and overdue open action items (once a day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from prm.models import Membership, Tenant
from prm.permissions import STAFF_ROLES, Role

from ..models import ActionItem, Plan, Side
from ._common import Status

REVIEW_NOTICE_DAYS = 7


@dataclass
class Reminder:
    to: list[str]
    subject: str
    lines: list[str]
    path: str


def reminders_due(
    *, tenant: Tenant, today: date | None = None
) -> tuple[list[Reminder], list[int], list[int]]:
    """What to remind today: reviews of active plans within a week (once per review date) and
    overdue open action items (once a day). Returns the reminders, the plans and the items."""
    today = today or timezone.localdate()
    upcoming = _upcoming_reviews(today)
    partner_admins = _partner_admin_emails(tenant)
    members = _Members.of(tenant)
    reminders: list[Reminder] = []
    for plan in upcoming:
        reminders.extend(_review_reminders(tenant, plan, partner_admins, members))
    overdue = _overdue_items(today)
    for item in overdue:
        reminder = _overdue_reminder(tenant, item, partner_admins, members)
        if reminder is not None:
            reminders.append(reminder)
    return reminders, [p.pk for p in upcoming], [i.pk for i in overdue]


def _upcoming_reviews(today: date) -> list[Plan]:
    """Active plans whose next review falls within the notice period and was not reminded yet."""
    return list(
        Plan.objects.filter(
            status=Status.ACTIVE,
            next_review_on__gte=today,
            next_review_on__lte=today + timedelta(days=REVIEW_NOTICE_DAYS),
        )
        .exclude(review_reminded_for=F("next_review_on"))
        .select_related("partner", "vendor_owner", "vendor_sponsor", "partner_owner")
    )


@dataclass(frozen=True)
class _Members:
    """The e-mail addresses of the tenant's active members (and of its staff): a user named on a
    plan or an action item is e-mailed only while they are one, whoever wrote their id there."""

    staff: frozenset[str]
    everyone: frozenset[str]

    @classmethod
    def of(cls, tenant: Tenant) -> _Members:
        rows = Membership.objects.filter(tenant=tenant, is_active=True).values_list("user__email", "role")
        return cls(
            staff=frozenset(email for email, role in rows if role in STAFF_ROLES),
            everyone=frozenset(email for email, _ in rows),
        )


def _partner_admin_emails(tenant: Tenant) -> dict[int, list[str]]:
    """The e-mail addresses of each partner's active admins, by partner id."""
    partner_admins: dict[int, list[str]] = {}
    for pid, email in Membership.objects.filter(
        tenant=tenant, is_active=True, role=Role.PARTNER_ADMIN
    ).values_list("partner_id", "user__email"):
        partner_admins.setdefault(pid, []).append(email)
    return partner_admins


def _review_reminders(
    tenant: Tenant, plan: Plan, partner_admins: dict[int, list[str]], members: _Members
) -> list[Reminder]:
    """One reminder per side of an upcoming review, each with the link to its own view of the plan
    (staff page or portal); a side with no one to tell gets none."""
    vendor = sorted({u.email for u in (plan.vendor_owner, plan.vendor_sponsor) if u} & members.staff)
    partner = sorted(
        set(partner_admins.get(plan.partner_id, []))
        | ({plan.partner_owner.email} if plan.partner_owner else set())
    )
    return [
        Reminder(
            to,
            f"[PRM] {plan.partner.name}: plan review on {plan.next_review_on:%d %b %Y}",
            [
                f"The review of “{plan.title}” is due on {plan.next_review_on:%A %d %B %Y}.",
                "Open the plan to check targets against actuals and the open action items "
                "before the meeting.",
            ],
            reverse(name, args=[tenant.slug, plan.pk]),
        )
        for to, name in ((vendor, "plan_detail"), (partner, "portal:plan_detail"))
        if to
    ]


def _overdue_items(today: date) -> list[ActionItem]:
    """Open action items of active plans past their due date, not reminded yet today."""
    return list(
        ActionItem.objects.filter(status=ActionItem.Status.OPEN, due_on__lt=today, plan__status=Status.ACTIVE)
        .exclude(reminded_on=today)
        .select_related("plan", "plan__partner", "plan__vendor_owner", "plan__partner_owner", "owner")
    )


def _overdue_reminder(
    tenant: Tenant, item: ActionItem, partner_admins: dict[int, list[str]], members: _Members
) -> Reminder | None:
    """The reminder of an overdue item to its owner, else its side's plan owner (the partner's
    admins first); ``None`` when there is no one to tell."""
    plan = item.plan
    to: list[str]
    if item.owner is not None and item.owner.email in members.everyone:
        to = [item.owner.email]
    elif item.owner_side == Side.VENDOR:
        to = (
            [plan.vendor_owner.email]
            if plan.vendor_owner and plan.vendor_owner.email in members.staff
            else []
        )
    else:
        to = partner_admins.get(plan.partner_id, []) or (
            [plan.partner_owner.email] if plan.partner_owner else []
        )
    if not to:
        return None
    portal = item.owner_side == Side.PARTNER
    name = "portal:plan_detail" if portal else "plan_detail"
    return Reminder(
        sorted(set(to)),
        f"[PRM] Overdue action: {item.title}",
        [
            f"The action item “{item.title}” from the plan review of {plan.partner.name} was due on {item.due_on:%d %b %Y}.",
            f"Owner: {item.owner_name}. Mark it done in the plan once it is.",
        ],
        reverse(name, args=[tenant.slug, plan.pk]),
    )


def reminders_mark_sent(*, plan_ids: list[int], item_ids: list[int], today: date) -> None:
    for plan in Plan.objects.filter(pk__in=plan_ids):
        Plan.objects.filter(pk=plan.pk).update(review_reminded_for=plan.next_review_on)
    ActionItem.objects.filter(pk__in=item_ids).update(reminded_on=today)
