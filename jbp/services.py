"""Every write to a joint business plan: one function per use case, in a transaction, checking
who may do it, validating, and recording the audit event.

Workflow: the vendor drafts (``plan_create``, edits) → shares (``plan_share``) → the partner
admin edits its own investments, comments and approves (``plan_partner_approve``) → a vendor
executive signs (``plan_sign_off``: the plan becomes active, version 1 is frozen) → closed after
the fiscal year (``plan_close``). Changing an active plan is an amendment: every change needs a
change summary and freezes a new version. Changing a partner-approved plan sends it back to the
partner for approval.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

import prm.metrics
from partners.models import Contact, Partner
from prm import audit
from prm.access import TenantAccess, require
from prm.metrics import Unit
from prm.models import Tenant
from prm.permissions import Perm

from . import queries
from .models import (
    ActionItem,
    Activity,
    Comment,
    Investment,
    Plan,
    PlanExport,
    PlanVersion,
    Review,
    Side,
    Target,
)

Status = Plan.Status

PLAN_FIELDS = [
    "title",
    "summary",
    "objectives",
    "vendor_owner",
    "vendor_sponsor",
    "partner_owner",
    "partner_sponsor",
    "review_cadence",
    "next_review_on",
]
TARGET_FIELDS = ["kind", "metric_key", "quarter", "value", "note"]
INVESTMENT_FIELDS = [
    "side",
    "kind",
    "description",
    "quarter",
    "amount",
    "quantity",
    "delivered_amount",
    "delivered_note",
]
ACTIVITY_FIELDS = ["name", "type", "quarter", "budget", "owner_side", "owner_name", "status"]
KIND_METRIC: dict[str, str] = {Target.Kind.REVENUE: "revenue", Target.Kind.PIPELINE: "pipeline_sourced"}


def _own_plan(access: TenantAccess, plan: Plan) -> None:
    """Partner callers act on their own company's shared plans only (404 otherwise)."""
    if access.is_partner and (plan.partner_id != access.partner_id or plan.status == Status.DRAFT):
        raise PermissionDenied("This plan is not yours.")


def _clean_save(obj: Any) -> None:
    obj.assign_tenant()
    obj.full_clean()
    obj.save()


def _audit(
    access: TenantAccess | None,
    verb: str,
    plan: Plan,
    before: dict | None = None,
    after: dict | None = None,
    target: Any = None,
) -> None:
    audit.record(
        access=access,
        verb=verb,
        target=target or plan,
        before=before,
        after=after,
        partner_id=plan.partner_id,
    )


# --- the plan ----------------------------------------------------------------------------------


def _check_people(plan: Plan) -> None:
    for name in ("partner_owner", "partner_sponsor"):
        contact = getattr(plan, name)
        if contact is not None and contact.partner_id != plan.partner_id:
            raise ValidationError({name: "Choose one of this partner's own contacts."})


@transaction.atomic
def plan_create(
    *, access: TenantAccess, partner: Partner, fiscal_year: int, fields: Mapping[str, Any] | None = None
) -> Plan:
    """A new draft plan for a partner and fiscal year; refused while another is open for that year.
    Owners and sponsors default to the partner's manager and sponsors."""
    require(access, Perm.MANAGE_PLANS)
    fields = dict(fields or {})
    existing = Plan.objects.filter(
        partner=partner, fiscal_year=fiscal_year, status__in=sorted(Plan.OPEN)
    ).first()
    if existing is not None:
        raise ValidationError(
            {
                "fiscal_year": f"{partner.name} already has a {existing.get_status_display().lower()} plan for "
                f"FY{fiscal_year}; close it first."
            }
        )
    plan = Plan(
        partner=partner,
        fiscal_year=fiscal_year,
        title=fields.pop("title", "") or f"{partner.name} joint business plan FY{fiscal_year}",
        vendor_owner=partner.partner_manager or (access.user if access.user else None),
        vendor_sponsor=partner.vendor_sponsor,
        partner_sponsor=partner.partner_sponsor,
    )
    for name, value in fields.items():
        if name not in PLAN_FIELDS:
            raise ValidationError({name: "This field cannot be set here."})
        setattr(plan, name, value)
    _check_people(plan)
    _clean_save(plan)
    _audit(access, "plan.created", plan, after={"status": plan.status, "fiscal_year": fiscal_year})
    return plan


