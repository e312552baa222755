"""The executive dashboard: every figure by group, the trend, portfolio balance, plans and incentives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

import prm.metrics as catalog
from incentives import queries as incentive_queries
from jbp import queries as jbp_queries
from partners import queries as partner_queries
from partners.vocab import Classification
from prm.access import TenantAccess
from prm.metrics import PARTNER, TOTAL, Metric, Unit
from prm.periods import FiscalPeriod
from prm.replica import read_connection
from tiering import queries as tiering_queries

from .common import (
    CLASS,
    CLASS_LABELS,
    HEADLINE,
    TIER,
    TOP_N,
    UNTIERED,
    change,
    in_program,
    partners_grouping,
    tier_counts,
    trend_quarters,
)


@dataclass
class Cell:
    value: Any
    previous: Any
    change: dict[str, Any] | None
    group: str  # the drill-down's group argument, e.g. "class_key:strategic"


@dataclass
class Figure:
    key: str
    label: str
    unit: str
    definition: str
    total: Cell
    by_class: dict[str, Cell]
    by_tier: dict[int | None, Cell]
    top: list[tuple[int, Any]]
    bottom: list[tuple[int, Any]]
    active_partners: int
    trend: dict[str, list[Any]] = field(default_factory=dict)  # series name → value per quarter


@dataclass
class TierRow:
    key: int | None
    name: str
    classification: str
    partners: int


@dataclass
class Dashboard:
    period: FiscalPeriod
    previous: FiscalPeriod
    quarters: list[FiscalPeriod]
    figures: list[Figure]
    tiers: list[TierRow]
    partner_names: dict[int, str]
    partner_count: int
    strategic_count: int
    tactical_count: int
    untiered_count: int
    concentration: dict[str, Any]
    computed_at: datetime
    strategic_cap: int | None = None
    alerts: list[dict[str, Any]] = field(default_factory=list)
    movements: list[dict[str, Any]] = field(default_factory=list)
    score_bands: list[tuple[str, int]] = field(default_factory=list)
    scored_partners: int = 0
    plans: list[dict[str, Any]] = field(default_factory=list)
    incentives: list[dict[str, Any]] = field(default_factory=list)
    roi_by_tier: list[dict[str, Any]] = field(default_factory=list)
    statements: int = 0
    cached: bool = False

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)


def _cell(
    metric: Metric, values: dict, period: FiscalPeriod, previous: FiscalPeriod, grouping: str, key: str
) -> Cell:
    # ``values`` are exact: the change is computed from them, the cell shows them rounded.
    now = values.get((period.label, grouping, key), metric.empty_value)
    before = values.get((previous.label, grouping, key), metric.empty_value)
    return Cell(
        metric.rounded(now),
        metric.rounded(before),
        change(metric, now, before),
        f"{grouping}:{key}" if grouping != TOTAL else "total",
    )


def top_and_bottom(
    metric: Metric, values: dict[int, Any], partner_ids: list[int]
) -> tuple[list[tuple[int, Any]], list[tuple[int, Any]]]:
    """The five best and the five weakest partners on a figure, never the same partner twice.

    Every partner counts: one without data has the metric's empty value (0 for a sum), so the
    bottom list names the partners with nothing. A ratio without data (no deal decided) has no
    value and is in neither list; a sum of nothing is never in the top. Ties go to the lower
    partner id."""
    scored = []
    for pid in partner_ids:
        value = values.get(pid, metric.empty_value)
        if value is not None:
            scored.append((pid, value))
    ranked = sorted(scored, key=lambda item: (-Decimal(item[1]), item[0]))
    is_sum = metric.unit in (Unit.MONEY, Unit.COUNT)
    top = [item for item in ranked if not is_sum or item[1]][:TOP_N]
    rest = [item for item in ranked if item not in top]
    bottom = sorted(rest, key=lambda item: (Decimal(item[1]), item[0]))[:TOP_N]
    return (
        [(pid, metric.rounded(value)) for pid, value in top],
        [(pid, metric.rounded(value)) for pid, value in bottom],
    )


def compute_figure(
    access: TenantAccess,
    metric: Metric,
    period: FiscalPeriod,
    tiers: list[TierRow],
    partner_ids: list[int] | None = None,
    quarters: list[FiscalPeriod] | None = None,
) -> Figure:
    """One headline metric: total, by classification, by tier (tiers as at the period's end), per
    partner (for top and bottom), this period and the previous one, in one statement; with
    ``quarters``, the trend too, in the same statement, each period computed once (the trend's
    quarters contain the period and the previous one when they are quarters)."""
    tenant = access.tenant
    previous = period.previous()
    grouping = partners_grouping(access, period.end)
    values = catalog.compute_grouped(
        metric,
        tenant=tenant,
        partners=grouping,
        groupings=[PARTNER, TIER, CLASS, TOTAL],
        periods=[period, previous, *(quarters or [])],
        exact=True,
        only={PARTNER: [period], TIER: [period, previous]},
    )
    per_partner = {
        int(key): value
        for (label, group, key), value in values.items()
        if label == period.label and group == PARTNER
    }
    if partner_ids is None:
        partner_ids = [row["id"] for row in grouping]
    top, bottom = top_and_bottom(metric, per_partner, partner_ids)
    by_tier = {
        row.key: _cell(metric, values, period, previous, TIER, "" if row.key is None else str(row.key))
        for row in tiers
    }
    figure = Figure(
        key=metric.key,
        label=metric.label,
        unit=metric.unit,
        definition=metric.definition,
        total=_cell(metric, values, period, previous, TOTAL, ""),
        by_class={name: _cell(metric, values, period, previous, CLASS, name) for name in CLASS_LABELS},
        by_tier=by_tier,
        top=top,
        bottom=bottom,
        active_partners=sum(1 for value in per_partner.values() if value is not None),
    )
    if quarters:
        # The trend's classes are as at the last quarter's end, which is the period's end.
        assert quarters[-1].end == period.end
        figure.trend = _trend_series(
            metric, {slot: metric.rounded(v) for slot, v in values.items()}, quarters
        )
    return figure


def compute_trend(access: TenantAccess, metric: Metric, quarters: list[FiscalPeriod]) -> dict[str, list[Any]]:
    """The metric per quarter, strategic, tactical and all (classes as at the last quarter's end)."""
    tenant = access.tenant
    values = catalog.compute_grouped(
        metric,
        tenant=tenant,
        partners=partners_grouping(access, quarters[-1].end),
        groupings=[CLASS, TOTAL],
        periods=quarters,
    )
    return _trend_series(metric, values, quarters)


def _trend_series(metric: Metric, values: dict, quarters: list[FiscalPeriod]) -> dict[str, list[Any]]:
    series = {
        "Strategic": [
            values.get((q.label, CLASS, Classification.STRATEGIC.value), metric.empty_value) for q in quarters
        ],
        "Tactical": [
            values.get((q.label, CLASS, Classification.TACTICAL.value), metric.empty_value) for q in quarters
        ],
    }
    series["All partners"] = [values.get((q.label, TOTAL, ""), metric.empty_value) for q in quarters]
    return series


def tier_rows(
    access: TenantAccess, as_of: date | None = None, members: list[dict[str, Any]] | None = None
) -> list[TierRow]:
    """Tiers by rank with their partner counts (as at the end of ``as_of``; ``members``: the rows
    of ``partners_grouping`` for that day, when already read), and a row for partners without a tier."""
    counted = tier_counts(members if members is not None else list(partners_grouping(access, as_of)))
    rows = [
        TierRow(t.pk, t.name, t.classification, counted.get(t.pk, 0)) for t in tiering_queries.tiers(access)
    ]
    if counted.get(None):
        rows.append(TierRow(None, "No tier", UNTIERED, counted[None]))
    return rows


CONCENTRATION_METRIC = "revenue_sourced"


def concentration(access: TenantAccess, period: FiscalPeriod) -> dict[str, Any]:
    """The top partner's and the top five's share of partner-sourced revenue in the period
    (catalog metric ``revenue_sourced``), over every partner the caller sees."""
    metric = catalog.get(CONCENTRATION_METRIC)
    values = catalog.compute_grouped(
        metric,
        tenant=access.tenant,
        partners=partners_grouping(access),
        groupings=[PARTNER],
        periods=[period],
        exact=True,
    )
    ranked = sorted(
        ((int(key), value) for (_, _, key), value in values.items() if value),
        key=lambda item: (-item[1], item[0]),
    )
    total = sum((value for _, value in ranked), Decimal(0))
    if not total:
        return {"top1": None, "top5": None, "top1_partner": None, "total": metric.rounded(total)}
    return {
        "top1": catalog.rounded(Unit.RATIO, ranked[0][1] / total),
        "top5": catalog.rounded(Unit.RATIO, sum(value for _, value in ranked[:TOP_N]) / total),
        "top1_partner": ranked[0][0],
        "total": metric.rounded(total),
        "definition": metric.definition,
    }


def _aggregation_memory() -> None:
    """Give this transaction's aggregates room to hash in memory (PostgreSQL's default of 4 MB
    makes the per-account NRR grouping sort on disk at a few hundred thousand records)."""
    connection = read_connection()
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")


def compute_dashboard(access: TenantAccess, period: FiscalPeriod) -> Dashboard:
    """Every figure of the executive dashboard, computed now (no cache)."""
    _aggregation_memory()
    members = [row for row in partners_grouping(access, period.end) if in_program(row, period)]
    tiers = tier_rows(access, period.end, members)
    quarters = trend_quarters(period)
    partner_ids = [row["id"] for row in members]
    figures = []
    for key in HEADLINE:
        metric = catalog.get(key)
        figures.append(compute_figure(access, metric, period, tiers, partner_ids, quarters))
    shares = concentration(access, period)
    ids = {pid for f in figures for pid, _ in (*f.top, *f.bottom)} | {shares["top1_partner"]} - {None}
    names = partner_queries.partner_names(access, ids)
    counts: dict[str, int] = {}
    for row in tiers:
        counts[row.classification] = counts.get(row.classification, 0) + row.partners
    balance = tiering_queries.portfolio_balance(access)
    dashboard = Dashboard(
        period=period,
        previous=period.previous(),
        quarters=quarters,
        figures=figures,
        tiers=tiers,
        partner_names=names,
        partner_count=sum(counts.values()),
        strategic_count=counts.get(Classification.STRATEGIC.value, 0),
        tactical_count=counts.get(Classification.TACTICAL.value, 0),
        untiered_count=counts.get(UNTIERED, 0),
        concentration=shares,
        computed_at=timezone.now(),
        strategic_cap=balance["strategic_cap"],
        alerts=[
            {
                "kind": a.get_kind_display(),
                "partner_id": a.partner_id,
                "partner": a.partner.name,
                "message": a.message,
            }
            for a in balance["alerts"]
        ],
        movements=tier_movements(access, period),
    )
    dashboard.score_bands, dashboard.scored_partners = score_distribution(access, period)
    dashboard.plans = plan_attainment(access, period)
    dashboard.incentives, dashboard.roi_by_tier = incentive_figures(access, period)
    return dashboard


INCENTIVE_METRICS = ["mdf_allocated", "mdf_paid", "rebate_accrued", "rebate_forecast"]


def incentive_figures(
    access: TenantAccess, period: FiscalPeriod
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """MDF utilisation and rebate liability (incentives' catalog metrics) for all partners,
    strategic and tactical, and MDF ROI per tier (incentives' query)."""
    tenant = access.tenant

    rows = []
    for key in INCENTIVE_METRICS:
        metric = catalog.get(key)
        values = catalog.compute_grouped(
            metric,
            tenant=tenant,
            partners=partners_grouping(access, period.end),
            groupings=[CLASS, TOTAL],
            periods=[period],
        )
        rows.append(
            {
                "key": key,
                "label": metric.label,
                "unit": metric.unit,
                "total": values.get((period.label, TOTAL, ""), metric.empty_value),
                "strategic": values.get(
                    (period.label, CLASS, Classification.STRATEGIC.value), metric.empty_value
                ),
                "tactical": values.get(
                    (period.label, CLASS, Classification.TACTICAL.value), metric.empty_value
                ),
            }
        )
    roi = incentive_queries.roi_by_tier(access, period)
    return rows, roi


def plan_attainment(access: TenantAccess, period: FiscalPeriod) -> list[dict[str, Any]]:
    """JBP attainment of the signed plans (jbp): revenue committed for the period's quarters (each
    from the plan of its fiscal year), actual (catalog ``revenue``), attainment and status (on
    track, at risk, behind), the same for a quarter, a fiscal year and a trailing four quarters."""
    tenant = access.tenant
    return [
        {
            "plan_id": row.plan_id,
            "partner_id": row.partner_id,
            "partner": row.partner_name,
            "plan": row.plan_title,
            "commitment": row.commitment,
            "actual": row.actual,
            "attainment": row.attainment,
            "status": row.status_label,
        }
        for row in jbp_queries.plan_attainment_statuses(tenant=tenant, period=period)
    ]


def tier_movements(
    access: TenantAccess, period: FiscalPeriod, *, partner_id: int | None = None
) -> list[dict[str, Any]]:
    """Tier changes that took effect in the period (promotions and demotions), from tiering."""
    changes = tiering_queries.tier_movements(access, period)
    if partner_id is not None:
        changes = changes.filter(partner_id=partner_id)
    return [
        {
            "partner_id": change.partner_id,
            "partner": change.partner.name,
            "from": change.from_tier.name if change.from_tier else "No tier",
            "to": change.to_tier.name if change.to_tier else "No tier",
            "up": bool(
                change.to_tier and (change.from_tier is None or change.to_tier.rank < change.from_tier.rank)
            ),
            "on": change.changed_at.date(),
        }
        for change in changes
    ]


SCORE_BANDS = [(0, 20), (20, 40), (40, 60), (60, 80), (80, 101)]


def score_distribution(access: TenantAccess, period: FiscalPeriod) -> tuple[list[tuple[str, int]], int]:
    """Partners per band of the catalog's ``partner_score`` at the period's end (latest score)."""
    tenant = access.tenant
    ids = list(partner_queries.partners(access).values_list("pk", flat=True))
    scores = [
        v
        for v in catalog.get("partner_score").compute(tenant=tenant, partner_ids=ids, period=period).values()
        if v is not None
    ]
    bands = [
        (f"{low}–{min(high, 100)}", sum(1 for v in scores if low <= v < high)) for low, high in SCORE_BANDS
    ]
    return bands, len(scores)
