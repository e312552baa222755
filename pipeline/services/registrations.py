"""Deal registrations: submit, decide, close, extend, assign; the scheduled expiry and escalation."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from prm import actors, audit, closing
from prm.access import TenantAccess, require
from prm.models import Membership, Tenant
from prm.money import to_reporting
from prm.permissions import STAFF_ROLES, Perm

from ..models import (
    DealConflict,
    DealRegistration,
    DealStatusChange,
    RevenueRecord,
    VendorOpportunity,
)
from .accounts import account_find_or_create, open_registrations_on
from .common import REGISTRATION_FIELDS, desk_settings, partner_for_registration, protection_term
from .revenue import revenue_record_create

Status = DealRegistration.Status

# --- registrations -----------------------------------------------------------------------------


def _record_move(
    *,
    access: TenantAccess | None,
    registration: DealRegistration,
    before: str,
    reason: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    DealStatusChange.objects.create(
        registration=registration,
        from_status=before,
        to_status=registration.status,
        reason=reason,
        **actors.by(access, "changed_by"),
    )
    audit.record(
        access=access,
        verb=f"registration.{registration.status}",
        target=registration,
        before={"status": before} if before else {},
        after={"status": registration.status, **({"reason": reason} if reason else {}), **(extra or {})},
        partner_id=registration.partner_id,
    )
    _notify(registration, event=registration.status)
    if registration.status not in DealRegistration.OPEN:
        _refresh_conflict_flags(registration)


def _refresh_conflict_flags(closed: DealRegistration) -> None:
    """A registration left the open states: the ones it conflicted with may be clear now."""
    linked = DealConflict.objects.filter(other=closed).values("registration_id")
    for other in DealRegistration.objects.filter(
        pk__in=linked, has_conflict=True, status__in=sorted(DealRegistration.OPEN)
    ):
        still_open = (
            DealConflict.objects.filter(registration=other)
            .exclude(other=closed)
            .filter(other__in=open_registrations_on(other.account))
        )
        vendor = VendorOpportunity.objects.filter(account_id=other.account_id, is_open=True)
        if not still_open.exists() and not vendor.exists():
            DealRegistration.objects.filter(pk=other.pk).update(has_conflict=False)


def _notify(registration: DealRegistration, *, event: str) -> None:
    from ..tasks import send_registration_email  # the tasks call these services: import when queuing

    tenant_id, registration_id = registration.tenant_id, registration.pk
    transaction.on_commit(
        lambda: send_registration_email.delay(
            tenant_id=tenant_id, registration_id=registration_id, event=event
        ),
        robust=True,
    )


def _detect_conflicts(registration: DealRegistration) -> int:
    """Flag every other partner's open registration (and open vendor opportunity) on the same
    account. A partner's own registrations at one customer are separate deals, not a conflict."""
    others = list(
        open_registrations_on(registration.account)
        .exclude(pk=registration.pk)
        .exclude(partner=registration.partner_id)
    )
    links = []
    for other in others:
        reason = "domain" if registration.account.domain else "name"
        links += [
            DealConflict(registration=registration, other=other, reason=reason),
            DealConflict(registration=other, other=registration, reason=reason),
        ]
    DealConflict.objects.bulk_create(links, ignore_conflicts=True)
    vendor = VendorOpportunity.objects.filter(account=registration.account, is_open=True).exists()
    flagged = bool(others) or vendor
    if flagged:
        DealRegistration.objects.filter(pk__in=[registration.pk, *(o.pk for o in others)]).update(
            has_conflict=True
        )
        registration.has_conflict = True
    return len(others) + (1 if vendor else 0)