def _begin_change(
    access: TenantAccess, plan: Plan, change_summary: str, *, partner_part: bool = False
) -> None:
    """May the caller change the plan now? Locks the row."""
    Plan.objects.select_for_update().filter(pk=plan.pk).first()
    if partner_part and access.is_partner:
        require(access, Perm.APPROVE_OWN_PLAN)
        _own_plan(access, plan)
        if plan.status != Status.SHARED:
            raise ValidationError("The partner edits its part while the plan is shared for its approval.")
        return
    require(access, Perm.MANAGE_PLANS)
    if plan.status in (Status.CLOSED, Status.SUPERSEDED):
        raise ValidationError(f"A {plan.get_status_display().lower()} plan cannot change.")
    if plan.status == Status.ACTIVE and not change_summary.strip():
        raise ValidationError(
            {"change_summary": "An active plan changes by amendment: say what changes and why."}
        )


def _end_change(access: TenantAccess, plan: Plan, change_summary: str, what: str) -> None:
    """After a change: an amendment freezes a new version; a partner-approved plan goes back
    to the partner for approval."""
    if plan.status == Status.ACTIVE:
        _freeze_version(access, plan, change_summary.strip())
        _audit(
            access,
            "plan.amended",
            plan,
            after={"version": plan.version, "change": what, "summary": change_summary},
        )
    elif plan.status == Status.PARTNER_APPROVED and not access.is_partner:
        plan.status = Status.SHARED
        plan.partner_approved_at = None
        plan.partner_approved_by = None
        plan.partner_approved_by_name = ""
        plan.save(
            update_fields=[
                "status",
                "partner_approved_at",
                "partner_approved_by",
                "partner_approved_by_name",
                "updated_at",
            ]
        )
        _audit(
            access,
            "plan.approval_reset",
            plan,
            before={"status": Status.PARTNER_APPROVED},
            after={"status": Status.SHARED, "change": what},
        )


@transaction.atomic
def plan_update(
    *, access: TenantAccess, plan: Plan, fields: Mapping[str, Any], change_summary: str = ""
) -> Plan:
    """Edit the plan's summary, objectives, people and review cadence."""
    _begin_change(access, plan, change_summary)
    before = audit.snapshot(plan, [f for f in fields if f in PLAN_FIELDS])
    for name, value in fields.items():
        if name not in PLAN_FIELDS:
            raise ValidationError({name: "This field cannot be set here."})
        setattr(plan, name, value)
    _check_people(plan)
    _clean_save(plan)
    _audit(
        access,
        "plan.updated",
        plan,
        before=before,
        after=audit.snapshot(plan, [f for f in fields if f in PLAN_FIELDS]),
    )
    _end_change(access, plan, change_summary, "plan details")
    return plan


def _metric_for(kind: str, metric_key: str) -> str:
    key = KIND_METRIC.get(kind, metric_key)
    try:
        prm.metrics.get(key)
    except KeyError:
        raise ValidationError({"metric_key": f"“{key}” is not a metric of the catalog."}) from None
    return key


