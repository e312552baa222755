"""The numbers of the executive dashboard and the per-partner QBR, read from the metric catalog.

Every figure is a catalog metric computed by ``prm.metrics.compute_grouped``: one database
statement per metric gives the value per partner, per tier, per classification and in total for
the period and the previous one; one more gives the eight-quarter trend. Nothing here defines a
number a second time: top and bottom partners, concentration and changes are read off those
values. The page built from them is cached per tenant and period (``presenters.dashboard_page``);
any write to a tenant-owned row of the tenant (see ``reporting.cache``) makes the next request
recompute it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import CharField, Count, F, Q, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

import prm.metrics as catalog
from partners.models import Partner, Tier
from partners.vocab import Classification
from prm.access import TenantAccess
from prm.metrics import PARTNER, TOTAL, Metric, Unit
from prm.periods import FiscalPeriod, TrailingFourQuarters, fiscal_quarter_of, parse_period
from tiering import queries as tiering_queries

# The headline figures, in the order the dashboard shows them.
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


def partners_grouping():
    """Every partner of the tenant with its tier and classification (the groups of the dashboard)."""
    return (
        Partner.objects.order_by()
        .annotate(
            tier_key=F("tier_id"),
            class_key=Coalesce(F("tier__classification"), Value(UNTIERED), output_field=CharField()),
        )
        .values("id", "tier_key", "class_key")
    )


def change(metric: Metric, value: Any, previous: Any) -> dict[str, Any] | None:
    """The change against the previous period: relative for sums, in points for ratios."""
    if value is None or previous is None:
        return None
    if metric.unit in (Unit.RATIO, Unit.SCORE):
        scale = 100 if metric.unit == Unit.RATIO else 1  # a ratio's points are percentage points
        points = (Decimal(value) - Decimal(previous)) * scale
        return {
            "kind": "points",
            "value": points.quantize(Decimal("0.1")),
            "up": points > 0,
            "down": points < 0,
        }
    if not previous:
        return None
    relative = (Decimal(value) / Decimal(previous) - 1) * 100
    return {
        "kind": "percent",
        "value": relative.quantize(Decimal("0.1")),
        "up": relative > 0,
        "down": relative < 0,
    }


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
    now = values.get((period.label, grouping, key), metric.empty_value)
    before = values.get((previous.label, grouping, key), metric.empty_value)
    return Cell(
        now, before, change(metric, now, before), f"{grouping}:{key}" if grouping != TOTAL else "total"
    )


def _sort_key(value: Any) -> Decimal:
    return Decimal(value)


def compute_figure(
    access: TenantAccess, metric: Metric, period: FiscalPeriod, tiers: list[TierRow]
) -> Figure:
    """One headline metric: total, by classification, by tier, per partner (for top and bottom),
    this period and the previous one, in one statement; the trend in a second."""
    tenant = access.tenant
    previous = period.previous()
    values = catalog.compute_grouped(
        metric,
        tenant=tenant,
        partners=partners_grouping(),
        groupings=[PARTNER, TIER, CLASS, TOTAL],
        periods=[period, previous],
    )
    per_partner = [
        (int(key), value)
        for (label, grouping, key), value in values.items()
        if label == period.label and grouping == PARTNER and value is not None
    ]
    ranked = sorted(per_partner, key=lambda item: (_sort_key(item[1]), -item[0]), reverse=True)
    by_tier = {
        row.key: _cell(metric, values, period, previous, TIER, "" if row.key is None else str(row.key))
        for row in tiers
    }
    return Figure(
        key=metric.key,
        label=metric.label,
        unit=metric.unit,
        definition=metric.definition,
        total=_cell(metric, values, period, previous, TOTAL, ""),
        by_class={name: _cell(metric, values, period, previous, CLASS, name) for name in CLASS_LABELS},
        by_tier=by_tier,
        top=ranked[:TOP_N],
        bottom=list(reversed(ranked[-TOP_N:])) if len(ranked) > TOP_N else [],
        active_partners=len(ranked),
    )


def compute_trend(access: TenantAccess, metric: Metric, quarters: list[FiscalPeriod]) -> dict[str, list[Any]]:
    tenant = access.tenant
    values = catalog.compute_grouped(
        metric, tenant=tenant, partners=partners_grouping(), groupings=[CLASS, TOTAL], periods=quarters
    )
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


def tier_rows() -> list[TierRow]:
    """Tiers by rank with their partner counts, and a row for partners without a tier."""
    counted = {
        row["tier_id"]: row["n"]
        for row in Partner.objects.order_by().values("tier_id").annotate(n=Count("pk"))
    }
    rows = [
        TierRow(t.pk, t.name, t.classification, counted.get(t.pk, 0)) for t in Tier.objects.order_by("rank")
    ]
    if counted.get(None):
        rows.append(TierRow(None, "No tier", UNTIERED, counted[None]))
    return rows


def concentration(figure: Figure, per_partner_total: Any) -> dict[str, Any]:
    """The top partner's and the top five's share of the figure's total (e.g. revenue)."""
    total = figure.total.value
    if not total:
        return {"top1": None, "top5": None, "top1_partner": None, "total": total}
    top1 = figure.top[0][1] if figure.top else Decimal(0)
    top5 = sum((value for _, value in figure.top[:5]), Decimal(0))
    return {
        "top1": (Decimal(top1) / Decimal(total)).quantize(Decimal("0.0001")),
        "top5": (Decimal(top5) / Decimal(total)).quantize(Decimal("0.0001")),
        "top1_partner": figure.top[0][0] if figure.top else None,
        "total": total,
    }


