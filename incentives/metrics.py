"""Incentive metrics of the catalog: the MDF ledger per partner, MDF ROI and rebate liability.

A fund or rebate program counts in a period when its own period starts within it (a quarter's
fund counts in that quarter and in its fiscal year). Amounts are in the tenant's reporting
currency (funds and programs are kept in it). One aggregate query grouped by partner each.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import prm.metrics
from prm.metrics import Metric, Unit, register
from prm.money import MoneySum
from prm.periods import FiscalPeriod

from .models import Allocation, RebateAccrual


def _ledger(column: str):
    def compute(tenant: Any, partner_ids: list[int], period: FiscalPeriod) -> dict[int, Any]:
        rows = (
            Allocation.objects.filter(
                partner_id__in=partner_ids, fund__starts_on__gte=period.start, fund__starts_on__lte=period.end
            )
            .order_by()
            .values("partner_id")
            .annotate(value=MoneySum(column))
        )
        return {row["partner_id"]: row["value"] for row in rows}

    return compute


def _accrual(column: str):
    def compute(tenant: Any, partner_ids: list[int], period: FiscalPeriod) -> dict[int, Any]:
        rows = (
            RebateAccrual.objects.filter(
                partner_id__in=partner_ids,
                program__starts_on__gte=period.start,
                program__starts_on__lte=period.end,
            )
            .order_by()
            .values("partner_id")
            .annotate(value=MoneySum(column))
        )
        return {row["partner_id"]: row["value"] for row in rows}

    return compute


def _roi(tenant: Any, partner_ids: list[int], period: FiscalPeriod) -> dict[int, Any]:
    paid = _ledger("paid")(tenant, partner_ids, period)
    sourced = prm.metrics.get("pipeline_sourced").compute(
        tenant=tenant, partner_ids=partner_ids, period=period
    )
    result: dict[int, Any] = {}
    for pid in partner_ids:
        spent = paid.get(pid) or Decimal(0)
        result[pid] = (Decimal(sourced.get(pid) or 0) / spent).quantize(Decimal("0.0001")) if spent else None
    return result


METRICS = [
    Metric(
        "mdf_allocated",
        "MDF allocated",
        Unit.MONEY,
        _ledger("allocated"),
        "MDF allocated to the partner from funds of the period.",
    ),
    Metric(
        "mdf_committed",
        "MDF committed",
        Unit.MONEY,
        _ledger("committed"),
        "Approved fund requests and approved claims.",
    ),
    Metric("mdf_claimed", "MDF claimed", Unit.MONEY, _ledger("claimed"), "Claims approved by finance."),
    Metric("mdf_paid", "MDF paid", Unit.MONEY, _ledger("paid"), "Payouts recorded against approved claims."),
    Metric(
        "mdf_roi",
        "MDF ROI",
        Unit.RATIO,
        _roi,
        "Pipeline sourced in the period per unit of MDF paid from the period's funds (empty when nothing was paid).",
    ),
    Metric(
        "rebate_accrued",
        "Rebate accrued",
        Unit.MONEY,
        _accrual("amount"),
        "Rebate earned to date in programs of the period.",
    ),
    Metric(
        "rebate_forecast",
        "Rebate forecast",
        Unit.MONEY,
        _accrual("forecast_amount"),
        "Projected rebate at period end, with the open pipeline weighted by stage probability.",
    ),
]


def register_all() -> None:
    for metric in METRICS:
        register(metric)
