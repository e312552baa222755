"""The plan itself: drafting and editing it, its workflow (share, withdraw, partner approval,
sign-off, close, supersede), its comments and its people."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from partners.models import Contact, Partner
from partners.signals import standing_changed
from prm import actors, audit
from prm.access import TenantAccess, require
from prm.permissions import Perm
from prm.references import check_user_references
from prm.tenancy import require_current_tenant

from .. import queries
from ..models import Comment, Plan, Side, Target
from ._common import PLAN_FIELDS, Status, _audit, _clean_save, _own_plan
from .versions import _begin_change, _end_change, _freeze_version

# --- the plan ----------------------------------------------------------------------------------


VENDOR_PEOPLE = ("vendor_owner", "vendor_sponsor")


def _check_people(plan: Plan, changed: Iterable[str]) -> None:
    """The vendor's people are active staff of the program (those being set: a member who left
    stays named on the plans they owned until someone else is chosen); the partner's people are
    contacts of the plan's partner."""
    check_user_references(
        require_current_tenant(),
        {name: getattr(plan, f"{name}_id") for name in VENDOR_PEOPLE if name in changed},
        staff=True,
    )
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
    _check_people(plan, fields)  # the defaults above come from the partner, checked when set there
    _clean_save(plan)
    _audit(access, "plan.created", plan, after={"status": plan.status, "fiscal_year": fiscal_year})
    return plan


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
    _check_people(plan, fields)
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
    if (before in Plan.SIGNED) != (to in Plan.SIGNED):  # signed, or a signed plan set aside
        what = "signed" if to in Plan.SIGNED else "withdrawn"
        standing_changed(plan.partner_id, f"Joint business plan FY{plan.fiscal_year} {what}.")
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
        access,
        plan,
        {Status.DRAFT},
        Status.SHARED,
        "shared",
        shared_at=timezone.now(),
        **actors.by(access, "shared_by"),
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
        **actors.by(access, "signed_by"),
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


# --- people ------------------------------------------------------------------------------------


def contacts_of(plan: Plan) -> list[Contact]:
    return list(Contact.objects.filter(partner_id=plan.partner_id, archived_at__isnull=True).order_by("name"))
