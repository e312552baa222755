"""Shared by the incentive services: role checks, money parsing, ledger locks, periods."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from partners.models import Tier
from pipeline.models import DealRegistration
from prm.models import Tenant
from prm.periods import FiscalPeriod, fiscal_quarter_of, parse_period

from ..models import (
    Allocation,
    Claim,
    Fund,
    FundRequest,
    FundTier,
    RebateProgram,
    RebateProgramTier,
)
from ..rates import cents

RequestStatus = FundRequest.Status
ClaimStatus = Claim.Status

# Proof of performance: what may be uploaded, recognised by extension AND by the file's first bytes.
PROOF_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK\x03\x04",)),
}
PROOF_MAX_FILES = 10

# JBP numbers arrive through the catalog (registered by the jbp app), looked up by key.
JBP_MDF_COMMITMENT = "jbp_mdf_commitment"
JBP_REVENUE_ATTAINMENT = "jbp_revenue_attainment"

# Open pipeline weighted by stage for the rebate forecast.
STAGE_PROBABILITY = {
    DealRegistration.Stage.QUALIFICATION: Decimal("0.10"),
    DealRegistration.Stage.DISCOVERY: Decimal("0.20"),
    DealRegistration.Stage.PROPOSAL: Decimal("0.40"),
    DealRegistration.Stage.NEGOTIATION: Decimal("0.60"),
    DealRegistration.Stage.COMMIT: Decimal("0.80"),
}


def proof_max_bytes() -> int:
    return int(getattr(settings, "MDF_PROOF_MAX_BYTES", 10 * 1024 * 1024))


def _money(value: Any, field: str, *, positive: bool = True) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: "Enter an amount such as 1250.00."}) from None
    if not amount.is_finite() or amount < 0 or (positive and amount == 0):
        raise ValidationError(
            {field: "Enter an amount greater than zero." if positive else "Enter zero or more."}
        )
    if amount != cents(amount):
        raise ValidationError({field: "Amounts have at most two decimals (cents)."})
    return cents(amount)


def _period(tenant: Tenant, label: str, field: str = "period") -> FiscalPeriod:
    try:
        return parse_period(label, tenant.fiscal_year_start_month)
    except ValueError as error:
        raise ValidationError({field: str(error)}) from None


def _check_ledger(obj: Fund | Allocation) -> None:
    top = obj.budget if isinstance(obj, Fund) else obj.allocated
    if not (
        top >= obj.allocated >= obj.committed >= obj.claimed >= obj.paid >= 0
    ):  # pragma: no cover - guard
        raise ValidationError("The MDF ledger would not balance; nothing was changed.")


def _save_ledgers(*objs: Fund | Allocation) -> None:
    for obj in objs:
        _check_ledger(obj)
        obj.save(update_fields=["allocated", "committed", "claimed", "paid", "updated_at"])


def _locked_fund(fund_id: int) -> Fund:
    return Fund.objects.select_for_update().get(pk=fund_id)


def _locked_allocation(allocation_id: int) -> Allocation:
    return Allocation.objects.select_for_update().select_related("partner").get(pk=allocation_id)


# --- funds and allocations ---------------------------------------------------------------------


def _set_tiers(
    link_model: type[FundTier] | type[RebateProgramTier],
    owner_field: str,
    owner: Any,
    tier_ids: Iterable[int],
) -> None:
    tier_ids = sorted(set(tier_ids))
    found = set(Tier.objects.filter(pk__in=tier_ids).values_list("pk", flat=True))
    if found != set(tier_ids):
        raise ValidationError({"eligible_tiers": "Choose tiers of this program."})
    link_model.objects.filter(**{owner_field: owner}).delete()
    link_model.objects.bulk_create(
        [link_model(**{owner_field: owner, "tier_id": tier_id}) for tier_id in tier_ids]
    )


def _period_of(fund_or_program: Fund | RebateProgram, tenant: Tenant) -> FiscalPeriod:
    return parse_period(fund_or_program.period, tenant.fiscal_year_start_month)


def current_quarter(tenant: Tenant) -> FiscalPeriod:
    return fiscal_quarter_of(timezone.localdate(), tenant.fiscal_year_start_month)
