"""The deal registration desk, end-customer accounts and revenue records.

Every write is one use case: one transaction, a role check against the caller's access, full
validation, a status-history row for registrations and an audit event. Partners are told of
every decision by e-mail (sent from a Celery task after commit).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from partners.models import Partner
from prm import audit
from prm.access import TenantAccess, require
from prm.domains import normalize_domain
from prm.models import Membership, Tenant
from prm.money import to_reporting
from prm.permissions import STAFF_ROLES, Perm

from .models import (
    Account,
    DealConflict,
    DealRegistration,
    DealStatusChange,
    RevenueRecord,
    VendorOpportunity,
    normalize_name,
)

Status = DealRegistration.Status

DEFAULTS = {"protection_days": 90, "sla_hours": 48, "extension_days": 90}

REGISTRATION_FIELDS = [
    "opportunity_name",
    "products",
    "amount",
    "currency",
    "expected_close_date",
    "stage",
    "customer_contact_name",
    "customer_contact_email",
    "partner_role",
    "notes",
]


def desk_settings(tenant: Tenant) -> dict[str, int]:
    """The tenant's registration rules: protection period, decision SLA, extension length."""
    configured = (tenant.settings or {}).get("deal_registration", {})
    return {key: int(configured.get(key, default)) for key, default in DEFAULTS.items()}


# --- permissions -------------------------------------------------------------------------------


def _partner_for_registration(access: TenantAccess, partner_id: int | None) -> Partner:
    """Partner users register for their own company; managers may register on a partner's behalf."""
    if access.is_partner:
        if not access.can(Perm.USE_PORTAL):
            raise PermissionDenied
        partner_id = access.partner_id
    else:
        require(access, Perm.DECIDE_DEALS)
        if partner_id is None:
            raise ValidationError({"partner": "Choose the partner this deal is registered for."})
    partner = Partner.objects.filter(pk=partner_id, archived_at__isnull=True).first()
    if partner is None:
        raise ValidationError({"partner": "Choose a current partner of this program."})
    if partner.status not in (Partner.Status.ACTIVE, Partner.Status.ONBOARDING):
        raise ValidationError(
            {"partner": f"A {partner.get_status_display().lower()} partner cannot register deals."}
        )
    return partner


# --- accounts ----------------------------------------------------------------------------------


def _surviving(account: Account) -> Account:
    seen = set()
    while account.merged_into_id is not None and account.pk not in seen:
        seen.add(account.pk)
        account = Account.objects.get(pk=account.merged_into_id)
    return account


def account_match(*, name: str, domain: str) -> Account | None:
    """The existing account for this company: same domain, else the same normalised name."""
    domain = normalize_domain(domain)
    account = Account.objects.filter(domain=domain).first() if domain else None
    if account is None and normalize_name(name):
        account = Account.objects.filter(normalized_name=normalize_name(name)).order_by("pk").first()
    return _surviving(account) if account is not None else None


