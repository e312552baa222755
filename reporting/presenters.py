"""From computed figures to what a page, a PDF and a CSV show: tables of cells and SVG charts.

A table is built once here; the page renders its cells (formatted, with drill-down links), the
CSV writes the same cells' values, and the PDF uses the same template fragments and charts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.cache import cache as django_cache
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from prm import charts
from prm.access import TenantAccess
from prm.metrics import Unit
from prm.models import Tenant
from prm.periods import FiscalPeriod

from . import cache, queries

CHART_SECONDS = 24 * 3600


def _chart(kind: str, **options: Any) -> Any:
    """A chart, memoised by its inputs: the same figures give the same SVG, so an unchanged
    chart is not drawn again (a new figure is a new key; nothing can be stale)."""
    key = "reporting:chart:" + hashlib.sha256(repr((kind, sorted(options.items()))).encode()).hexdigest()
    svg = django_cache.get(key)
    if svg is None:
        svg = getattr(charts, kind)(**options)
        django_cache.set(key, str(svg), CHART_SECONDS)
    return mark_safe(svg)  # noqa: S308 (drawn by prm.charts, which escapes every text)


TEXT = "text"
DATE = "date"
CHANGE = "change"


@dataclass
class TableCell:
    value: Any
    unit: str = TEXT
    href: str = ""
    change: dict[str, Any] | None = None


@dataclass
class Table:
    name: str
    title: str
    columns: list[str]
    rows: list[list[TableCell]] = field(default_factory=list)

    @property
    def header(self) -> list[tuple[str, bool]]:
        """Each column's name and whether it holds figures (aligned right, like its cells)."""
        return [
            (name, i > 0 and any(len(row) > i and row[i].unit != TEXT for row in self.rows))
            for i, name in enumerate(self.columns)
        ]

    def csv(self) -> tuple[list[str], list[list[Any]]]:
        return self.columns, [[_csv_value(cell) for cell in row] for row in self.rows]


def _csv_value(cell: TableCell) -> Any:
    if cell.unit == CHANGE:
        return "" if cell.change is None else cell.change["value"]
    return "" if cell.value is None else cell.value


def format_value(value: Any, unit: str, currency: str = "") -> str:
    """A figure as the pages print it: money without cents and with the currency, ratios in %."""
    if value is None or value == "":
        return "—"
    if unit == "score":
        return f"{Decimal(value):,.1f}"
    if unit == "times":
        return f"{Decimal(value):,.2f}×"
    if unit == Unit.MONEY:
        return f"{Decimal(value):,.0f} {currency}".strip()
    if unit == Unit.RATIO:
        return f"{Decimal(value) * 100:,.1f} %"
    if unit == Unit.COUNT:
        return f"{int(value):,}"
    if unit == DATE:
        return f"{value:%-d %b %Y}"
    if unit == "share":
        return f"{Decimal(value) * 100:,.1f} %"
    return str(value)


def format_change(change: dict[str, Any] | None) -> str:
    if change is None:
        return "—"
    sign = "+" if change["value"] > 0 else ("−" if change["value"] < 0 else "±")
    number = f"{abs(change['value']):,.1f}"
    return f"{sign}{number} pts" if change["kind"] == "points" else f"{sign}{number} %"


def _drill(tenant: Tenant, key: str, period: str, group: str) -> str:
    return (
        reverse("reporting_figure", kwargs={"tenant_slug": tenant.slug})
        + "?"
        + urlencode({"metric": key, "period": period, "group": group})
    )


def _partner(tenant: Tenant, partner_id: int) -> str:
    return reverse("partner_detail", kwargs={"tenant_slug": tenant.slug, "partner_id": partner_id})