@transaction.atomic
def target_save(
    *,
    access: TenantAccess,
    plan: Plan,
    fields: Mapping[str, Any],
    target: Target | None = None,
    change_summary: str = "",
) -> Target:
    """Add or change a target. Revenue commitments measure ``revenue`` and pipeline targets
    ``pipeline_sourced``; other targets name any catalog metric. Ratio targets are given as
    fractions (0.25 for 25 %)."""
    _begin_change(access, plan, change_summary)
    target = target or Target(plan=plan)
    if target.plan_id != plan.pk:
        raise PermissionDenied
    for name in TARGET_FIELDS:
        if name in fields:
            setattr(target, name, fields[name])
    target.metric_key = _metric_for(target.kind, target.metric_key)
    if target.value is not None and target.value < 0:
        raise ValidationError({"value": "A target cannot be negative."})
    if (
        prm.metrics.get(target.metric_key).unit == Unit.RATIO
        and target.value is not None
        and target.value > 10
    ):
        raise ValidationError({"value": "Give a ratio as a fraction: 0.25 for 25 %."})
    duplicate = plan.targets.filter(metric_key=target.metric_key, quarter=target.quarter).exclude(
        pk=target.pk
    )
    if duplicate.exists():
        raise ValidationError({"quarter": "The plan already has a target on this metric for this quarter."})
    _clean_save(target)
    _audit(access, "plan.target_saved", plan, after=audit.snapshot(target, TARGET_FIELDS))
    _end_change(access, plan, change_summary, f"target {target}")
    return target


@transaction.atomic
def target_remove(*, access: TenantAccess, plan: Plan, target: Target, change_summary: str = "") -> None:
    _begin_change(access, plan, change_summary)
    if target.plan_id != plan.pk:
        raise PermissionDenied
    before = audit.snapshot(target, TARGET_FIELDS)
    target.delete()
    _audit(access, "plan.target_removed", plan, before=before)
    _end_change(access, plan, change_summary, "target removed")


@transaction.atomic
def investment_save(
    *,
    access: TenantAccess,
    plan: Plan,
    fields: Mapping[str, Any],
    investment: Investment | None = None,
    change_summary: str = "",
) -> Investment:
    """Add or change an investment. The partner admin edits the partner's own investments
    while the plan is shared; the vendor edits both sides."""
    _begin_change(access, plan, change_summary, partner_part=True)
    investment = investment or Investment(plan=plan)
    if investment.plan_id != plan.pk:
        raise PermissionDenied
    for name in INVESTMENT_FIELDS:
        if name in fields:
            setattr(investment, name, fields[name])
    if access.is_partner and (investment.side != Side.PARTNER):
        raise ValidationError({"side": "Partners edit the partner's own investments only."})
    if investment.amount is None and investment.quantity is None:
        raise ValidationError({"amount": "Give an amount or a quantity (people, seats, days)."})
    _clean_save(investment)
    _audit(access, "plan.investment_saved", plan, after=audit.snapshot(investment, INVESTMENT_FIELDS))
    _end_change(access, plan, change_summary, f"investment {investment}")
    return investment


@transaction.atomic
def investment_remove(
    *, access: TenantAccess, plan: Plan, investment: Investment, change_summary: str = ""
) -> None:
    _begin_change(access, plan, change_summary, partner_part=True)
    if investment.plan_id != plan.pk or (access.is_partner and investment.side != Side.PARTNER):
        raise PermissionDenied
    before = audit.snapshot(investment, INVESTMENT_FIELDS)
    investment.delete()
    _audit(access, "plan.investment_removed", plan, before=before)
    _end_change(access, plan, change_summary, "investment removed")


@transaction.atomic
def activity_save(
    *,
    access: TenantAccess,
    plan: Plan,
    fields: Mapping[str, Any],
    activity: Activity | None = None,
    change_summary: str = "",
) -> Activity:
    """Add or change a co-marketing activity (a status change on an active plan is an amendment too)."""
    _begin_change(access, plan, change_summary)
    activity = activity or Activity(plan=plan)
    if activity.plan_id != plan.pk:
        raise PermissionDenied
    for name in ACTIVITY_FIELDS:
        if name in fields:
            setattr(activity, name, fields[name])
    _clean_save(activity)
    _audit(access, "plan.activity_saved", plan, after=audit.snapshot(activity, ACTIVITY_FIELDS))
    _end_change(access, plan, change_summary, f"activity {activity}")
    return activity


