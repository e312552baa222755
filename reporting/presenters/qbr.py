"""A partner's QBR as tables and the page's context."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from prm.metrics import Unit
from prm.models import Tenant

from .. import queries
from .charts import cached_chart
from .dashboard import short_quarter
from .tables import CHANGE, DATE, Table, TableCell


def qbr_tables(q: queries.Qbr) -> dict[str, Table]:
    """Every table of a partner's QBR, in page order (the CSV and the PDF use the same)."""
    builders = [
        _qbr_metrics_table,
        _qbr_deals_table,
        _qbr_movements_table,
        _qbr_targets_table,
        _qbr_actions_table,
        _qbr_mdf_table,
        _qbr_open_mdf_table,
        _qbr_statements_table,
    ]
    tables = [build(q) for build in builders]
    return {table.name: table for table in tables}


def _qbr_metrics_table(q: queries.Qbr) -> Table:
    table = Table(
        "metrics",
        f"{q.partner.name}, {q.period.label}",
        ["Figure", q.period.label, q.previous.label, "Change", "A year before"],
    )
    for row in q.rows:
        table.rows.append(
            [
                TableCell(row.label),
                TableCell(row.value, row.unit),
                TableCell(row.previous, row.unit),
                TableCell(None, CHANGE, change=row.change),
                TableCell(row.year_ago, row.unit),
            ]
        )
    return table


def _qbr_deals_table(q: queries.Qbr) -> Table:
    table = Table(
        "deals",
        "Deals submitted or closed in the period",
        ["Opportunity", "Customer", "Role", "Status", "Submitted", "Closed", "Amount"],
    )
    for d in q.deals:
        amount = d.closed_amount_reporting if d.closed_amount_reporting is not None else d.amount_reporting
        table.rows.append(
            [
                TableCell(d.opportunity_name),
                TableCell(d.account.name),
                TableCell(d.get_partner_role_display()),
                TableCell(d.get_status_display()),
                TableCell(d.submitted_at.date(), DATE),
                TableCell(d.closed_on, DATE),
                TableCell(amount, Unit.MONEY),
            ]
        )
    return table


def _qbr_movements_table(q: queries.Qbr) -> Table:
    table = Table("movements", "Tier movements in the period", ["From", "To", "Direction", "Date"])
    for m in q.extra.get("movements", []):
        direction = "Promotion" if m["up"] else "Demotion"
        table.rows.append(
            [TableCell(m["from"]), TableCell(m["to"]), TableCell(direction), TableCell(m["on"], DATE)]
        )
    return table


def _qbr_targets_table(q: queries.Qbr) -> Table:
    plan = q.extra.get("plan") or {}
    table = Table("targets", "Plan targets", ["Target", "When", "Target value", "Actual", "Attainment"])
    for t in plan.get("targets", []):
        table.rows.append(
            [
                TableCell(t["label"]),
                TableCell(t["when"]),
                TableCell(t["target"], t["unit"]),
                TableCell(t["actual"], t["unit"]),
                TableCell(t["attainment"], "share"),
            ]
        )
    return table


def _qbr_actions_table(q: queries.Qbr) -> Table:
    plan = q.extra.get("plan") or {}
    table = Table("actions", "Action items of the last review", ["Action", "Owner", "Side", "Due", "Status"])
    for a in plan.get("actions", []):
        table.rows.append(
            [
                TableCell(a["title"]),
                TableCell(a["owner"]),
                TableCell(a["side"]),
                TableCell(a["due"], DATE),
                TableCell(a["status"]),
            ]
        )
    return table


def _qbr_mdf_table(q: queries.Qbr) -> Table:
    incentives = q.extra.get("incentives") or {}
    table = Table("mdf", f"MDF and rebates, {q.period.label}", ["Figure", q.period.label])
    for f in incentives.get("figures", []):
        table.rows.append([TableCell(f["label"]), TableCell(f["value"], f["unit"])])
    return table


def _qbr_open_mdf_table(q: queries.Qbr) -> Table:
    incentives = q.extra.get("incentives") or {}
    table = Table("mdf_open", "Open MDF requests and claims", ["Item", "Kind", "Status", "Since", "Amount"])
    for r in incentives.get("open_requests", []):
        table.rows.append(
            [
                TableCell(r["title"]),
                TableCell("Fund request"),
                TableCell(r["status"]),
                TableCell(r["starts_on"], DATE),
                TableCell(r["amount"], Unit.MONEY),
            ]
        )
    for c in incentives.get("open_claims", []):
        table.rows.append(
            [
                TableCell(c["title"]),
                TableCell("Claim"),
                TableCell(c["status"]),
                TableCell(c["submitted_on"], DATE),
                TableCell(c["amount"], Unit.MONEY),
            ]
        )
    return table


def _qbr_statements_table(q: queries.Qbr) -> Table:
    incentives = q.extra.get("incentives") or {}
    table = Table(
        "statements",
        f"Rebate statements, {q.period.label}",
        ["Program", "Basis", "Rebate", "Status", "Paid on"],
    )
    for st in incentives.get("statements", []):
        table.rows.append(
            [
                TableCell(st["program"]),
                TableCell(st["basis"], Unit.MONEY),
                TableCell(st["amount"], Unit.MONEY),
                TableCell(st["status"]),
                TableCell(st["paid_on"], DATE),
            ]
        )
    return table


def qbr_context(tenant: Tenant, q: queries.Qbr) -> dict[str, Any]:
    currency = tenant.currency
    labels = [short_quarter(p) for p in q.quarters]
    trend = []
    for key, series in q.trend.items():
        ratio = key == "win_rate"
        svg = cached_chart(
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