def dashboard_tables(dashboard: queries.Dashboard, tenant: Tenant | None = None) -> dict[str, Table]:
    tables = {}
    period = dashboard.period.label
    slug_tenant = tenant

    def link(key: str, group: str) -> str:
        return _drill(slug_tenant, key, period, group) if slug_tenant is not None else ""

    headline = Table(
        "headline",
        f"Headline figures, {period}",
        ["Figure", "All partners", "Change", "Strategic", "Change", "Tactical", "Change"],
    )
    for f in dashboard.figures:
        row = [TableCell(f.label)]
        for cell in (f.total, f.by_class["strategic"], f.by_class["tactical"]):
            row.append(TableCell(cell.value, f.unit, link(f.key, cell.group)))
            row.append(TableCell(None, CHANGE, change=cell.change))
        headline.rows.append(row)
    tables["headline"] = headline

    tiers = Table(
        "tiers",
        f"By tier, {period}",
        ["Tier", "Classification", "Partners"] + [f.label for f in dashboard.figures],
    )
    for tier in dashboard.tiers:
        row = [
            TableCell(tier.name),
            TableCell(queries.CLASS_LABELS.get(tier.classification, "")),
            TableCell(tier.partners, Unit.COUNT),
        ]
        for f in dashboard.figures:
            cell = f.by_tier[tier.key]
            row.append(TableCell(cell.value, f.unit, link(f.key, cell.group), cell.change))
        tiers.rows.append(row)
    tables["tiers"] = tiers

    labels = [q.label for q in dashboard.quarters]
    trends = Table("trends", "Last eight quarters", ["Figure", "Partners", *labels])
    for f in dashboard.figures:
        for series, values in f.trend.items():
            trends.rows.append(
                [TableCell(f.label), TableCell(series), *(TableCell(v, f.unit) for v in values)]
            )
    tables["trends"] = trends

    top = Table("top", f"Top and bottom partners, {period}", ["Figure", "Rank", "Partner", "Value"])
    for f in dashboard.figures:
        for place, (pid, value) in enumerate(f.top, start=1):
            href = _partner(slug_tenant, pid) if slug_tenant is not None else ""
            top.rows.append(
                [
                    TableCell(f.label),
                    TableCell(f"Top {place}"),
                    TableCell(dashboard.partner_names.get(pid, ""), href=href),
                    TableCell(value, f.unit),
                ]
            )
        for place, (pid, value) in enumerate(f.bottom, start=1):
            href = _partner(slug_tenant, pid) if slug_tenant is not None else ""
            top.rows.append(
                [
                    TableCell(f.label),
                    TableCell(f"Bottom {place}"),
                    TableCell(dashboard.partner_names.get(pid, ""), href=href),
                    TableCell(value, f.unit),
                ]
            )
    tables["top"] = top

    conc = dashboard.concentration
    balance = Table("balance", f"Portfolio balance, {period}", ["Measure", "Value"])
    balance.rows = [
        [TableCell("Partners"), TableCell(dashboard.partner_count, Unit.COUNT)],
        [TableCell("Strategic partners"), TableCell(dashboard.strategic_count, Unit.COUNT)],
        [TableCell("Strategic cap"), TableCell(dashboard.strategic_cap, Unit.COUNT)],
        [TableCell("Tactical partners"), TableCell(dashboard.tactical_count, Unit.COUNT)],
        [TableCell("Partners without a tier"), TableCell(dashboard.untiered_count, Unit.COUNT)],
        [
            TableCell("Top partner's share of revenue"),
            TableCell(conc["top1"], "share", link("revenue", "total")),
        ],
        [
            TableCell("Top five partners' share of revenue"),
            TableCell(conc["top5"], "share", link("revenue", "total")),
        ],
    ]
    tables["balance"] = balance

    movements = Table(
        "movements", f"Tier movements, {period}", ["Partner", "From", "To", "Direction", "Date"]
    )
    for m in dashboard.movements:
        href = _partner(slug_tenant, m["partner_id"]) if slug_tenant is not None else ""
        movements.rows.append(
            [
                TableCell(m["partner"], href=href),
                TableCell(m["from"]),
                TableCell(m["to"]),
                TableCell("Promotion" if m["up"] else "Demotion"),
                TableCell(m["on"], DATE),
            ]
        )
    tables["movements"] = movements
    plans = Table(
        "plans",
        f"JBP attainment, {period}",
        ["Partner", "Plan", "Revenue committed", "Actual", "Attainment", "Status"],
    )
    for plan_row in dashboard.plans:
        href = (
            reverse("plan_detail", kwargs={"tenant_slug": slug_tenant.slug, "plan_id": plan_row["plan_id"]})
            if slug_tenant is not None
            else ""
        )
        plans.rows.append(
            [
                TableCell(plan_row["partner"]),
                TableCell(plan_row["plan"], href=href),
                TableCell(plan_row["commitment"], Unit.MONEY),
                TableCell(plan_row["actual"], Unit.MONEY),
                TableCell(plan_row["attainment"], "share"),
                TableCell(plan_row["status"]),
            ]
        )
    tables["plans"] = plans
    incentives = Table(
        "incentives", f"MDF and rebates, {period}", ["Figure", "All partners", "Strategic", "Tactical"]
    )
    for figure_row in dashboard.incentives:
        incentives.rows.append(
            [
                TableCell(figure_row["label"]),
                TableCell(figure_row["total"], figure_row["unit"]),
                TableCell(figure_row["strategic"], figure_row["unit"]),
                TableCell(figure_row["tactical"], figure_row["unit"]),
            ]
        )
    tables["incentives"] = incentives
    roi = Table("roi", f"MDF ROI by tier, {period}", ["Tier", "MDF paid", "Pipeline sourced", "ROI"])
    for r in dashboard.roi_by_tier:
        roi.rows.append(
            [
                TableCell(r["tier"]),
                TableCell(r["paid"], Unit.MONEY),
                TableCell(r["sourced"], Unit.MONEY),
                TableCell(r["roi"], "times"),
            ]
        )
    tables["roi"] = roi
    scores = Table("scores", f"Partner scores at the end of {period}", ["Score band", "Partners"])
    scores.rows = [[TableCell(band), TableCell(n, Unit.COUNT)] for band, n in dashboard.score_bands]
    tables["scores"] = scores
    return tables