# --- the workflow ------------------------------------------------------------------------------


def _transition(access: TenantAccess, plan: Plan, frm: set[str], to: str, verb: str, **stamps: Any) -> Plan:
    Plan.objects.select_for_update().filter(pk=plan.pk).first()
    plan.refresh_from_db(fields=["status"])
    if plan.status not in frm:
        raise ValidationError(
            f"The plan is {plan.get_status_display().lower()}; it cannot be {verb.replace('_', ' ')} now."
        )
    before = plan.status
    plan.status = to
    for name, value in stamps.items():
        setattr(plan, name, value)
    plan.save()
    _audit(
        access,
        f"plan.{verb}",
        plan,
        before={"status": before},
        after={"status": to, "by": access.actor_label},
    )
    return plan


@transaction.atomic
def plan_share(*, access: TenantAccess, plan: Plan) -> Plan:
    """The vendor shares the draft with the partner for its comments and approval."""
    require(access, Perm.MANAGE_PLANS)
    if not plan.targets.filter(kind=Target.Kind.REVENUE).exists():
        raise ValidationError("Add the partner's revenue commitments before sharing the plan.")
    return _transition(
        access, plan, {Status.DRAFT}, Status.SHARED, "shared", shared_at=timezone.now(), shared_by=access.user
    )


@transaction.atomic
def plan_unshare(*, access: TenantAccess, plan: Plan) -> Plan:
    """The vendor takes a shared plan back into draft (the partner no longer sees it)."""
    require(access, Perm.MANAGE_PLANS)
    return _transition(
        access,
        plan,
        {Status.SHARED, Status.PARTNER_APPROVED},
        Status.DRAFT,
        "withdrawn",
        partner_approved_at=None,
        partner_approved_by=None,
        partner_approved_by_name="",
    )


@transaction.atomic
def plan_partner_approve(*, access: TenantAccess, plan: Plan) -> Plan:
    """The partner admin approves the partner's side of a shared plan (records who and when)."""
    require(access, Perm.APPROVE_OWN_PLAN)
    if not access.is_partner:
        raise PermissionDenied("Only the partner's admin approves the partner's side.")
    _own_plan(access, plan)
    return _transition(
        access,
        plan,
        {Status.SHARED},
        Status.PARTNER_APPROVED,
        "partner_approved",
        partner_approved_at=timezone.now(),
        partner_approved_by=access.user,
        partner_approved_by_name=access.actor_label,
    )


@transaction.atomic
def plan_sign_off(*, access: TenantAccess, plan: Plan) -> Plan:
    """A vendor executive signs the partner-approved plan: it becomes active, version 1 frozen."""
    require(access, Perm.SIGN_OFF_PLANS)
    plan = _transition(
        access,
        plan,
        {Status.PARTNER_APPROVED},
        Status.ACTIVE,
        "signed",
        signed_at=timezone.now(),
        signed_by=access.user,
    )
    _freeze_version(access, plan, "Signed by both sides.")
    return plan


@transaction.atomic
def plan_close(*, access: TenantAccess, plan: Plan, today: date | None = None) -> Plan:
    """Close an active plan once its fiscal year is over."""
    require(access, Perm.MANAGE_PLANS)
    today = today or timezone.localdate()
    if plan.status == Status.ACTIVE and today <= queries.fiscal_year_period(plan).end:
        raise ValidationError(f"FY{plan.fiscal_year} is not over yet: an active plan closes at year end.")
    return _transition(access, plan, {Status.ACTIVE}, Status.CLOSED, "closed", closed_at=timezone.now())


@transaction.atomic
def plan_supersede(*, access: TenantAccess, plan: Plan) -> Plan:
    """Set an unsigned or active plan aside so that a new plan for the year can be drafted."""
    require(access, Perm.MANAGE_PLANS)
    return _transition(
        access, plan, set(Plan.OPEN), Status.SUPERSEDED, "superseded", closed_at=timezone.now()
    )


