"""One partner's quarterly business review: metrics now, before and a year ago, the plan and incentives."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import prm.metrics as catalog
from incentives import queries as incentive_queries
from incentives.models import Claim, FundRequest, RebateStatement
from jbp import queries as jbp_queries
from partners.models import Partner
from pipeline import queries as pipeline_queries
from prm.access import TenantAccess
from prm.metrics import TOTAL
from prm.periods import FiscalPeriod, TrailingFourQuarters
from prm.replica import replica_reads

from .common import change, partners_grouping, trend_quarters
from .dashboard import tier_movements

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
    """The same period a year before: four quarters back for a quarter; for a fiscal year or a
    trailing four quarters that is the previous period (computed and counted once)."""
    back = period
    for _ in range(4 if period.quarter is not None and not isinstance(period, TrailingFourQuarters) else 1):
        back = back.previous()
    return back


@replica_reads()  # the heavy aggregates: from the replica when one is configured
def qbr(access: TenantAccess, partner: Partner, period: FiscalPeriod) -> Qbr:
    """One partner's QBR for a period: each catalog metric this period, the previous one and a
    year before (one statement per metric), the 8-quarter trend of the headline figures, and the
    partner's deals closed or submitted in the period."""
    tenant = access.tenant
    previous, year_ago = period.previous(), _year_ago(period)
    members = partners_grouping(access).filter(pk=partner.pk)
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
                exact=True,
            )
            now, before, then = (
                values.get((p.label, TOTAL, ""), metric.empty_value) for p in (period, previous, year_ago)
            )
        else:  # a per-partner figure such as the score: one partner, one query per period
            now, before, then = (
                metric.compute(tenant=tenant, partner_ids=[partner.pk], period=p, exact=True)[partner.pk]
                for p in (period, previous, year_ago)
            )
        shown = metric.rounded
        rows.append(
            QbrRow(
                key,
                metric.label,
                metric.unit,
                shown(now),
                shown(before),
                change(metric, now, before),
                shown(then),
            )
        )
    quarters = trend_quarters(period)
    trend = {}
    for key in ("pipeline_sourced", "deals_won_amount", "win_rate"):
        metric = catalog.get(key)
        values = catalog.compute_grouped(
            metric, tenant=tenant, partners=members, groupings=[TOTAL], periods=quarters
        )
        trend[key] = {metric.label: [values.get((q.label, TOTAL, ""), metric.empty_value) for q in quarters]}
    deals = pipeline_queries.partner_deals_in_period(access, partner.pk, period)
    movements = tier_movements(access, period, partner_id=partner.pk)
    extra = {
        "movements": movements,
        "plan": partner_plan(access, partner, period),
        "incentives": partner_incentives(access, partner, period),
    }
    return Qbr(partner, period, previous, rows, quarters, trend, deals, extra=extra)


def partner_plan(access: TenantAccess, partner: Partner, period: FiscalPeriod) -> dict[str, Any] | None:
    """The partner's signed joint business plans for the period (jbp): the targets of the
    period's quarters, each from the plan of its own fiscal year (a trailing four quarters spans
    two plans), and whole-year targets of a fiscal year that contains the whole period, with
    actuals from the catalog; the plan of the fiscal year the period ends in, with the action
    items of its last review. None without a signed plan for that year."""
    plan = jbp_queries.signed_plan(access, partner.pk, period.fiscal_year)
    if plan is None:
        return None
    quarters = {(q.fiscal_year, q.quarter) for q in period.quarters_within()}
    earlier = sorted({fy for fy, _ in quarters if fy != plan.fiscal_year})
    plans = [p for fy in earlier if (p := jbp_queries.signed_plan(access, partner.pk, fy))] + [plan]
    rows = []
    for each in plans:
        whole_year = FiscalPeriod(period.start_month, each.fiscal_year)
        within = whole_year.start <= period.start and period.end <= whole_year.end
        targets = [
            t
            for t in each.targets.all()
            if (each.fiscal_year, t.quarter) in quarters or (t.quarter is None and within)
        ]
        rows += jbp_queries.scorecard(each, targets)
    last_review = next(iter(jbp_queries.reviews(plan)), None)
    return {
        "id": plan.pk,
        "title": plan.title,
        "targets": [
            {
                "label": r.label,
                "when": r.when if len(plans) == 1 else f"{r.when}, FY{r.target.plan.fiscal_year}",
                "unit": r.unit,
                "target": r.target.value,
                "actual": r.actual,
                "attainment": r.attainment,
            }
            for r in rows
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
    requests = incentive_queries.open_fund_requests(access, partner.pk, limit=OPEN_ROWS)
    claims = incentive_queries.open_claims(access, partner.pk, limit=OPEN_ROWS)
    statements = incentive_queries.approved_statements(access, partner.pk, period)
    return {
        "figures": _incentive_figures(access, partner, period),
        "open_requests": [_request_row(r) for r in requests],
        "open_claims": [_claim_row(c) for c in claims],
        "statements": [_statement_row(s) for s in statements],
    }


def _incentive_figures(access: TenantAccess, partner: Partner, period: FiscalPeriod) -> list[dict[str, Any]]:
    figures = []
    for key in QBR_INCENTIVE_METRICS:
        metric = catalog.get(key)
        value = metric.compute(tenant=access.tenant, partner_ids=[partner.pk], period=period).get(partner.pk)
        figures.append({"key": key, "label": metric.label, "unit": metric.unit, "value": value or Decimal(0)})
    return figures


def _request_row(request: FundRequest) -> dict[str, Any]:
    approved = request.status == FundRequest.Status.APPROVED
    return {
        "id": request.pk,
        "title": request.title,
        "status": request.get_status_display(),
        "amount": request.approved_amount if approved else request.requested_amount,
        "starts_on": request.starts_on,
    }


def _claim_row(claim: Claim) -> dict[str, Any]:
    approved = claim.status == Claim.Status.APPROVED
    return {
        "id": claim.pk,
        "title": claim.request.title,
        "status": claim.get_status_display(),
        "amount": claim.approved_amount if approved else claim.amount,
        "outstanding": claim.approved_amount - claim.paid_amount if approved else claim.amount,
        "submitted_on": claim.submitted_at.date(),
    }


def _statement_row(statement: RebateStatement) -> dict[str, Any]:
    return {
        "id": statement.pk,
        "program": statement.program.name,
        "basis": statement.basis,
        "amount": statement.amount,
        "status": statement.get_status_display(),
        "paid_on": statement.paid_on,
    }