def short_quarter(quarter: FiscalPeriod) -> str:
    """A chart's axis label for a fiscal quarter: FY2026-Q3 → Q3 '26 (eight fit side by side)."""
    return f"Q{quarter.quarter} '{quarter.fiscal_year % 100:02d}"


def top_groups(table: Table) -> list[tuple[str, Table]]:
    """The top-and-bottom table cut per figure (one small table each: rank, partner, value), as
    the page and the PDF show it; the CSV keeps the one long table."""
    groups: dict[str, Table] = {}
    for row in table.rows:
        label = str(row[0].value)
        part = groups.setdefault(label, Table(table.name, f"{label}: {table.title}", table.columns[1:]))
        part.rows.append(row[1:])
    return list(groups.items())


def trend_charts(dashboard: queries.Dashboard, currency: str) -> list[tuple[str, Any]]:
    labels = [short_quarter(q) for q in dashboard.quarters]
    result = []
    for f in dashboard.figures:
        unit = "%" if f.unit == Unit.RATIO else (currency if f.unit == Unit.MONEY else "")
        series = {
            name: [(Decimal(v) * 100 if v is not None and f.unit == Unit.RATIO else v) for v in values]
            for name, values in f.trend.items()
        }
        svg = _chart(
            "line_chart",
            title=f"{f.label}, last eight quarters",
            description=f"{f.label} per fiscal quarter for strategic, tactical and all partners.",
            labels=labels,
            series=series,
            unit=unit,
            width=560,
            height=310,
        )
        result.append((f.key, svg))
    return result