def _aggregation_memory() -> None:
    """Give this transaction's aggregates room to hash in memory (PostgreSQL's default of 4 MB
    makes the per-account NRR grouping sort on disk at a few hundred thousand records)."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")


def compute_dashboard(access: TenantAccess, period: FiscalPeriod) -> Dashboard:
    """Every figure of the executive dashboard, computed now (no cache)."""
    _aggregation_memory()
    tiers = tier_rows()
    quarters = trend_quarters(period)
    figures = []
    for key in HEADLINE:
        metric = catalog.get(key)
        figure = compute_figure(access, metric, period, tiers)
        figure.trend = compute_trend(access, metric, quarters)
        figures.append(figure)
    ids = {pid for f in figures for pid, _ in (*f.top, *f.bottom)}
    names = dict(Partner.objects.filter(pk__in=ids).values_list("pk", "name"))
    counts: dict[str, int] = {}
    for row in tiers:
        counts[row.classification] = counts.get(row.classification, 0) + row.partners
    revenue = next(f for f in figures if f.key == "revenue")
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
        concentration=concentration(revenue, None),
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
    from incentives import queries as incentive_queries

    rows = []
    for key in INCENTIVE_METRICS:
        metric = catalog.get(key)
        values = catalog.compute_grouped(
            metric, tenant=tenant, partners=partners_grouping(), groupings=[CLASS, TOTAL], periods=[period]
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
    """JBP attainment of the signed plans (jbp): revenue committed for the period, actual (catalog
    ``revenue``), attainment and status (on track, at risk, behind). A trailing-four-quarter view
    uses the plans' last quarter."""
    tenant = access.tenant
    from jbp import queries as jbp_queries

    if isinstance(period, TrailingFourQuarters):
        period = period.last_quarter
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
    ids = list(Partner.objects.values_list("pk", flat=True))
    scores = [
        v
        for v in catalog.get("partner_score").compute(tenant=tenant, partner_ids=ids, period=period).values()
        if v is not None
    ]
    bands = [
        (f"{low}–{min(high, 100)}", sum(1 for v in scores if low <= v < high)) for low, high in SCORE_BANDS
    ]
    return bands, len(scores)


# --- drill-down --------------------------------------------------------------------------------


@dataclass
class DrillRow:
    partner_id: int
    partner: str
    tier: str
    classification: str
    parts: list[Any]
    value: Any


@dataclass
class Drill:
    metric: Metric
    period: FiscalPeriod
    group: str
    group_label: str
    part_names: list[str]
    rows: list[DrillRow]
    total: Any


def parse_group(group: str | None, tiers: list[TierRow]) -> tuple[str, str, str]:
    """``total``, ``class_key:strategic`` or ``tier_key:3`` → (grouping, key, label); 404 otherwise."""
    if not group or group == "total":
        return TOTAL, "", "All partners"
    grouping, _, key = group.partition(":")
    if grouping == CLASS and key in CLASS_LABELS:
        return CLASS, key, f"{CLASS_LABELS[key]} partners"
    if grouping == TIER:
        for row in tiers:
            if ("" if row.key is None else str(row.key)) == key:
                return TIER, key, f"Tier {row.name}"
    raise Http404("No such group")


def metric_or_404(key: str | None) -> Metric:
    if key not in HEADLINE:
        raise Http404("No such figure")
    return catalog.get(key)


