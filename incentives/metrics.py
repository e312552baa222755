"""Incentive metrics of the catalog: the MDF ledger per partner, MDF ROI and rebate liability.

A fund or rebate program counts in a period when its own period starts within it (a quarter's
fund counts in that quarter and in its fiscal year). Amounts are in the tenant's reporting
currency (funds and programs are kept in it). One aggregate query grouped by partner each.
"""

from __future__ import annotations

from typing import Any

import prm.metrics
from prm.metrics import Metric, Unit, register
from prm.money import MoneySum
from prm.periods import FiscalPeriod

from .models import Allocation, RebateAccrual

# The rows these figures leave out on purpose, stated once: the catalog's definitions and the
# pages that show the figures use these texts.
MDF_ROI_RULE = (
    "Pipeline sourced in the period ÷ MDF paid from the period's funds (funds starting in the period), "
    "per partner. Partners paid no MDF from those funds are left out: their value is empty, not zero, "
    "and their pipeline counts nowhere in the ratio."
)
REBATE_FORECAST_RULE = (
    "Rebate at period end on the basis to date plus open registrations (submitted or approved) "
    "expected to close from the accrual day to the period's end, weighted by stage (qualification 10 %, "
    "discovery 20 %, proposal 40 %, negotiation 60 %, commit 80 %). Registrations whose expected close "
    "date is before the accrual day (overdue) or after the period's end are left out. As of the last "
    "accrual, for partners whose tier is rebate eligible and listed by the program."
)


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
        tenant=tenant, partner_ids=partner_ids, period=period, exact=True
    )
    # Exact here; the catalog rounds the figure once when it hands it out.
    return {pid: prm.metrics.ratio(sourced.get(pid), paid.get(pid)) for pid in partner_ids}


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
        MDF_ROI_RULE,
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
        REBATE_FORECAST_RULE,
    ),
]


def register_all() -> None:
    for metric in METRICS:
        register(metric)