def tier_chart(dashboard: queries.Dashboard, key: str, currency: str) -> Any:
    f = dashboard.figure(key)
    unit = "%" if f.unit == Unit.RATIO else (currency if f.unit == Unit.MONEY else "")
    scale = 100 if f.unit == Unit.RATIO else 1
    labels = [t.name for t in dashboard.tiers]
    values = [
        (Decimal(f.by_tier[t.key].value) * scale if f.by_tier[t.key].value is not None else None)
        for t in dashboard.tiers
    ]
    previous = [
        (Decimal(f.by_tier[t.key].previous) * scale if f.by_tier[t.key].previous is not None else None)
        for t in dashboard.tiers
    ]
    return _chart(
        "bar_chart",
        title=f"{f.label} by tier",
        description=f"{f.label} per tier in {dashboard.period.label} and {dashboard.previous.label}.",
        labels=labels,
        series={dashboard.period.label: values, dashboard.previous.label: previous},
        unit=unit,
        width=560,
        height=310,
    )


def dashboard_context(tenant: Tenant, dashboard: queries.Dashboard) -> dict[str, Any]:
    currency = tenant.currency
    return {
        "dashboard": dashboard,
        "tables": (tables := dashboard_tables(dashboard, tenant)),
        "top_groups": top_groups(tables["top"]),
        "trend_charts": trend_charts(dashboard, currency),
        "tier_charts": [
            tier_chart(dashboard, key, currency) for key in ("win_rate", "average_deal_size", "nrr")
        ],
        "score_chart": score_chart(dashboard),
        "currency": currency,
    }


def score_chart(dashboard: queries.Dashboard) -> Any:
    """Partners per band of the catalog's partner score, or None when nobody was scored."""
    if not dashboard.scored_partners:
        return None
    return _chart(
        "histogram",
        title=f"Partner scores at the end of {dashboard.period.label}",
        description=f"Partners per score band ({dashboard.scored_partners} scored partners).",
        buckets=dashboard.score_bands,
        width=560,
        height=260,
    )


@dataclass
class DashboardPage:
    """What the dashboard page shows, ready to render (figures, tables, charts), as cached."""

    context: dict[str, Any]
    computed_at: datetime
    cached: bool = False


def dashboard_page(access: TenantAccess, period: FiscalPeriod, *, fresh: bool = False) -> dict[str, Any]:
    """The dashboard's context, from the reporting cache while the tenant's data is unchanged.
    ``fresh`` recomputes every figure from the database."""
    tenant = access.tenant

    def compute() -> DashboardPage:
        return DashboardPage(
            dashboard_context(tenant, queries.compute_dashboard(access, period)), timezone.now()
        )

    page = cache.cached(tenant, f"dashboard-page-v2:{period.label}", compute, fresh=fresh)
    page.context["dashboard"].cached = page.cached
    return page.context