def account_find_or_create(*, name: str, domain: str, **details: Any) -> tuple[Account, bool]:
    """The account a registration or revenue record is about; created on the fly when new."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"account_name": "Name the customer."})
    existing = account_match(name=name, domain=domain)
    if existing is not None:
        return existing, False
    account = Account(name=name, domain=normalize_domain(domain), **details)
    account.assign_tenant()
    try:
        account.full_clean(validate_constraints=False)
    except ValidationError as error:
        raise ValidationError({f"account_{k}": v for k, v in error.message_dict.items()}) from None
    account.save()
    return account, True


@transaction.atomic
def account_merge(*, access: TenantAccess, duplicate: Account, into: Account) -> Account:
    """Fold a duplicate account into another: its registrations, vendor opportunities and revenue
    move over, and the duplicate stays (pointing at the survivor) so history keeps its name."""
    require(access, Perm.DECIDE_DEALS)
    if duplicate.pk == into.pk or _surviving(into).pk == duplicate.pk:
        raise ValidationError({"into": "Choose a different account to merge into."})
    if duplicate.merged_into_id is not None:
        raise ValidationError("This account was merged already.")
    if into.merged_into_id is not None:
        raise ValidationError(
            {"into": "That account was merged itself; merge into the account it was merged into."}
        )
    moved = {
        "registrations": DealRegistration.objects.filter(account=duplicate).update(account=into),
        "vendor_opportunities": VendorOpportunity.objects.filter(account=duplicate).update(account=into),
        "revenue_records": RevenueRecord.objects.filter(account=duplicate).update(account=into),
    }
    duplicate.merged_into = into
    duplicate.save(update_fields=["merged_into", "updated_at"])
    audit.record(
        access=access,
        verb="account.merged",
        target=duplicate,
        before={"account": duplicate.pk},
        after={"merged_into": into.pk, **moved},
    )
    return into


def account_precheck(*, access: TenantAccess, name: str, domain: str) -> dict[str, Any]:
    """Would a registration for this customer conflict? Says whether, never with whom."""
    account = account_match(name=name, domain=domain)
    if account is None:
        return {
            "conflict": False,
            "open_registrations": 0,
            "vendor_opportunity": False,
            "known_account": False,
        }
    others = (
        _open_registrations_on(account).exclude(partner_id=access.partner_id)
        if access.is_partner
        else (_open_registrations_on(account))
    )
    open_count = others.count()
    vendor = VendorOpportunity.objects.filter(account=account, is_open=True).exists()
    return {
        "conflict": bool(open_count or vendor),
        "open_registrations": open_count,
        "vendor_opportunity": vendor,
        "known_account": True,
    }


def _open_registrations_on(account: Account):
    today = timezone.localdate()
    return DealRegistration.objects.filter(account=account).filter(
        Q(status=Status.SUBMITTED) | Q(status=Status.APPROVED, protected_until__gte=today)
    )


# --- vendor opportunities ----------------------------------------------------------------------

VENDOR_OPPORTUNITY_FIELDS = ["name", "external_id", "is_open", "owner_id"]


def _check_staff_user(access: TenantAccess, user_id: int | None, field: str) -> None:
    if (
        user_id is not None
        and not Membership.objects.filter(
            tenant=access.tenant, user_id=user_id, is_active=True, role__in=sorted(STAFF_ROLES)
        ).exists()
    ):
        raise ValidationError({field: "Choose an active staff member of this program."})


def _flag_vendor_conflict(opportunity: VendorOpportunity) -> None:
    """Open registrations on the account of an open vendor opportunity are in conflict with it."""
    if opportunity.is_open:
        _open_registrations_on(opportunity.account).update(has_conflict=True)


@transaction.atomic
def vendor_opportunity_create(
    *, access: TenantAccess, account_name: str, account_domain: str, fields: Mapping[str, Any]
) -> VendorOpportunity:
    """Record an opportunity the vendor's own sales team works (as the CRM reports it); the
    account is found or created, and open registrations on it are flagged as conflicting."""
    require(access, Perm.DECIDE_DEALS)
    unknown = set(fields) - set(VENDOR_OPPORTUNITY_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    _check_staff_user(access, fields.get("owner_id"), "owner")
    account, _created = account_find_or_create(name=account_name, domain=account_domain)
    opportunity = VendorOpportunity(account=account, **fields)
    opportunity.assign_tenant()
    opportunity.full_clean()
    opportunity.save()
    _flag_vendor_conflict(opportunity)
    audit.record(
        access=access,
        verb="vendor_opportunity.created",
        target=opportunity,
        after=audit.snapshot(opportunity, ["account_id", *VENDOR_OPPORTUNITY_FIELDS]),
    )
    return opportunity


@transaction.atomic
def vendor_opportunity_update(
    *, access: TenantAccess, opportunity: VendorOpportunity, fields: Mapping[str, Any]
) -> VendorOpportunity:
    """Change a vendor opportunity (typically: it closed, ``is_open`` false). Reopening one flags
    the open registrations on its account again."""
    require(access, Perm.DECIDE_DEALS)
    unknown = set(fields) - set(VENDOR_OPPORTUNITY_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    if "owner_id" in fields:
        _check_staff_user(access, fields["owner_id"], "owner")
    opportunity = VendorOpportunity.objects.select_for_update().get(pk=opportunity.pk)
    before = audit.snapshot(opportunity, list(fields))
    for name, value in fields.items():
        setattr(opportunity, name, value)
    opportunity.full_clean()
    opportunity.save()
    _flag_vendor_conflict(opportunity)
    audit.record(
        access=access,
        verb="vendor_opportunity.updated",
        target=opportunity,
        before=before,
        after=audit.snapshot(opportunity, list(fields)),
    )
    return opportunity


# --- registrations -----------------------------------------------------------------------------


def _record_move(
    *, access: TenantAccess | None, registration: DealRegistration, before: str, reason: str = ""
) -> None:
    DealStatusChange.objects.create(
        registration=registration,
        from_status=before,
        to_status=registration.status,
        reason=reason,
        changed_by=access.user if access else None,
    )
    audit.record(
        access=access,
        verb=f"registration.{registration.status}",
        target=registration,
        before={"status": before} if before else {},
        after={"status": registration.status, **({"reason": reason} if reason else {})},
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
            .filter(other__in=_open_registrations_on(other.account))
        )
        vendor = VendorOpportunity.objects.filter(account_id=other.account_id, is_open=True)
        if not still_open.exists() and not vendor.exists():
            DealRegistration.objects.filter(pk=other.pk).update(has_conflict=False)


def _notify(registration: DealRegistration, *, event: str) -> None:
    from .tasks import send_registration_email

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
        _open_registrations_on(registration.account)
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
    partner = _partner_for_registration(access, partner_id)
    unknown = set(fields) - set(REGISTRATION_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    account, _created = account_find_or_create(name=account_name, domain=account_domain)
    registration = DealRegistration(partner=partner, account=account, submitted_at=timezone.now(), **fields)
    registration.submitted_by = access.user
    registration.currency = (registration.currency or access.tenant.currency).upper()
    registration.assign_tenant()
    registration.amount_reporting = Decimal("0")
    # submitted_by is the caller, absent for an API key (null, though not "blank" for forms).
    registration.full_clean(exclude=["amount_reporting", "submitted_by"])
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
    return _open_registrations_on(registration.account).filter(pk__in=ids)


@transaction.atomic
def registration_approve(
    *, access: TenantAccess, registration: DealRegistration, reject_conflicting_reason: str = ""
) -> DealRegistration:
    """Approve: the partner is protected on this deal for the tenant's protection period.

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
    registration.decided_by = access.user
    registration.protected_until = timezone.localdate() + timedelta(
        days=desk_settings(access.tenant)["protection_days"]
    )
    registration.save()
    _record_move(access=access, registration=registration, before=Status.SUBMITTED)
    return registration