# --- comments ----------------------------------------------------------------------------------


@transaction.atomic
def comment_add(*, access: TenantAccess, plan: Plan, body: str) -> Comment:
    """Both sides comment on the plan: staff who see the program, any member of the partner."""
    if access.is_partner:
        require(access, Perm.USE_PORTAL)
        _own_plan(access, plan)
    else:
        require(access, Perm.VIEW_PROGRAM)
    if not body.strip():
        raise ValidationError({"body": "Write a comment."})
    comment = Comment(
        plan=plan,
        author=access.user,
        author_label=access.actor_label,
        side=Side.PARTNER if access.is_partner else Side.VENDOR,
        body=body.strip(),
    )
    _clean_save(comment)
    _audit(access, "plan.commented", plan, after={"comment": comment.pk})
    return comment


# --- versions ----------------------------------------------------------------------------------


def _fmt_target(value: Decimal, key: str) -> str:
    try:
        unit = prm.metrics.get(key).unit
    except KeyError:
        unit = Unit.COUNT
    if unit == Unit.RATIO:
        return f"{value * 100:.1f} %"
    if unit == Unit.MONEY:
        return f"{value:,.2f}"
    return f"{value.normalize():f}"


def plan_content(plan: Plan) -> dict[str, str]:
    """The plan as a flat mapping of readable names to text: what a version freezes and compares."""
    when = lambda q: f"Q{q}" if q else "Full year"  # noqa: E731
    content: dict[str, str] = {
        "Title": plan.title,
        "Summary": plan.summary,
        "Objectives": plan.objectives,
        "Vendor plan owner": str(plan.vendor_owner or ""),
        "Vendor executive sponsor": str(plan.vendor_sponsor or ""),
        "Partner plan owner": str(plan.partner_owner or ""),
        "Partner executive sponsor": str(plan.partner_sponsor or ""),
        "Review cadence": plan.get_review_cadence_display(),
        "Next review": plan.next_review_on.isoformat() if plan.next_review_on else "",
    }
    for t in plan.targets.all():
        content[f"{t.get_kind_display()} · {queries.metric_label(t.metric_key)} · {when(t.quarter)}"] = (
            _fmt_target(t.value, t.metric_key) + (f" ({t.note})" if t.note else "")
        )
    for i in plan.investments.all():
        figures = ", ".join(
            part
            for part in (
                f"{i.amount:,.2f}" if i.amount is not None else "",
                f"{i.quantity.normalize():f} units" if i.quantity is not None else "",
            )
            if part
        )
        content[
            f"{i.get_side_display()} investment · {i.get_kind_display()} · {i.description} · {when(i.quarter)}"
        ] = figures
    for a in plan.activities.all():
        content[f"Activity · {a.name}"] = (
            f"Q{a.quarter} · {a.get_type_display()} · budget {a.budget:,.2f} · {a.owner_name} ({a.get_owner_side_display()}) · "
            f"{a.get_status_display()}"
        )
    return content


def _freeze_version(access: TenantAccess | None, plan: Plan, summary: str) -> PlanVersion:
    plan.version += 1
    plan.save(update_fields=["version", "updated_at"])
    version = PlanVersion(
        plan=plan,
        number=plan.version,
        change_summary=summary,
        content=plan_content(plan),
        created_by=access.user if access else None,
        created_by_label=access.actor_label if access else "system",
    )
    _clean_save(version)
    return version