def qbr_tables(q: queries.Qbr) -> dict[str, Table]:
    metrics = Table(
        "metrics",
        f"{q.partner.name}, {q.period.label}",
        ["Figure", q.period.label, q.previous.label, "Change", "A year before"],
    )
    for row in q.rows:
        metrics.rows.append(
            [
                TableCell(row.label),
                TableCell(row.value, row.unit),
                TableCell(row.previous, row.unit),
                TableCell(None, CHANGE, change=row.change),
                TableCell(row.year_ago, row.unit),
            ]
        )
    deals = Table(
        "deals",
        "Deals submitted or closed in the period",
        ["Opportunity", "Customer", "Role", "Status", "Submitted", "Closed", "Amount"],
    )
    for d in q.deals:
        deals.rows.append(
            [
                TableCell(d.opportunity_name),
                TableCell(d.account.name),
                TableCell(d.get_partner_role_display()),
                TableCell(d.get_status_display()),
                TableCell(d.submitted_at.date(), DATE),
                TableCell(d.closed_on, DATE),
                TableCell(
                    d.closed_amount_reporting
                    if d.closed_amount_reporting is not None
                    else d.amount_reporting,
                    Unit.MONEY,
                ),
            ]
        )
    movements = Table("movements", "Tier movements in the period", ["From", "To", "Direction", "Date"])
    for m in q.extra.get("movements", []):
        direction = "Promotion" if m["up"] else "Demotion"
        movements.rows.append(
            [TableCell(m["from"]), TableCell(m["to"]), TableCell(direction), TableCell(m["on"], DATE)]
        )
    plan = q.extra.get("plan") or {}
    targets = Table("targets", "Plan targets", ["Target", "When", "Target value", "Actual", "Attainment"])
    for t in plan.get("targets", []):
        targets.rows.append(
            [
                TableCell(t["label"]),
                TableCell(t["when"]),
                TableCell(t["target"], t["unit"]),
                TableCell(t["actual"], t["unit"]),
                TableCell(t["attainment"], "share"),
            ]
        )
    actions = Table(
        "actions", "Action items of the last review", ["Action", "Owner", "Side", "Due", "Status"]
    )
    for a in plan.get("actions", []):
        actions.rows.append(
            [
                TableCell(a["title"]),
                TableCell(a["owner"]),
                TableCell(a["side"]),
                TableCell(a["due"], DATE),
                TableCell(a["status"]),
            ]
        )
    incentives = q.extra.get("incentives") or {}
    mdf = Table("mdf", f"MDF and rebates, {q.period.label}", ["Figure", q.period.label])
    for f in incentives.get("figures", []):
        mdf.rows.append([TableCell(f["label"]), TableCell(f["value"], f["unit"])])
    open_mdf = Table(
        "mdf_open", "Open MDF requests and claims", ["Item", "Kind", "Status", "Since", "Amount"]
    )
    for r in incentives.get("open_requests", []):
        open_mdf.rows.append(
            [
                TableCell(r["title"]),
                TableCell("Fund request"),
                TableCell(r["status"]),
                TableCell(r["starts_on"], DATE),
                TableCell(r["amount"], Unit.MONEY),
            ]
        )
    for c in incentives.get("open_claims", []):
        open_mdf.rows.append(
            [
                TableCell(c["title"]),
                TableCell("Claim"),
                TableCell(c["status"]),
                TableCell(c["submitted_on"], DATE),
                TableCell(c["amount"], Unit.MONEY),
            ]
        )
    statements = Table(
        "statements",
        f"Rebate statements, {q.period.label}",
        ["Program", "Basis", "Rebate", "Status", "Paid on"],
    )
    for st in incentives.get("statements", []):
        statements.rows.append(
            [
                TableCell(st["program"]),
                TableCell(st["basis"], Unit.MONEY),
                TableCell(st["amount"], Unit.MONEY),
                TableCell(st["status"]),
                TableCell(st["paid_on"], DATE),
            ]
        )
    return {
        "metrics": metrics,
        "deals": deals,
        "movements": movements,
        "targets": targets,
        "actions": actions,
        "mdf": mdf,
        "mdf_open": open_mdf,
        "statements": statements,
    }


def qbr_context(tenant: Tenant, q: queries.Qbr) -> dict[str, Any]:
    currency = tenant.currency
    labels = [short_quarter(p) for p in q.quarters]
    trend = []
    for key, series in q.trend.items():
        ratio = key == "win_rate"
        svg = _chart(
            "bar_chart",
            title=f"{next(iter(series))}, last eight quarters",
            description=f"{next(iter(series))} of {q.partner.name} per fiscal quarter.",
            labels=labels,
            series={
                name: [(Decimal(v) * 100 if ratio and v is not None else v) for v in values]
                for name, values in series.items()
            },
            unit="%" if ratio else currency,
            width=560,
            height=260,
        )
        trend.append(svg)
    return {"qbr": q, "tables": qbr_tables(q), "trend_charts": trend, "currency": currency}
