"""Reads of incentives. Each takes the caller's access: partner roles are confined to their own
partner by construction; ``access_*`` helpers give the same 404 for "missing" and "not yours"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, ExpressionWrapper, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

import prm.metrics
from partners.models import Partner
from prm.access import TenantAccess
from prm.money import MoneySum
from prm.periods import FiscalPeriod

from .models import (
    ZERO,
    Allocation,
    Claim,
    Fund,
    FundRequest,
    Payout,
    RebateAccrual,
    RebateProgram,
    RebateStatement,
)


def _mine(access: TenantAccess, qs: QuerySet, field: str = "partner_id") -> QuerySet:
    return qs.filter(**{field: access.require_partner()}) if access.is_partner else qs


# --- MDF ---------------------------------------------------------------------------------------


def funds(access: TenantAccess) -> QuerySet[Fund]:
    qs = Fund.objects.prefetch_related("eligible_tiers")
    if access.is_partner:
        qs = qs.filter(allocations__partner_id=access.require_partner()).distinct()
    return qs


def access_fund(access: TenantAccess, fund_id: int) -> Fund:
    if access.is_partner:
        raise Http404
    fund = funds(access).filter(pk=fund_id).first()
    if fund is None:
        raise Http404
    return fund


def allocations(access: TenantAccess) -> QuerySet[Allocation]:
    return _mine(access, Allocation.objects.select_related("fund", "partner", "partner__tier"))


def fund_requests(access: TenantAccess) -> QuerySet[FundRequest]:
    return _mine(
        access,
        FundRequest.objects.select_related(
            "partner", "allocation__fund", "requested_by", "requested_by_key", "decided_by", "decided_by_key"
        ),
    )


def access_fund_request(access: TenantAccess, request_id: int) -> FundRequest:
    request = fund_requests(access).prefetch_related("claims").filter(pk=request_id).first()
    if request is None:
        raise Http404
    return request


def claims(access: TenantAccess) -> QuerySet[Claim]:
    return _mine(
        access,
        Claim.objects.select_related(
            "partner",
            "request__allocation__fund",
            "submitted_by",
            "submitted_by_key",
            "decided_by",
            "decided_by_key",
        ),
    )


def access_claim(access: TenantAccess, claim_id: int) -> Claim:
    claim = (
        claims(access).prefetch_related("documents", "payouts", "registrations").filter(pk=claim_id).first()
    )
    if claim is None:
        raise Http404
    return claim


def payouts(access: TenantAccess) -> QuerySet[Payout]:
    return _mine(access, Payout.objects.select_related("partner", "claim__request__allocation__fund"))


def expiring_approvals(access: TenantAccess, within_days: int = 30) -> QuerySet[FundRequest]:
    """Approved, unclaimed requests whose fund's claim deadline is within ``within_days``."""
    today = timezone.localdate()
    return (
        fund_requests(access)
        .filter(
            status=FundRequest.Status.APPROVED,
            allocation__fund__claim_deadline__gte=today,
            allocation__fund__claim_deadline__lte=today + timedelta(days=within_days),
        )
        .exclude(claims__status=Claim.Status.SUBMITTED)
        .order_by("allocation__fund__claim_deadline", "pk")
    )


def fund_reallocation_suggestions(fund: Fund, limit: int = 5) -> QuerySet[Allocation]:
    """Partners that have used most of their allocation: candidates for money coming back."""
    return (
        Allocation.objects.filter(fund=fund, allocated__gt=0, committed__gt=0)
        .select_related("partner")
        .annotate(used_ratio=ExpressionWrapper(F("committed") / F("allocated"), output_field=DecimalField()))
        .order_by("-used_ratio", "partner__name")[:limit]
    )


@dataclass(frozen=True)
class Balance:
    allocated: Decimal = ZERO
    committed: Decimal = ZERO
    claimed: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        return self.allocated - self.committed


def partner_balance(access: TenantAccess, partner_id: int, today: date | None = None) -> Balance:
    """A partner's MDF ledger over funds whose claim deadline has not passed."""
    today = today or timezone.localdate()
    totals = Allocation.objects.filter(partner_id=partner_id, fund__claim_deadline__gte=today).aggregate(
        allocated=MoneySum("allocated"),
        committed=MoneySum("committed"),
        claimed=MoneySum("claimed"),
        paid=MoneySum("paid"),
    )
    return Balance(**{k: v or ZERO for k, v in totals.items()})


# --- rebates -----------------------------------------------------------------------------------


def programs(access: TenantAccess) -> QuerySet[RebateProgram]:
    return RebateProgram.objects.prefetch_related("bands", "eligible_tiers")


def access_program(access: TenantAccess, program_id: int) -> RebateProgram:
    if access.is_partner:
        raise Http404
    program = programs(access).filter(pk=program_id).first()
    if program is None:
        raise Http404
    return program


def accruals(access: TenantAccess) -> QuerySet[RebateAccrual]:
    return _mine(access, RebateAccrual.objects.select_related("program", "partner"))


def statements(access: TenantAccess) -> QuerySet[RebateStatement]:
    qs = _mine(
        access, RebateStatement.objects.select_related("program", "partner", "approved_by", "approved_by_key")
    )
    if access.is_partner:  # the partner sees a statement once finance approved it
        qs = qs.exclude(status=RebateStatement.Status.DRAFT)
    return qs


