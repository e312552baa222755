"""Joint business plan metrics of the catalog. Each reads every partner of the set at once.

A partner's plan for a period is its signed plan (active or closed: partner approved and the
vendor executive signed) of the fiscal year that contains the period.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q

import prm.metrics
from prm.metrics import Metric, Unit, register
from prm.money import MoneySum
from prm.periods import FiscalPeriod

from .models import Investment, Plan, Side, Target

SIGNED = sorted(Plan.SIGNED)


def _quarters(period: FiscalPeriod) -> list[int]:
    return [period.quarter] if period.quarter else [1, 2, 3, 4]


def _signed(tenant: Any, partner_ids: list[int], period: FiscalPeriod) -> dict[int, Any]:
    rows = (
        Plan.objects.filter(partner_id__in=partner_ids, fiscal_year=period.fiscal_year, status__in=SIGNED)
        .order_by()
        .values("partner_id")
        .annotate(n=Count("pk"))
    )
    found = {row["partner_id"] for row in rows}
    return {pid: 1 if pid in found else 0 for pid in partner_ids}


def _commitments(partner_ids: list[int], period: FiscalPeriod) -> dict[int, Decimal]:
    rows = (
        Target.objects.filter(
            plan__partner_id__in=partner_ids,
            plan__fiscal_year=period.fiscal_year,
            plan__status__in=SIGNED,
            kind=Target.Kind.REVENUE,
            quarter__in=_quarters(period),
        )
        .order_by()
        .values("plan__partner_id")
        .annotate(total=MoneySum("value"))
    )
    return {row["plan__partner_id"]: row["total"] for row in rows if row["total"]}


def _revenue_attainment(tenant: Any, partner_ids: list[int], period: FiscalPeriod) -> dict[int, Any]:
    commitments = _commitments(partner_ids, period)
    if not commitments:
        return {}
    revenue = prm.metrics.get("revenue").compute(tenant=tenant, partner_ids=list(commitments), period=period)
    return {
        pid: (Decimal(revenue.get(pid) or 0) / commitment).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        for pid, commitment in commitments.items()
    }


def _mdf_commitment(tenant: Any, partner_ids: list[int], period: FiscalPeriod) -> dict[int, Any]:
    # A commitment for a quarter counts in that quarter; one for the whole year counts fully
    # in the year and a quarter of it in each quarter.
    base = Investment.objects.filter(
        plan__partner_id__in=partner_ids,
        plan__fiscal_year=period.fiscal_year,
        plan__status__in=SIGNED,
        side=Side.VENDOR,
        kind=Investment.Kind.MDF,
        amount__isnull=False,
    )
    rows = (
        base.order_by()
        .values("plan__partner_id")
        .annotate(
            quarterly=MoneySum("amount", filter=Q(quarter__in=_quarters(period))),
            yearly=MoneySum("amount", filter=Q(quarter__isnull=True)),
        )
    )
    share = Decimal(1) if period.quarter is None else Decimal("0.25")
    return {
        row["plan__partner_id"]: (
            (row["quarterly"] or Decimal(0)) + (row["yearly"] or Decimal(0)) * share
        ).quantize(Decimal("0.01"), ROUND_HALF_UP)
        for row in rows
    }


METRICS = [
    Metric(
        "jbp_signed",
        "Signed joint business plan",
        Unit.COUNT,
        _signed,
        "1 when the partner has a signed plan (partner approved and vendor executive signed: active or closed) "
        "for the fiscal year containing the period, else 0.",
    ),
    Metric(
        "jbp_revenue_attainment",
        "Plan revenue attainment",
        Unit.RATIO,
        _revenue_attainment,
        "The partner's revenue in the period (catalog metric revenue) ÷ the revenue commitments of its signed plan "
        "for the quarters in the period; empty with no signed plan or no commitment.",
    ),
    Metric(
        "jbp_mdf_commitment",
        "Plan MDF commitment",
        Unit.MONEY,
        _mdf_commitment,
        "The vendor's MDF investment committed in the partner's signed plan for the period: quarterly commitments "
        "of the period's quarters, plus whole-year commitments (in full for the year, a quarter of them per quarter).",
    ),
]


def register_all() -> None:
    for metric in METRICS:
        register(metric)
