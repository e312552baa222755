"""End-customer accounts (matching, merging, the pre-check) and the vendor's own opportunities."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from prm import audit
from prm.access import TenantAccess, require
from prm.domains import normalize_domain
from prm.models import Membership
from prm.permissions import STAFF_ROLES, Perm

from ..models import (
    Account,
    DealRegistration,
    RevenueRecord,
    VendorOpportunity,
    normalize_name,
)

Status = DealRegistration.Status


# --- accounts ----------------------------------------------------------------------------------


def surviving_account(account: Account) -> Account:
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
    return surviving_account(account) if account is not None else None


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
    if duplicate.pk == into.pk or surviving_account(into).pk == duplicate.pk:
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
        open_registrations_on(account).exclude(partner_id=access.partner_id)
        if access.is_partner
        else (open_registrations_on(account))
    )
    open_count = others.count()
    vendor = VendorOpportunity.objects.filter(account=account, is_open=True).exists()
    return {
        "conflict": bool(open_count or vendor),
        "open_registrations": open_count,
        "vendor_opportunity": vendor,
        "known_account": True,
    }


def open_registrations_on(account: Account):
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
        open_registrations_on(opportunity.account).update(has_conflict=True)


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
