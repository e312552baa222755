"""The executive dashboard as tables, charts and the page's context (cached per tenant and period)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone

import prm.metrics
from incentives.queries import ROI_BY_TIER_RULE
from prm.access import TenantAccess
from prm.metrics import Unit
from prm.models import Tenant
from prm.periods import FiscalPeriod
from prm.replica import replica_reads

from .. import cache, queries
from .charts import cached_chart
from .tables import CHANGE, DATE, Table, TableCell, drill_url, partner_url


@dataclass
class Links:
    """Where a dashboard cell leads: the rows behind a figure, a partner, a plan (none in a PDF)."""

    tenant: Tenant | None
    period: str

    def figure(self, key: str, group: str) -> str:
        return drill_url(self.tenant, key, self.period, group) if self.tenant is not None else ""

    def partner(self, partner_id: int) -> str:
        return partner_url(self.tenant, partner_id) if self.tenant is not None else ""

    def plan(self, plan_id: int) -> str:
        if self.tenant is None:
            return ""
        return reverse("plan_detail", kwargs={"tenant_slug": self.tenant.slug, "plan_id": plan_id})


def dashboard_tables(dashboard: queries.Dashboard, tenant: Tenant | None = None) -> dict[str, Table]:
    """Every table of the dashboard, in page order; cells link to what is behind them when
    ``tenant`` is given (the page), not in a PDF."""
    links = Links(tenant, dashboard.period.label)
    builders = [
        _headline_table,
        _tiers_table,
        _trends_table,
        _top_table,
        _balance_table,
        _movements_table,
        _plans_table,
        _incentives_table,
        _roi_table,
        _scores_table,
    ]
    tables = [build(dashboard, links) for build in builders]
    return {table.name: table for table in tables}


def _headline_table(dashboard: queries.Dashboard, links: Links) -> Table:
    table = Table(
        "headline",
        f"Headline figures, {links.period}",
        ["Figure", "All partners", "Change", "Strategic", "Change", "Tactical", "Change"],
    )
    for f in dashboard.figures:
        row = [TableCell(f.label)]
        for cell in (f.total, f.by_class["strategic"], f.by_class["tactical"]):
            row.append(TableCell(cell.value, f.unit, links.figure(f.key, cell.group)))
            row.append(TableCell(None, CHANGE, change=cell.change))
        table.rows.append(row)
    return table


def _tiers_table(dashboard: queries.Dashboard, links: Links) -> Table:
    table = Table(
        "tiers",
        f"By tier, {links.period}",
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
            row.append(TableCell(cell.value, f.unit, links.figure(f.key, cell.group), cell.change))
        table.rows.append(row)
    return table


def _trends_table(dashboard: queries.Dashboard, links: Links) -> Table:
    labels = [q.label for q in dashboard.quarters]
    table = Table("trends", "Last eight quarters", ["Figure", "Partners", *labels])
    for f in dashboard.figures:
        for series, values in f.trend.items():
            table.rows.append(
                [TableCell(f.label), TableCell(series), *(TableCell(v, f.unit) for v in values)]
            )
    return table


def _top_table(dashboard: queries.Dashboard, links: Links) -> Table:
    table = Table("top", f"Top and bottom partners, {links.period}", ["Figure", "Rank", "Partner", "Value"])
    for f in dashboard.figures:
        for side, ranked in (("Top", f.top), ("Bottom", f.bottom)):
            for place, (pid, value) in enumerate(ranked, start=1):
                table.rows.append(
                    [
                        TableCell(f.label),
                        TableCell(f"{side} {place}"),
                        TableCell(dashboard.partner_names.get(pid, ""), href=links.partner(pid)),
                        TableCell(value, f.unit),
                    ]
                )
    return table


def _balance_table(dashboard: queries.Dashboard, links: Links) -> Table:
    conc = dashboard.concentration
    table = Table("balance", f"Portfolio balance, {links.period}", ["Measure", "Value"])
    table.rows = [
        [TableCell("Partners"), TableCell(dashboard.partner_count, Unit.COUNT)],
        [TableCell("Strategic partners"), TableCell(dashboard.strategic_count, Unit.COUNT)],
        [TableCell("Strategic cap"), TableCell(dashboard.strategic_cap, Unit.COUNT)],
        [TableCell("Tactical partners"), TableCell(dashboard.tactical_count, Unit.COUNT)],
        [TableCell("Partners without a tier"), TableCell(dashboard.untiered_count, Unit.COUNT)],
        [TableCell("Top partner's share of partner-sourced revenue"), TableCell(conc["top1"], "share")],
        [TableCell("Top five partners' share of partner-sourced revenue"), TableCell(conc["top5"], "share")],
    ]
    return table


def _movements_table(dashboard: queries.Dashboard, links: Links) -> Table:
    table = Table(
        "movements", f"Tier movements, {links.period}", ["Partner", "From", "To", "Direction", "Date"]
    )
    for m in dashboard.movements:
        table.rows.append(
            [
                TableCell(m["partner"], href=links.partner(m["partner_id"])),
                TableCell(m["from"]),
                TableCell(m["to"]),
                TableCell("Promotion" if m["up"] else "Demotion"),
                TableCell(m["on"], DATE),
            ]
        )
    return table


def _plans_table(dashboard: queries.Dashboard, links: Links) -> Table:
    table = Table(
        "plans",
        f"JBP attainment, {links.period}",
        ["Partner", "Plan", "Revenue committed", "Actual", "Attainment", "Status"],
    )
    for plan_row in dashboard.plans:
        table.rows.append(
            [
                TableCell(plan_row["partner"]),
                TableCell(plan_row["plan"], href=links.plan(plan_row["plan_id"])),
                TableCell(plan_row["commitment"], Unit.MONEY),
                TableCell(plan_row["actual"], Unit.MONEY),
                TableCell(plan_row["attainment"], "share"),
                TableCell(plan_row["status"]),
            ]
        )
    return table


def _incentives_table(dashboard: queries.Dashboard, links: Links) -> Table:
    table = Table(
        "incentives", f"MDF and rebates, {links.period}", ["Figure", "All partners", "Strategic", "Tactical"]
    )
    for row in dashboard.incentives:
        table.rows.append(
            [
                TableCell(row["label"]),
                TableCell(row["total"], row["unit"]),
                TableCell(row["strategic"], row["unit"]),
                TableCell(row["tactical"], row["unit"]),
            ]
        )
    return table


def _roi_table(dashboard: queries.Dashboard, links: Links) -> Table:
    table = Table("roi", f"MDF ROI by tier, {links.period}", ["Tier", "MDF paid", "Pipeline sourced", "ROI"])
    for r in dashboard.roi_by_tier:
        table.rows.append(
            [
                TableCell(r["tier"]),
                TableCell(r["paid"], Unit.MONEY),
                TableCell(r["sourced"], Unit.MONEY),
                TableCell(r["roi"], "times"),
            ]
        )
    return table


def _scores_table(dashboard: queries.Dashboard, links: Links) -> Table:
    table = Table("scores", f"Partner scores at the end of {links.period}", ["Score band", "Partners"])
    table.rows = [[TableCell(band), TableCell(n, Unit.COUNT)] for band, n in dashboard.score_bands]
    return table


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
        svg = cached_chart(
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
    return cached_chart(
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
        "roi_rule": ROI_BY_TIER_RULE,
        "forecast_rule": prm.metrics.get("rebate_forecast").definition,
    }


def score_chart(dashboard: queries.Dashboard) -> Any:
    """Partners per band of the catalog's partner score, or None when nobody was scored."""
    if not dashboard.scored_partners:
        return None
    return cached_chart(
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
        with replica_reads():  # the heavy aggregates: from the replica when one is configured
            return DashboardPage(
                dashboard_context(tenant, queries.compute_dashboard(access, period)), timezone.now()
            )

    page = cache.cached(tenant, f"dashboard-page-v2:{period.label}", compute, fresh=fresh)
    page.context["dashboard"].cached = page.cached
    return page.context