def _reject(access: TenantAccess, registration: DealRegistration, reason: str) -> None:
    before = registration.status
    registration.status = Status.REJECTED
    registration.decided_at = timezone.now()
    registration.decided_by = access.user
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


@transaction.atomic
def registration_close(
    *,
    access: TenantAccess,
    registration: DealRegistration,
    won: bool,
    closed_on: date,
    amount: Decimal | None = None,
    create_booking: bool = False,
) -> DealRegistration:
    """Record the outcome of an approved deal. A won deal needs its final amount and may book
    it as a new recurring revenue record attributed to the partner."""
    require(access, Perm.DECIDE_DEALS)
    registration = DealRegistration.objects.select_for_update().get(pk=registration.pk)
    _require_status(registration, Status.APPROVED, Status.EXPIRED)
    if closed_on > timezone.localdate():
        raise ValidationError({"closed_on": "A deal cannot close in the future."})
    if won and (amount is None or amount <= 0):
        raise ValidationError({"amount": "Give the amount the deal was won for."})
    before = registration.status
    registration.status = Status.WON if won else Status.LOST
    registration.closed_on = closed_on
    registration.closed_amount = amount if won else None
    registration.closed_amount_reporting = (
        to_reporting(amount, registration.currency, tenant=access.tenant) if won and amount else None
    )
    registration.save()
    _record_move(access=access, registration=registration, before=before)
    if won and create_booking:
        revenue_record_create(
            access=access,
            fields={
                "account": registration.account,
                "partner": registration.partner,
                "period": closed_on.replace(day=1),
                "kind": RevenueRecord.Kind.NEW,
                "recurring": True,
                "amount": amount,
                "currency": registration.currency,
                "registration": registration,
                "reference": f"Registration {registration.pk}",
            },
        )
    return registration


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
    from .tasks import send_sla_escalation_email

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


# --- revenue -----------------------------------------------------------------------------------


def _build_revenue_record(
    access: TenantAccess, fields: Mapping[str, Any], *, related_checked: bool = False
) -> RevenueRecord:
    """A valid, unsaved record. ``related_checked``: the caller already loaded the account and
    partner from this tenant (a CSV preview), so they are not looked up again, row by row."""
    record = RevenueRecord(**fields)
    record.currency = (record.currency or access.tenant.currency).upper()
    if isinstance(record.period, date):
        record.period = record.period.replace(day=1)
    record.assign_tenant()
    record.amount_reporting = Decimal("0")
    if related_checked:
        record.full_clean(
            exclude=["amount_reporting", "tenant", "account", "partner", "registration"],
            validate_constraints=False,
        )
    else:
        record.full_clean(exclude=["amount_reporting"])
    record.amount_reporting = to_reporting(record.amount, record.currency, tenant=access.tenant)
    return record


@transaction.atomic
def revenue_record_create(*, access: TenantAccess, fields: Mapping[str, Any]) -> RevenueRecord:
    """Record one month of revenue for an account, attributed to a partner or direct."""
    require(access, Perm.MANAGE_PARTNERS)
    record = _build_revenue_record(access, fields)
    record.save()
    audit.record(
        access=access,
        verb="revenue.recorded",
        target=record,
        after={
            "kind": record.kind,
            "amount": str(record.amount),
            "currency": record.currency,
            "period": str(record.period),
        },
        partner_id=record.partner_id,
    )
    return record


@transaction.atomic
def revenue_records_bulk_create(
    *, access: TenantAccess, rows: list[Mapping[str, Any]]
) -> list[RevenueRecord]:
    """All rows or none: any invalid row refuses the whole batch, naming the row and field."""
    require(access, Perm.MANAGE_PARTNERS)
    records, errors = [], {}
    for index, fields in enumerate(rows, start=1):
        try:
            records.append(_build_revenue_record(access, fields))
        except ValidationError as error:
            for field, messages in getattr(error, "message_dict", {"row": error.messages}).items():
                errors[f"row {index}: {field}"] = messages
    if errors:
        raise ValidationError(errors)
    created = RevenueRecord.objects.bulk_create(records, batch_size=1000)
    audit.record(
        access=access,
        verb="revenue.imported",
        target=access.tenant,
        after={"rows": len(created), "total": str(sum((r.amount_reporting for r in created), Decimal("0")))},
    )
    return created