@transaction.atomic
def registration_submit(
    *,
    access: TenantAccess,
    account_name: str,
    account_domain: str,
    fields: Mapping[str, Any],
    partner_id: int | None = None,
) -> DealRegistration:
    """Register a deal: the account is found (or created), conflicts are flagged at once, the SLA
    clock starts, and the partner is e-mailed a receipt."""
    partner = partner_for_registration(access, partner_id)
    unknown = set(fields) - set(REGISTRATION_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    account, _created = account_find_or_create(name=account_name, domain=account_domain)
    registration = DealRegistration(partner=partner, account=account, submitted_at=timezone.now(), **fields)
    actors.stamp(registration, "submitted_by", access)
    registration.currency = (registration.currency or access.tenant.currency).upper()
    registration.assign_tenant()
    registration.amount_reporting = Decimal("0")
    registration.full_clean(exclude=["amount_reporting"])
    if registration.expected_close_date < timezone.localdate() - timedelta(days=30):
        raise ValidationError(
            {"expected_close_date": "The expected close date is more than a month in the past."}
        )
    registration.amount_reporting = to_reporting(
        registration.amount, registration.currency, tenant=access.tenant
    )
    registration.save()
    _detect_conflicts(registration)
    _record_move(access=access, registration=registration, before="")
    return registration


def _require_status(registration: DealRegistration, *allowed: str) -> None:
    if registration.status not in allowed:
        names = " or ".join(Status(s).label.lower() for s in allowed)
        raise ValidationError(
            {
                "status": f"This registration is {registration.get_status_display().lower()}; it must be {names}."
            }
        )


def _open_conflicts(registration: DealRegistration):
    ids = DealConflict.objects.filter(registration=registration).values("other_id")
    return open_registrations_on(registration.account).filter(pk__in=ids)


@transaction.atomic
def registration_approve(
    *, access: TenantAccess, registration: DealRegistration, reject_conflicting_reason: str = ""
) -> DealRegistration:
    """Approve: the partner is protected on this deal for its tier's deal-protection days, or the
    program's protection period when the tier sets none (``protection_term``); the registration
    records the days granted and their source.

    When other open registrations claim the same account, the manager resolves the conflict here:
    approving this one rejects the others with the reason given (which is required then).
    """
    require(access, Perm.DECIDE_DEALS)
    registration = DealRegistration.objects.select_for_update().get(pk=registration.pk)
    _require_status(registration, Status.SUBMITTED)
    conflicting = list(_open_conflicts(registration).select_for_update())
    if conflicting:
        if not reject_conflicting_reason.strip():
            raise ValidationError(
                {
                    "reject_conflicting_reason": f"{len(conflicting)} other open registration(s) claim this account: "
                    "say why they are rejected, or reject this one instead."
                }
            )
        for other in conflicting:
            _reject(access, other, reject_conflicting_reason.strip())
    registration.status = Status.APPROVED
    registration.decided_at = timezone.now()
    actors.stamp(registration, "decided_by", access)
    days, source = protection_term(access.tenant, registration.partner)
    registration.protection_days, registration.protection_source = days, source
    registration.protected_until = timezone.localdate() + timedelta(days=days)
    registration.save()
    _record_move(
        access=access,
        registration=registration,
        before=Status.SUBMITTED,
        extra={"protection_days": days, "protection_source": source},
    )
    return registration


def _reject(access: TenantAccess, registration: DealRegistration, reason: str) -> None:
    before = registration.status
    registration.status = Status.REJECTED
    registration.decided_at = timezone.now()
    actors.stamp(registration, "decided_by", access)
    registration.decision_reason = reason
    registration.save()
    _record_move(access=access, registration=registration, before=before, reason=reason)


@transaction.atomic
def registration_reject(
    *, access: TenantAccess, registration: DealRegistration, reason: str
) -> DealRegistration:
    """Reject, with the reason the partner will read."""
    require(access, Perm.DECIDE_DEALS)
    registration = DealRegistration.objects.select_for_update().get(pk=registration.pk)
    _require_status(registration, Status.SUBMITTED, Status.APPROVED)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why; the partner reads it."})
    _reject(access, registration, reason.strip())
    return registration


def _close_date(
    access: TenantAccess, registration: DealRegistration, closed_on: date, reason: str
) -> closing.Booking:
    """Where the close date goes: never in the future nor before the deal was registered; inside a
    closed quarter it is refused or booked as an adjustment, as the tenant chose."""
    if closed_on > timezone.localdate():
        raise ValidationError({"closed_on": "A deal cannot close in the future."})
    registered_on = timezone.localdate(registration.submitted_at)
    if closed_on < registered_on:
        raise ValidationError(
            {
                "closed_on": f"The deal was registered on {registered_on:%-d %b %Y}; "
                "it cannot have closed before that."
            }
        )
    return closing.book_date(access.tenant, closed_on, field="closed_on", reason=reason)


@transaction.atomic
def registration_close(
    *,
    access: TenantAccess,
    registration: DealRegistration,
    won: bool,
    closed_on: date,
    amount: Decimal | None = None,
    create_booking: bool = False,
    adjustment_reason: str = "",
) -> DealRegistration:
    """Record the outcome of an approved deal. A won deal needs its final amount and may book
    it as a new recurring revenue record attributed to the partner. A close date in a closed
    quarter is refused, or booked in the first open quarter with ``adjustment_reason``."""
    require(access, Perm.DECIDE_DEALS)
    registration = DealRegistration.objects.select_for_update().get(pk=registration.pk)
    _require_status(registration, Status.APPROVED, Status.EXPIRED)
    booking = _close_date(access, registration, closed_on, adjustment_reason)
    if won and (amount is None or amount <= 0):
        raise ValidationError({"amount": "Give the amount the deal was won for."})
    before = registration.status
    registration.status = Status.WON if won else Status.LOST
    registration.closed_on = booking.day
    registration.original_closed_on, registration.adjustment_reason = booking.original, booking.reason
    registration.closed_amount = amount if won else None
    registration.closed_amount_reporting = (
        to_reporting(amount, registration.currency, tenant=access.tenant) if won and amount else None
    )
    registration.save()
    _record_move(access=access, registration=registration, before=before)
    if booking.is_adjustment:
        closing.record_adjustment(
            access=access,
            target=registration,
            field="closed_on",
            given=closed_on,
            booked=booking.day,
            reason=booking.reason,
            partner_id=registration.partner_id,
        )
    if won and create_booking:
        _book_won_deal(access, registration, closed_on, booking.reason)
    return registration


def _book_won_deal(
    access: TenantAccess, registration: DealRegistration, closed_on: date, reason: str
) -> None:
    """The won amount as new recurring revenue, dated like the close (and adjusted like it)."""
    revenue_record_create(
        access=access,
        fields={
            "account": registration.account,
            "partner": registration.partner,
            "period": closed_on.replace(day=1),
            "kind": RevenueRecord.Kind.NEW,
            "recurring": True,
            "amount": registration.closed_amount,
            "currency": registration.currency,
            "registration": registration,
            "reference": f"Registration {registration.pk}",
            "adjustment_reason": reason,
        },
    )


@transaction.atomic
def registration_request_extension(
    *, access: TenantAccess, registration: DealRegistration, reason: str
) -> DealRegistration:
    """The partner asks for more protection time on an approved deal."""
    if not (access.is_partner and access.partner_id == registration.partner_id) and not access.can(
        Perm.DECIDE_DEALS
    ):
        raise PermissionDenied
    _require_status(registration, Status.APPROVED)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the deal needs more time."})
    registration.extension_requested_at = timezone.now()
    registration.extension_reason = reason.strip()
    registration.save(update_fields=["extension_requested_at", "extension_reason", "updated_at"])
    audit.record(
        access=access,
        verb="registration.extension_requested",
        target=registration,
        after={"reason": registration.extension_reason},
        partner_id=registration.partner_id,
    )
    return registration


@transaction.atomic
def registration_extend(*, access: TenantAccess, registration: DealRegistration) -> DealRegistration:
    """Grant an extension: protection runs for another extension period from today or its end."""
    require(access, Perm.DECIDE_DEALS)
    _require_status(registration, Status.APPROVED)
    before = registration.protected_until
    start = max(registration.protected_until or timezone.localdate(), timezone.localdate())
    registration.protected_until = start + timedelta(days=desk_settings(access.tenant)["extension_days"])
    registration.extensions += 1
    registration.extension_requested_at = None
    registration.save(update_fields=["protected_until", "extensions", "extension_requested_at", "updated_at"])
    audit.record(
        access=access,
        verb="registration.extended",
        target=registration,
        before={"protected_until": str(before)},
        after={"protected_until": str(registration.protected_until)},
        partner_id=registration.partner_id,
    )
    _notify(registration, event="extended")
    return registration


@transaction.atomic
def registration_assign_rep(
    *, access: TenantAccess, registration: DealRegistration, user_id: int | None
) -> DealRegistration:
    """Co-sell: name the vendor sales rep who works the approved deal with the partner."""
    require(access, Perm.DECIDE_DEALS)
    _require_status(registration, Status.APPROVED)
    if (
        user_id is not None
        and not Membership.objects.filter(
            tenant=access.tenant, user_id=user_id, is_active=True, role__in=sorted(STAFF_ROLES)
        ).exists()
    ):
        raise ValidationError({"sales_rep": "Choose an active staff member of this program."})
    before = registration.sales_rep_id
    registration.sales_rep_id = user_id
    registration.save(update_fields=["sales_rep", "updated_at"])
    audit.record(
        access=access,
        verb="registration.sales_rep_assigned",
        target=registration,
        before={"sales_rep_id": before},
        after={"sales_rep_id": user_id},
        partner_id=registration.partner_id,
    )
    _notify(registration, event="sales_rep_assigned")
    return registration


# --- scheduled work ----------------------------------------------------------------------------


@transaction.atomic
def registrations_expire(*, tenant: Tenant) -> int:
    """Approved registrations whose protection ended become expired. Safe to run twice."""
    stale = list(
        DealRegistration.objects.select_for_update().filter(
            status=Status.APPROVED, protected_until__lt=timezone.localdate()
        )
    )
    for registration in stale:
        registration.status = Status.EXPIRED
        registration.save(update_fields=["status", "updated_at"])
        _record_move(
            access=None, registration=registration, before=Status.APPROVED, reason="Protection period ended."
        )
    return len(stale)


@transaction.atomic
def registrations_escalate_overdue(*, tenant: Tenant) -> int:
    """Registrations waiting past the SLA are escalated to their partner manager (or the program's
    managers) once. Returns how many were escalated now."""
    from ..tasks import send_sla_escalation_email  # as above

    cutoff = timezone.now() - timedelta(hours=desk_settings(tenant)["sla_hours"])
    overdue = list(
        DealRegistration.objects.select_for_update().filter(
            status=Status.SUBMITTED, submitted_at__lte=cutoff, sla_escalated_at__isnull=True
        )
    )
    now = timezone.now()
    for registration in overdue:
        registration.sla_escalated_at = now
        registration.save(update_fields=["sla_escalated_at", "updated_at"])
        audit.record(
            access=None,
            verb="registration.sla_escalated",
            target=registration,
            after={"waiting_hours": int((now - registration.submitted_at).total_seconds() // 3600)},
            partner_id=registration.partner_id,
        )
    ids = [r.pk for r in overdue]
    if ids:
        tenant_id = tenant.pk
        transaction.on_commit(
            lambda: send_sla_escalation_email.delay(tenant_id=tenant_id, registration_ids=ids), robust=True
        )
    return len(ids)