def drill(access: TenantAccess, metric: Metric, period: FiscalPeriod, group: str | None) -> Drill:
    """The rows behind one figure: each partner of the group with the metric's parts and value,
    and the group's value computed from the summed parts (the figure on the dashboard)."""
    tenant = access.tenant
    tiers = tier_rows()
    grouping, key, label = parse_group(group, tiers)
    members = partners_grouping()
    if grouping == TIER:
        members = members.filter(tier_id=int(key)) if key else members.filter(tier__isnull=True)
    elif grouping == CLASS:
        members = members.filter(class_key=key)
    groupings = [PARTNER, TOTAL]
    if metric.parts is not None:
        summed = catalog.grouped_parts(
            metric, tenant=tenant, partners=members, groupings=groupings, periods=[period]
        )
        values = {slot: metric.parts.combine(p) for slot, p in summed.items()}
        parts = {int(k): list(p.values()) for (_, g, k), p in summed.items() if g == PARTNER}
    else:
        values = catalog.compute_grouped(
            metric, tenant=tenant, partners=members, groupings=groupings, periods=[period]
        )
        parts = {}
    ids = [int(k) for (_, g, k) in values if g == PARTNER]
    info = {
        p["pk"]: p
        for p in Partner.objects.filter(pk__in=ids).values("pk", "name", "tier__name", "tier__classification")
    }
    rows = [
        DrillRow(
            partner_id=pid,
            partner=info[pid]["name"],
            tier=info[pid]["tier__name"] or "No tier",
            classification=CLASS_LABELS.get(info[pid]["tier__classification"] or UNTIERED, ""),
            parts=parts.get(pid, []),
            value=values[(period.label, PARTNER, str(pid))],
        )
        for pid in ids
        if pid in info
    ]
    rows.sort(key=lambda r: (r.value is None, -(Decimal(r.value) if r.value is not None else 0), r.partner))
    return Drill(
        metric=metric,
        period=period,
        group=group or "total",
        group_label=label,
        part_names=list(metric.parts.names) if metric.parts else [],
        rows=rows,
        total=values.get((period.label, TOTAL, ""), metric.empty_value),
    )


# --- per-partner QBR ------------------------------------------------------------------------------

# Metrics of capabilities that may not be installed yet: shown when the catalog has them.
QBR_OPTIONAL_METRICS = ["partner_score"]
QBR_METRICS = [
    "pipeline_sourced",
    "pipeline_influenced",
    "deals_won_count",
    "deals_won_amount",
    "win_rate",
    "average_deal_size",
    "revenue",
    "revenue_ttm",
    "revenue_growth",
    "nrr",
]


@dataclass
class QbrRow:
    key: str
    label: str
    unit: str
    value: Any
    previous: Any
    change: dict[str, Any] | None
    year_ago: Any


@dataclass
class Qbr:
    partner: Partner
    period: FiscalPeriod
    previous: FiscalPeriod
    rows: list[QbrRow]
    quarters: list[FiscalPeriod]
    trend: dict[str, dict[str, list[Any]]]
    deals: list[Any]
    extra: dict[str, Any] = field(default_factory=dict)


def _year_ago(period: FiscalPeriod) -> FiscalPeriod:
    back = period
    for _ in range(4 if period.quarter is not None and not isinstance(period, TrailingFourQuarters) else 1):
        back = back.previous()
    return back


def qbr(access: TenantAccess, partner: Partner, period: FiscalPeriod) -> Qbr:
    """One partner's QBR for a period: each catalog metric this period, the previous one and a
    year before (one statement per metric), the 8-quarter trend of the headline figures, and the
    partner's deals closed or submitted in the period."""
    tenant = access.tenant
    from pipeline.models import DealRegistration  # the deals table of the pack

    previous, year_ago = period.previous(), _year_ago(period)
    members = partners_grouping().filter(pk=partner.pk)
    rows = []
    keys = [*QBR_METRICS, *(key for key in QBR_OPTIONAL_METRICS if key in {m.key for m in catalog.catalog()})]
    for key in keys:
        metric = catalog.get(key)
        if metric.groupable:
            values = catalog.compute_grouped(
                metric,
                tenant=tenant,
                partners=members,
                groupings=[TOTAL],
                periods=[period, previous, year_ago],
            )
            now, before, then = (
                values.get((p.label, TOTAL, ""), metric.empty_value) for p in (period, previous, year_ago)
            )
        else:  # a per-partner figure such as the score: one partner, one query per period
            now, before, then = (
                metric.compute(tenant=tenant, partner_ids=[partner.pk], period=p)[partner.pk]
                for p in (period, previous, year_ago)
            )
        rows.append(QbrRow(key, metric.label, metric.unit, now, before, change(metric, now, before), then))
    quarters = trend_quarters(period)
    trend = {}
    for key in ("pipeline_sourced", "deals_won_amount", "win_rate"):
        metric = catalog.get(key)
        values = catalog.compute_grouped(
            metric, tenant=tenant, partners=members, groupings=[TOTAL], periods=quarters
        )
        trend[key] = {metric.label: [values.get((q.label, TOTAL, ""), metric.empty_value) for q in quarters]}
    deals = list(
        DealRegistration.objects.filter(partner=partner)
        .filter(
            Q(closed_on__gte=period.start, closed_on__lte=period.end)
            | Q(submitted_at__date__gte=period.start, submitted_at__date__lte=period.end)
        )
        .select_related("account")
        .order_by("-closed_on", "-pk")[:50]
    )
    movements = tier_movements(access, period, partner_id=partner.pk)
    extra = {
        "movements": movements,
        "plan": partner_plan(partner, period),
        "incentives": partner_incentives(access, partner, period),
    }
    return Qbr(partner, period, previous, rows, quarters, trend, deals, extra=extra)