def access_statement(access: TenantAccess, statement_id: int) -> RebateStatement:
    statement = statements(access).filter(pk=statement_id).first()
    if statement is None:
        raise Http404
    return statement


# --- for finance and the executive dashboard ---------------------------------------------------


def liability(access: TenantAccess, period: FiscalPeriod) -> dict[str, Any]:
    """Fund utilisation and rebate liability for the funds and programs of ``period``.

    ``funds``: budget, allocated, committed, claimed, paid, and utilisation (paid + claimed
    outstanding over budget is not used: utilisation = committed / budget, None for no budget).
    ``rebates``: accrued to date, forecast at period end, approved on statements, paid.
    """
    in_period = Q(starts_on__gte=period.start, starts_on__lte=period.end)
    fund_totals = Fund.objects.filter(in_period).aggregate(
        budget=MoneySum("budget"),
        allocated=MoneySum("allocated"),
        committed=MoneySum("committed"),
        claimed=MoneySum("claimed"),
        paid=MoneySum("paid"),
    )
    fund_totals = {k: v or ZERO for k, v in fund_totals.items()}
    budget = fund_totals["budget"]
    fund_totals["utilisation"] = (
        prm.metrics.rounded_ratio(fund_totals["committed"] / budget) if budget else None
    )
    program_q = Q(program__starts_on__gte=period.start, program__starts_on__lte=period.end)
    accrued = RebateAccrual.objects.filter(program_q).aggregate(
        accrued=MoneySum("amount"), forecast=MoneySum("forecast_amount")
    )
    stated = RebateStatement.objects.filter(program_q).aggregate(
        approved=MoneySum("amount", filter=~Q(status=RebateStatement.Status.DRAFT)),
        paid=MoneySum("paid_amount"),
    )
    rebates = {
        "accrued": accrued["accrued"] or ZERO,
        "forecast": accrued["forecast"] or ZERO,
        "approved": stated["approved"] or ZERO,
        "paid": stated["paid"] or ZERO,
    }
    rebates["outstanding"] = max(rebates["accrued"], rebates["approved"]) - rebates["paid"]
    return {"period": period.label, "funds": fund_totals, "rebates": rebates}


ROI_BY_TIER_RULE = (
    "Per tier (the partner's tier today): pipeline sourced in the period by the tier's partners that "
    "were paid MDF from the period's funds ÷ the MDF paid to them. Partners paid no MDF, and archived "
    "partners, are left out, so a tier's pipeline from unpaid partners is not counted."
)


def roi_by_tier(access: TenantAccess, period: FiscalPeriod) -> list[dict[str, Any]]:
    """MDF ROI per tier for ``period`` (``ROI_BY_TIER_RULE``): pipeline sourced by the tier's
    partners that were paid MDF, per unit of MDF paid to them, from the catalog's metrics (three
    queries)."""
    partners = list(
        Partner.objects.filter(archived_at__isnull=True).values_list("pk", "tier__name", "tier__rank")
    )
    ids = [pk for pk, _name, _rank in partners]
    paid = prm.metrics.get("mdf_paid").compute(tenant=access.tenant, partner_ids=ids, period=period)
    sourced = prm.metrics.get("pipeline_sourced").compute(
        tenant=access.tenant, partner_ids=ids, period=period
    )
    tiers: dict[tuple[int, str], dict[str, Decimal]] = {}
    for pk, name, rank in partners:
        if not paid.get(pk):
            continue  # only partners that received MDF: what their money sourced
        row = tiers.setdefault((rank or 999, name or "No tier"), {"paid": ZERO, "sourced": ZERO})
        row["paid"] += Decimal(paid.get(pk) or 0)
        row["sourced"] += Decimal(sourced.get(pk) or 0)
    return [
        {
            "tier": name,
            "paid": row["paid"],
            "sourced": row["sourced"],
            "roi": prm.metrics.rounded_ratio(row["sourced"] / row["paid"]) if row["paid"] else None,
        }
        for (_rank, name), row in sorted(tiers.items())
    ]


# --- a partner's incentives, for its QBR --------------------------------------------------------


def open_fund_requests(access: TenantAccess, partner_id: int, *, limit: int) -> list[FundRequest]:
    """The partner's fund requests still waiting (submitted) or approved and not yet claimed."""
    return list(
        fund_requests(access)
        .filter(partner_id=partner_id, status__in=[FundRequest.Status.SUBMITTED, FundRequest.Status.APPROVED])
        .order_by("starts_on", "pk")[:limit]
    )


def open_claims(access: TenantAccess, partner_id: int, *, limit: int) -> list[Claim]:
    """The partner's claims waiting for finance or approved and not yet fully paid."""
    return list(
        claims(access)
        .filter(partner_id=partner_id, status__in=[Claim.Status.SUBMITTED, Claim.Status.APPROVED])
        .select_related("request")
        .order_by("submitted_at", "pk")[:limit]
    )


def approved_statements(access: TenantAccess, partner_id: int, period: FiscalPeriod) -> list[RebateStatement]:
    """The partner's rebate statements of programs starting in ``period``, once finance approved them."""
    return list(
        statements(access)
        .filter(
            partner_id=partner_id, program__starts_on__gte=period.start, program__starts_on__lte=period.end
        )
        .exclude(status=RebateStatement.Status.DRAFT)
        .order_by("program__starts_on", "pk")
    )
