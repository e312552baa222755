"""What every reporting read shares: the headline figures, the groups, periods and changes."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from partners import queries as partner_queries
from partners.vocab import Classification
from prm.access import TenantAccess
from prm.metrics import Metric, Unit
from prm.periods import FiscalPeriod, TrailingFourQuarters, fiscal_quarter_of, parse_period
from tiering import queries as tiering_queries

HEADLINE = [
    "pipeline_sourced",
    "pipeline_influenced",
    "deals_won_amount",
    "win_rate",
    "average_deal_size",
    "nrr",
    "revenue",
]
TIER = "tier_key"
CLASS = "class_key"
UNTIERED = "none"
CLASS_LABELS = {
    Classification.STRATEGIC.value: "Strategic",
    Classification.TACTICAL.value: "Tactical",
    UNTIERED: "No tier",
}
TREND_QUARTERS = 8
TOP_N = 5
TENTH = Decimal("0.1")


# --- periods -----------------------------------------------------------------------------------


PERIOD_KINDS = (("quarter", "Fiscal quarter"), ("year", "Fiscal year"), ("ttm", "Trailing four quarters"))


def default_period(access: TenantAccess) -> FiscalPeriod:
    """The last complete fiscal quarter (a QBR looks back at a finished quarter)."""
    tenant = access.tenant
    return fiscal_quarter_of(timezone.localdate(), tenant.fiscal_year_start_month).previous()


def period_from(access: TenantAccess, label: str | None) -> FiscalPeriod:
    """The period a URL names (``FY2026-Q3``, ``FY2026``, ``TTM-FY2026-Q3``), else the default.
    A malformed label is a 404 (a link that names no period shows nothing)."""
    tenant = access.tenant
    if not label:
        return default_period(access)
    try:
        return parse_period(label, tenant.fiscal_year_start_month)
    except ValueError:
        raise Http404("No such period") from None


def period_kind(period: FiscalPeriod) -> str:
    if isinstance(period, TrailingFourQuarters):
        return "ttm"
    return "year" if period.quarter is None else "quarter"


def last_quarter(period: FiscalPeriod) -> FiscalPeriod:
    if isinstance(period, TrailingFourQuarters):
        return period.last_quarter
    if period.quarter is None:
        return period.quarters()[-1]
    return period


def period_choices(
    access: TenantAccess, period: FiscalPeriod
) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Labels to choose from, per kind: the last twelve quarters, three years, eight TTM windows."""
    tenant = access.tenant
    start_month = tenant.fiscal_year_start_month
    newest = fiscal_quarter_of(timezone.localdate(), start_month)
    quarters = [newest]
    for _ in range(11):
        quarters.append(quarters[-1].previous())
    years = sorted({FiscalPeriod(start_month, q.fiscal_year) for q in quarters}, reverse=True)
    ttm = [TrailingFourQuarters(start_month, q.fiscal_year, q.quarter) for q in quarters[:8]]
    return [
        ("quarter", "Fiscal quarter", [(q.label, q.label) for q in quarters]),
        ("year", "Fiscal year", [(y.label, y.label) for y in years]),
        ("ttm", "Trailing four quarters", [(t.label, f"4 quarters to {t.last_quarter.label}") for t in ttm]),
    ]


def trend_quarters(period: FiscalPeriod) -> list[FiscalPeriod]:
    quarters = [last_quarter(period)]
    for _ in range(TREND_QUARTERS - 1):
        quarters.insert(0, quarters[0].previous())
    return quarters


# --- values --------------------------------------------------------------------------------------


def partners_grouping(access: TenantAccess, as_of: date | None = None) -> QuerySet[Any]:
    """Every partner the caller sees (for staff: the whole tenant) as ``id``, ``tier_key`` and
    ``class_key`` (``UNTIERED`` without a tier): the groups the metric catalog sums over.

    Tiers as they were: with ``as_of`` (a period's last day), each partner is grouped by the tier
    it held at the end of that day (from the tier history), so a closed quarter's figures by tier
    do not move when someone is promoted today."""
    partners = partner_queries.partners(access).order_by()
    classification: Any
    if as_of is None or as_of >= timezone.localdate():
        tier, classification = F("tier_id"), F("tier__classification")
    else:
        partners = partners.annotate(tier_then=tiering_queries.tier_at(as_of))
        tier, classification = F("tier_then"), tiering_queries.classification_of("tier_then")
    return partners.annotate(
        tier_key=tier,
        class_key=Coalesce(classification, Value(UNTIERED), output_field=CharField()),
    ).values("id", "tier_key", "class_key", "join_date", "archived_at")


def in_program(member: dict[str, Any], period: FiscalPeriod) -> bool:
    """Whether a partner (a row of ``partners_grouping``) was in the program during the period:
    joined by its end (or no join date recorded) and not archived before its start. Lists and
    counts of a period name only these; a figure still adds up every row of the period."""
    joined, archived = member["join_date"], member["archived_at"]
    return (joined is None or joined <= period.end) and (
        archived is None or timezone.localtime(archived).date() >= period.start
    )


def tier_counts(members: list[dict[str, Any]]) -> dict[int | None, int]:
    """How many of the partners (rows of ``partners_grouping``) each tier holds (None: no tier)."""
    counted: dict[int | None, int] = {}
    for row in members:
        counted[row["tier_key"]] = counted.get(row["tier_key"], 0) + 1
    return counted


def change(metric: Metric, value: Any, previous: Any) -> dict[str, Any] | None:
    """The change against the previous period: relative for sums, in points for ratios; from
    exact values (``compute_grouped(..., exact=True)``), rounded once to 0.1 half-up."""
    if value is None or previous is None:
        return None
    if metric.unit in (Unit.RATIO, Unit.SCORE):
        scale = 100 if metric.unit == Unit.RATIO else 1  # a ratio's points are percentage points
        points = (Decimal(value) - Decimal(previous)) * scale
        return {
            "kind": "points",
            "value": points.quantize(TENTH, ROUND_HALF_UP),
            "up": points > 0,
            "down": points < 0,
        }
    if not previous:
        return None
    relative = (Decimal(value) / Decimal(previous) - 1) * 100
    return {
        "kind": "percent",
        "value": relative.quantize(TENTH, ROUND_HALF_UP),
        "up": relative > 0,
        "down": relative < 0,
    }