def partner_plan(partner: Partner, period: FiscalPeriod) -> dict[str, Any] | None:
    """The partner's signed joint business plan of the period's fiscal year (jbp): its targets for
    the period's quarter (or every target for a year) with actuals from the catalog, and the
    action items of its last review. None without a signed plan."""
    from jbp import queries as jbp_queries
    from jbp.models import Plan

    plan = (
        Plan.objects.filter(partner=partner, fiscal_year=period.fiscal_year, status__in=sorted(Plan.SIGNED))
        .order_by("-pk")
        .first()
    )
    if plan is None:
        return None
    quarter = None if isinstance(period, TrailingFourQuarters) else period.quarter
    targets = [t for t in plan.targets.all() if quarter is None or t.quarter in (None, quarter)]
    last_review = next(iter(jbp_queries.reviews(plan)), None)
    return {
        "id": plan.pk,
        "title": plan.title,
        "targets": [
            {
                "label": r.label,
                "when": r.when,
                "unit": r.unit,
                "target": r.target.value,
                "actual": r.actual,
                "attainment": r.attainment,
            }
            for r in jbp_queries.scorecard(plan, targets)
        ],
        "review_on": last_review.held_on if last_review else None,
        "actions": [
            {
                "title": a.title,
                "owner": a.owner_name,
                "side": a.get_owner_side_display(),
                "due": a.due_on,
                "status": a.get_status_display(),
            }
            for a in (last_review.action_items.all() if last_review else [])
        ],
    }


QBR_INCENTIVE_METRICS = [
    "mdf_allocated",
    "mdf_committed",
    "mdf_claimed",
    "mdf_paid",
    "rebate_accrued",
    "rebate_forecast",
]
OPEN_ROWS = 20


def partner_incentives(access: TenantAccess, partner: Partner, period: FiscalPeriod) -> dict[str, Any]:
    """The partner's MDF and rebates for the QBR: the incentives catalog metrics for the period
    (funds and rebate programs starting in it), its open fund requests and claims, and its rebate
    statements of the period's programs once finance approved them (what the partner also sees)."""
    tenant = access.tenant
    from incentives.models import Claim, FundRequest, RebateStatement

    figures = []
    for key in QBR_INCENTIVE_METRICS:
        metric = catalog.get(key)
        value = metric.compute(tenant=tenant, partner_ids=[partner.pk], period=period).get(partner.pk)
        figures.append({"key": key, "label": metric.label, "unit": metric.unit, "value": value or Decimal(0)})
    requests = list(
        FundRequest.objects.filter(
            partner=partner, status__in=[FundRequest.Status.SUBMITTED, FundRequest.Status.APPROVED]
        )
        .order_by("starts_on", "pk")
        .values("pk", "title", "status", "requested_amount", "approved_amount", "starts_on")[:OPEN_ROWS]
    )
    claims = list(
        Claim.objects.filter(partner=partner, status__in=[Claim.Status.SUBMITTED, Claim.Status.APPROVED])
        .select_related("request")
        .order_by("submitted_at", "pk")[:OPEN_ROWS]
    )
    statements = list(
        RebateStatement.objects.filter(
            partner=partner,
            program__starts_on__gte=period.start,
            program__starts_on__lte=period.end,
        )
        .exclude(status=RebateStatement.Status.DRAFT)
        .select_related("program")
        .order_by("program__starts_on", "pk")
    )
    return {
        "figures": figures,
        "open_requests": [
            {
                "id": r["pk"],
                "title": r["title"],
                "status": FundRequest.Status(r["status"]).label,
                "amount": r["approved_amount"]
                if r["status"] == FundRequest.Status.APPROVED
                else r["requested_amount"],
                "starts_on": r["starts_on"],
            }
            for r in requests
        ],
        "open_claims": [
            {
                "id": c.pk,
                "title": c.request.title,
                "status": c.get_status_display(),
                "amount": c.approved_amount if c.status == Claim.Status.APPROVED else c.amount,
                "outstanding": c.approved_amount - c.paid_amount
                if c.status == Claim.Status.APPROVED
                else c.amount,
                "submitted_on": c.submitted_at.date(),
            }
            for c in claims
        ],
        "statements": [
            {
                "id": s.pk,
                "program": s.program.name,
                "basis": s.basis,
                "amount": s.amount,
                "status": s.get_status_display(),
                "paid_on": s.paid_on,
            }
            for s in statements
        ],
    }
