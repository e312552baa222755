"""Joint business plan metrics of the catalog. Each reads every partner of the set at once.

A partner's plan for a fiscal year is its signed plan (active or closed: partner approved and
the vendor executive signed). A plan figure for a period is made of the period's quarters, each
from the plan of its own fiscal year: a quarter is one quarter, a fiscal year four, and a
trailing four quarters the four quarters it spans (often across two plans). Every plan metric
means the same thing for every period kind.
"""

from __future__ import annotations

from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Count, Q

import prm.metrics
from partners.models import Partner
from prm.metrics import PARTNER, Metric, Unit, register
from prm.money import MoneySum
from prm.periods import FiscalPeriod

from .models import Investment, Plan, Side, Target

SIGNED = sorted(Plan.SIGNED)


def quarters_of(period: FiscalPeriod, prefix: str = "plan__") -> Q:
    """Rows of a plan's quarters within the period: (plan fiscal year, quarter) for each quarter."""
    return reduce(
        or_,
        (
            Q(**{f"{prefix}fiscal_year": q.fiscal_year, "quarter": q.quarter})
            for q in period.quarters_within()
        ),
    )


def _signed(tenant: Any, partner_ids: list[int], period: FiscalPeriod) -> dict[int, Any]:
    # The plan of the fiscal year the period ends in.
    rows = (
        Plan.objects.filter(partner_id__in=partner_ids, fiscal_year=period.fiscal_year, status__in=SIGNED)
        .order_by()
        .values("partner_id")
        .annotate(n=Count("pk"))
    )
    found = {row["partner_id"] for row in rows}
    return {pid: 1 if pid in found else 0 for pid in partner_ids}


def revenue_commitments(
    partner_ids: list[int], period: FiscalPeriod
) -> dict[int, dict[FiscalPeriod, Decimal]]:
    """Each partner's revenue commitment per quarter of the period, from the signed plan of that
    quarter's fiscal year (quarters without one are absent)."""
    rows = (
        Target.objects.filter(
            quarters_of(period),
            plan__partner_id__in=partner_ids,
            plan__status__in=SIGNED,
            kind=Target.Kind.REVENUE,
        )
        .order_by()
        .values("plan__partner_id", "plan__fiscal_year", "quarter")
        .annotate(total=MoneySum("value"))
    )
    found: dict[int, dict[FiscalPeriod, Decimal]] = {}
    for row in rows:
        if row["total"]:
            quarter = FiscalPeriod(period.start_month, row["plan__fiscal_year"], row["quarter"])
            found.setdefault(row["plan__partner_id"], {})[quarter] = row["total"]
    return found


def committed_revenue(
    tenant: Any, commitments: dict[int, dict[FiscalPeriod, Decimal]], period: FiscalPeriod
) -> dict[int, dict[FiscalPeriod, Decimal]]:
    """Each partner's exact revenue (catalog ``revenue``) in each quarter it has a commitment
    for, in one statement: attainment compares like with like, never a whole period's revenue
    with the commitments of some of its quarters."""
    if not commitments:
        return {}
    metric = prm.metrics.get("revenue")
    quarters = period.quarters_within()
    partners = Partner.objects.filter(pk__in=list(commitments)).values("id")
    values = prm.metrics.compute_grouped(
        metric, tenant=tenant, partners=partners, groupings=[PARTNER], periods=quarters, exact=True
    )
    return {
        pid: {q: Decimal(values.get((q.label, PARTNER, str(pid))) or 0) for q in committed}
        for pid, committed in commitments.items()
    }


def _revenue_attainment(tenant: Any, partner_ids: list[int], period: FiscalPeriod) -> dict[int, Any]:
    commitments = revenue_commitments(partner_ids, period)
    revenue = committed_revenue(tenant, commitments, period)
    return {
        pid: prm.metrics.ratio(sum(revenue[pid].values(), Decimal(0)), sum(committed.values(), Decimal(0)))
        for pid, committed in commitments.items()
    }


def _mdf_commitment(tenant: Any, partner_ids: list[int], period: FiscalPeriod) -> dict[int, Any]:
    # A commitment for a quarter counts in that quarter; one for the whole year counts a quarter
    # of it in each of the year's quarters within the period (all of it for the fiscal year).
    quarters = period.quarters_within()
    years = sorted({q.fiscal_year for q in quarters})
    base = Investment.objects.filter(
        plan__partner_id__in=partner_ids,
        plan__fiscal_year__in=years,
        plan__status__in=SIGNED,
        side=Side.VENDOR,
        kind=Investment.Kind.MDF,
        amount__isnull=False,
    )
    rows = (
        base.order_by()
        .values("plan__partner_id", "plan__fiscal_year")
        .annotate(
            quarterly=MoneySum("amount", filter=quarters_of(period, prefix="plan__")),
            yearly=MoneySum("amount", filter=Q(quarter__isnull=True)),
        )
    )
    result: dict[int, Decimal] = {}
    for row in rows:
        share = Decimal(sum(1 for q in quarters if q.fiscal_year == row["plan__fiscal_year"])) / 4
        value = (row["quarterly"] or Decimal(0)) + (row["yearly"] or Decimal(0)) * share
        pid = row["plan__partner_id"]
        result[pid] = result.get(pid, Decimal(0)) + value
    return result


METRICS = [
    Metric(
        "jbp_signed",
        "Signed joint business plan",
        Unit.COUNT,
        _signed,
        "1 when the partner has a signed plan (partner approved and vendor executive signed: active or closed) "
        "for the fiscal year the period ends in, else 0.",
    ),
    Metric(
        "jbp_revenue_attainment",
        "Plan revenue attainment",
        Unit.RATIO,
        _revenue_attainment,
        "The partner's revenue (catalog metric revenue) in the quarters of the period it has a revenue commitment "
        "for ÷ those commitments, each from the signed plan of that quarter's fiscal year (a trailing four quarters "
        "spans two plans; a quarter without a commitment counts on neither side); empty with no commitment.",
    ),
    Metric(
        "jbp_mdf_commitment",
        "Plan MDF commitment",
        Unit.MONEY,
        _mdf_commitment,
        "The vendor's MDF investment committed in the partner's signed plans for the period's quarters (each from "
        "the plan of its own fiscal year): quarterly commitments of those quarters, plus a quarter of a plan's "
        "whole-year commitment for each of its quarters in the period (all of it for the fiscal year).",
    ),
]


def register_all() -> None:
    for metric in METRICS:
        register(metric)