@dataclass(frozen=True)
class Difference:
    field: str
    before: str | None  # None: not in the earlier version
    after: str | None  # None: not in the later version

    @property
    def change(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


def versions_compare(older: PlanVersion, newer: PlanVersion) -> list[Difference]:
    """What changed between two versions, field by field (in the order of the newer one)."""
    keys = list(newer.content) + [k for k in older.content if k not in newer.content]
    return [
        Difference(k, older.content.get(k), newer.content.get(k))
        for k in keys
        if older.content.get(k) != newer.content.get(k)
    ]


# --- reviews and action items ------------------------------------------------------------------


def review_snapshot(plan: Plan) -> list[dict[str, Any]]:
    """The plan's targets with actuals and attainment as of now, JSON-safe, to freeze in a review."""
    return [
        {
            "target": f"{row.target.get_kind_display()} · {row.label} · {row.when}",
            "unit": row.unit,
            "value": str(row.target.value),
            "actual": None if row.actual is None else str(row.actual),
            "attainment": None if row.attainment is None else str(row.attainment),
        }
        for row in queries.scorecard(plan)
    ]


@dataclass(frozen=True)
class NewActionItem:
    title: str
    owner_side: str
    owner_name: str
    due_on: date
    owner_id: int | None = None


@transaction.atomic
def review_record(
    *, access: TenantAccess, plan: Plan, fields: Mapping[str, Any], action_items: Sequence[NewActionItem] = ()
) -> Review:
    """Record a quarterly review of a signed plan with the attainment frozen as of now and its new
    action items; open items of earlier reviews stay open and carry into this one. Moves the
    plan's next review date by its cadence when it was due."""
    require(access, Perm.MANAGE_PLANS)
    if plan.status not in (Status.ACTIVE, Status.CLOSED):
        raise ValidationError("Reviews are held on signed plans.")
    review = Review(plan=plan, recorded_by=access.user, snapshot=review_snapshot(plan))
    for name in ("quarter", "held_on", "vendor_attendees", "partner_attendees", "notes", "decisions"):
        if name in fields:
            setattr(review, name, fields[name])
    _clean_save(review)
    for item in action_items:
        action_item_add(access=access, review=review, item=item)
    cadence: dict[str, int] = {
        Plan.Cadence.MONTHLY: 1,
        Plan.Cadence.QUARTERLY: 3,
        Plan.Cadence.HALF_YEARLY: 6,
    }
    # The review that was due (or one held up to two weeks early) moves the next one on by the cadence.
    if plan.next_review_on is None or plan.next_review_on <= review.held_on + timedelta(days=14):
        plan.next_review_on = _add_months(review.held_on, cadence[plan.review_cadence])
        plan.review_reminded_for = None
        plan.save(update_fields=["next_review_on", "review_reminded_for", "updated_at"])
    _audit(
        access,
        "plan.reviewed",
        plan,
        after={"review": review.pk, "quarter": review.quarter, "held_on": str(review.held_on)},
    )
    return review


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@transaction.atomic
def action_item_add(*, access: TenantAccess, review: Review, item: NewActionItem) -> ActionItem:
    require(access, Perm.MANAGE_PLANS)
    action = ActionItem(
        plan=review.plan,
        review=review,
        title=item.title,
        owner_side=item.owner_side,
        owner_name=item.owner_name,
        due_on=item.due_on,
        owner_id=item.owner_id,
    )
    _clean_save(action)
    _audit(
        access,
        "plan.action_item_added",
        review.plan,
        target=action,
        after=audit.snapshot(action, ["title", "owner_name", "due_on"]),
    )
    return action


@transaction.atomic
def action_item_complete(*, access: TenantAccess, item: ActionItem) -> ActionItem:
    """Mark an action item done: the vendor team for any item, the partner for its own side's."""
    plan = item.plan
    if access.is_partner:
        require(access, Perm.USE_PORTAL)
        _own_plan(access, plan)
        if item.owner_side != Side.PARTNER:
            raise PermissionDenied("The vendor marks its own action items done.")
    else:
        require(access, Perm.MANAGE_PLANS)
    if item.status == ActionItem.Status.DONE:
        return item
    item.status = ActionItem.Status.DONE
    item.done_at = timezone.now()
    item.save(update_fields=["status", "done_at", "updated_at"])
    _audit(
        access,
        "plan.action_item_done",
        plan,
        target=item,
        before={"status": "open"},
        after={"status": "done"},
    )
    return item


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
    from .tasks import render_plan_pdf

    tenant_id, export_id = plan.tenant_id, export.pk
    transaction.on_commit(lambda: render_plan_pdf.delay(tenant_id=tenant_id, export_id=export_id))
    return export


def export_render(*, export: PlanExport) -> PlanExport:
    """Render the export's PDF into media storage; a failure is recorded with its reason."""
    from django.core.files.base import ContentFile

    from .pdf import render_plan

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


# --- reminders -----------------------------------------------------------------------------------

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
    from django.urls import reverse

    from prm.models import Membership
    from prm.permissions import Role

    today = today or timezone.localdate()
    reminders: list[Reminder] = []
    upcoming = list(
        Plan.objects.filter(
            status=Status.ACTIVE,
            next_review_on__gte=today,
            next_review_on__lte=today + timedelta(days=REVIEW_NOTICE_DAYS),
        )
        .exclude(review_reminded_for=F("next_review_on"))
        .select_related("partner", "vendor_owner", "vendor_sponsor", "partner_owner")
    )
    partner_admins: dict[int, list[str]] = {}
    for pid, email in Membership.objects.filter(
        tenant=tenant, is_active=True, role=Role.PARTNER_ADMIN
    ).values_list("partner_id", "user__email"):
        partner_admins.setdefault(pid, []).append(email)
    for plan in upcoming:
        # Each side gets the link to its own view of the plan (staff page or portal).
        vendor = sorted({u.email for u in (plan.vendor_owner, plan.vendor_sponsor) if u})
        partner = sorted(
            set(partner_admins.get(plan.partner_id, []))
            | ({plan.partner_owner.email} if plan.partner_owner else set())
        )
        for to, name in ((vendor, "plan_detail"), (partner, "portal:plan_detail")):
            if to:
                reminders.append(
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
                )
    overdue = list(
        ActionItem.objects.filter(status=ActionItem.Status.OPEN, due_on__lt=today, plan__status=Status.ACTIVE)
        .exclude(reminded_on=today)
        .select_related("plan", "plan__partner", "plan__vendor_owner", "plan__partner_owner", "owner")
    )
    for item in overdue:
        plan = item.plan
        if item.owner is not None:
            to = [item.owner.email]
        elif item.owner_side == Side.VENDOR:
            to = [plan.vendor_owner.email] if plan.vendor_owner else []
        else:
            to = partner_admins.get(plan.partner_id, []) or (
                [plan.partner_owner.email] if plan.partner_owner else []
            )
        if not to:
            continue
        portal = item.owner_side == Side.PARTNER
        name = "portal:plan_detail" if portal else "plan_detail"
        reminders.append(
            Reminder(
                sorted(set(to)),
                f"[PRM] Overdue action: {item.title}",
                [
                    f"The action item “{item.title}” from the plan review of {plan.partner.name} was due on {item.due_on:%d %b %Y}.",
                    f"Owner: {item.owner_name}. Mark it done in the plan once it is.",
                ],
                reverse(name, args=[tenant.slug, plan.pk]),
            )
        )
    return reminders, [p.pk for p in upcoming], [i.pk for i in overdue]


def reminders_mark_sent(*, plan_ids: list[int], item_ids: list[int], today: date) -> None:
    for plan in Plan.objects.filter(pk__in=plan_ids):
        Plan.objects.filter(pk=plan.pk).update(review_reminded_for=plan.next_review_on)
    ActionItem.objects.filter(pk__in=item_ids).update(reminded_on=today)


def contacts_of(plan: Plan) -> list[Contact]:
    return list(Contact.objects.filter(partner_id=plan.partner_id, archived_at__isnull=True).order_by("name"))
