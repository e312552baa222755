"""Reads of joint business plans shared by pages, the PDF, the API and other apps.

Staff see every plan of the tenant; partner roles see their own partner's plans once shared
(drafts are the vendor's working copy), by construction: every read here starts from
``plans(access)``. ``access_*`` helpers answer 404 alike for "missing" and "not yours".

Actuals always come from the metric catalog (``prm.metrics``), never from a second definition.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

import prm.metrics
from prm import charts
from prm.access import TenantAccess
from prm.metrics import Unit
from prm.money import cents
from prm.periods import FiscalPeriod, fiscal_year_of

from . import metrics as jbp_metrics
from .models import (
    ActionItem,
    Activity,
    Comment,
    Investment,
    Plan,
    PlanExport,
    PlanVersion,
    Review,
    Side,
    Target,
)

PLAN_RELATED = (
    "partner",
    "partner__tier",
    "vendor_owner",
    "vendor_sponsor",
    "partner_owner",
    "partner_sponsor",
    "shared_by",
    "partner_approved_by",
    "signed_by",
)

# Attainment status of a plan in a period: actual revenue ÷ the commitment pro-rated to the
# share of the period that has elapsed (the whole commitment once the period is over).
ON_TRACK_AT = Decimal("0.90")  # at or above: on track
AT_RISK_AT = Decimal("0.70")  # at or above (and below on track): at risk; below: behind


class Pace:
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BEHIND = "behind"
    NO_COMMITMENT = "no_commitment"

    LABELS = {ON_TRACK: "On track", AT_RISK: "At risk", BEHIND: "Behind", NO_COMMITMENT: "No commitment"}


# --- plans -------------------------------------------------------------------------------------


def plans(access: TenantAccess) -> QuerySet[Plan]:
    """Plans the caller may see: all of the tenant's for staff; the own partner's, once shared, for partners."""
    qs = Plan.objects.all()
    if access.is_partner:
        qs = qs.filter(partner_id=access.require_partner()).exclude(status=Plan.Status.DRAFT)
    return qs


def access_plan(access: TenantAccess, plan_id: int) -> Plan:
    plan = plans(access).select_related(*PLAN_RELATED).filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    return plan


def plan_list(access: TenantAccess, *, status: str = "", fiscal_year: int | None = None) -> QuerySet[Plan]:
    qs = plans(access).select_related("partner", "partner__tier", "vendor_owner")
    if status:
        qs = qs.filter(status=status)
    if fiscal_year:
        qs = qs.filter(fiscal_year=fiscal_year)
    return qs.order_by("-fiscal_year", "partner__name", "-pk")


def partner_plans(access: TenantAccess, partner_id: int) -> list[Plan]:
    return list(plans(access).filter(partner_id=partner_id).order_by("-fiscal_year", "-pk")[:5])


def fiscal_year_period(plan: Plan) -> FiscalPeriod:
    return FiscalPeriod(plan.tenant.fiscal_year_start_month, plan.fiscal_year)


def target_period(plan: Plan, quarter: int | None) -> FiscalPeriod:
    return FiscalPeriod(plan.tenant.fiscal_year_start_month, plan.fiscal_year, quarter)


def current_fiscal_year(tenant: Any, today: date | None = None) -> int:
    return fiscal_year_of(today or timezone.localdate(), tenant.fiscal_year_start_month).fiscal_year


# --- targets vs actuals --------------------------------------------------------------------------


def _ratio(actual: Decimal | int | None, target: Decimal | int | None) -> Decimal | None:
    """Attainment, actual ÷ target, rounded once by the catalog's rule (give exact actuals)."""
    if actual is None or not target:
        return None
    return prm.metrics.rounded_ratio(Decimal(actual) / Decimal(target))


@dataclass
class TargetRow:
    target: Target
    label: str
    unit: str
    period: FiscalPeriod
    actual: Decimal | int | None
    attainment: Decimal | None

    @property
    def when(self) -> str:
        return f"Q{self.target.quarter}" if self.target.quarter else "Full year"


def metric_label(key: str) -> str:
    try:
        return prm.metrics.get(key).label
    except KeyError:
        return key


def actuals(
    plan: Plan, keys_and_periods: set[tuple[str, FiscalPeriod]]
) -> dict[tuple[str, FiscalPeriod], Any]:
    """The partner's exact actual value of each (metric, period) from the catalog (one call per
    pair); round with ``prm.metrics.rounded`` to show it."""
    values: dict[tuple[str, FiscalPeriod], Any] = {}
    for key, period in sorted(keys_and_periods, key=lambda kp: (kp[0], kp[1].quarter or 0)):
        try:
            metric = prm.metrics.get(key)
        except KeyError:
            values[(key, period)] = None
            continue
        values[(key, period)] = metric.compute(
            tenant=plan.tenant, partner_ids=[plan.partner_id], period=period, exact=True
        )[plan.partner_id]
    return values


def scorecard(plan: Plan, targets: list[Target] | None = None) -> list[TargetRow]:
    """Every target of the plan with its actual (from the catalog) and attainment (actual ÷ target)."""
    targets = list(plan.targets.all()) if targets is None else targets
    pairs = {(t.metric_key, target_period(plan, t.quarter)) for t in targets}
    values = actuals(plan, pairs)
    rows = []
    order: dict[str, int] = {Target.Kind.REVENUE: 0, Target.Kind.PIPELINE: 1, Target.Kind.OTHER: 2}
    targets = sorted(targets, key=lambda t: (order.get(t.kind, 3), t.metric_key, t.quarter or 0, t.pk))
    for t in targets:
        period = target_period(plan, t.quarter)
        try:
            unit = prm.metrics.get(t.metric_key).unit
        except KeyError:
            unit = Unit.COUNT
        actual = values[(t.metric_key, period)]
        shown = prm.metrics.rounded(unit, actual)
        rows.append(TargetRow(t, metric_label(t.metric_key), unit, period, shown, _ratio(actual, t.value)))
    return rows


@dataclass
class QuarterLine:
    quarter: int
    label: str
    revenue_commitment: Decimal | None = None
    revenue_actual: Decimal | None = None
    pipeline_target: Decimal | None = None
    pipeline_actual: Decimal | None = None
    mdf_committed: Decimal = Decimal("0.00")
    partner_invested: Decimal = Decimal("0.00")
    vendor_delivered: Decimal = Decimal("0.00")
    partner_delivered: Decimal = Decimal("0.00")
    activities_planned: int = 0
    activities_done: int = 0

    @property
    def revenue_attainment(self) -> Decimal | None:
        return _ratio(self.revenue_actual, self.revenue_commitment)

    @property
    def pipeline_attainment(self) -> Decimal | None:
        return _ratio(self.pipeline_actual, self.pipeline_target)


def quarter_lines(
    plan: Plan, rows: list[TargetRow], investments: list[Investment], activities: list[Activity]
) -> list[QuarterLine]:
    """The commitment ledger: per quarter, each commitment and investment against what happened."""
    start_month = plan.tenant.fiscal_year_start_month
    lines = {q: QuarterLine(q, FiscalPeriod(start_month, plan.fiscal_year, q).label) for q in range(1, 5)}
    for row in rows:
        q = row.target.quarter
        if q is None:
            continue
        if row.target.kind == Target.Kind.REVENUE:
            lines[q].revenue_commitment = row.target.value
            lines[q].revenue_actual = row.actual  # type: ignore[assignment]
        elif row.target.kind == Target.Kind.PIPELINE:
            lines[q].pipeline_target = row.target.value
            lines[q].pipeline_actual = row.actual  # type: ignore[assignment]
    for inv in investments:
        share = [inv.quarter] if inv.quarter else [1, 2, 3, 4]
        for q in share:
            part = Decimal(len(share))
            amount = (inv.amount or Decimal(0)) / part
            delivered = (inv.delivered_amount or Decimal(0)) / part
            if inv.side == Side.VENDOR:
                if inv.kind == Investment.Kind.MDF:
                    lines[q].mdf_committed += amount
                lines[q].vendor_delivered += delivered
            else:
                lines[q].partner_invested += amount
                lines[q].partner_delivered += delivered
    for act in activities:
        if act.status == Activity.Status.CANCELLED:
            continue
        lines[act.quarter].activities_planned += 1
        if act.status == Activity.Status.DONE:
            lines[act.quarter].activities_done += 1
    for line in lines.values():
        for name in ("mdf_committed", "partner_invested", "vendor_delivered", "partner_delivered"):
            setattr(line, name, getattr(line, name).quantize(Decimal("0.01"), ROUND_HALF_UP))
    return [lines[q] for q in range(1, 5)]


@dataclass(frozen=True)
class LedgerRow:
    label: str
    kind: str  # money, ratio or count
    values: list[Any]
    total: Any
    strong: bool = False


def _total(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def ledger_rows(lines: list[QuarterLine]) -> list[LedgerRow]:
    """The ledger read across: one row per commitment or investment, a column per quarter and the year."""

    def money(label: str, attr: str, strong: bool = False) -> LedgerRow:
        values = [getattr(line, attr) for line in lines]
        return LedgerRow(label, "money", values, _total(values), strong)

    def ratio(label: str, actual: LedgerRow, target: LedgerRow) -> LedgerRow:
        return LedgerRow(
            label,
            "ratio",
            [_ratio(a, t) for a, t in zip(actual.values, target.values, strict=True)],
            _ratio(actual.total, target.total),
            True,
        )

    revenue_target, revenue_actual = (
        money("Revenue committed", "revenue_commitment"),
        money("Revenue actual", "revenue_actual"),
    )
    pipeline_target, pipeline_actual = (
        money("Pipeline target", "pipeline_target"),
        money("Pipeline actual", "pipeline_actual"),
    )
    done = [line.activities_done for line in lines]
    planned = [line.activities_planned for line in lines]
    return [
        revenue_target,
        revenue_actual,
        ratio("Revenue attainment", revenue_actual, revenue_target),
        pipeline_target,
        pipeline_actual,
        ratio("Pipeline attainment", pipeline_actual, pipeline_target),
        money("Vendor MDF committed", "mdf_committed"),
        money("Vendor investment delivered", "vendor_delivered"),
        money("Partner investment committed", "partner_invested"),
        money("Partner investment delivered", "partner_delivered"),
        LedgerRow(
            "Activities done / planned",
            "count",
            [f"{d} / {p}" for d, p in zip(done, planned, strict=True)],
            f"{sum(done)} / {sum(planned)}",
        ),
    ]


def _percent(value: Decimal | None) -> float | None:
    return None if value is None else float(value * 100)


def attainment_chart(plan: Plan, lines: list[QuarterLine], *, width: int = 720, height: int = 340) -> Any:
    """Attainment by quarter (revenue and pipeline, in % of target) as an accessible SVG."""
    return charts.bar_chart(
        title="Attainment by quarter",
        description=f"Revenue commitment and pipeline target attainment of {plan.partner.name}, FY{plan.fiscal_year}, in percent of target.",
        labels=[line.label for line in lines],
        series={
            "Revenue attainment": [_percent(line.revenue_attainment) for line in lines],
            "Pipeline attainment": [_percent(line.pipeline_attainment) for line in lines],
        },
        unit="%",
        width=width,
        height=height,
    )


@dataclass
class PlanView:
    """Everything the plan page and the PDF show, read once."""

    plan: Plan
    rows: list[TargetRow]
    investments: list[Investment]
    activities: list[Activity]
    lines: list[QuarterLine]
    chart: Any
    totals: dict[str, Any] = field(default_factory=dict)

    @property
    def ledger(self) -> list[LedgerRow]:
        return ledger_rows(self.lines)

    @property
    def revenue_rows(self) -> list[TargetRow]:
        return [r for r in self.rows if r.target.kind == Target.Kind.REVENUE]

    @property
    def pipeline_rows(self) -> list[TargetRow]:
        return [r for r in self.rows if r.target.kind == Target.Kind.PIPELINE]

    @property
    def other_rows(self) -> list[TargetRow]:
        return [r for r in self.rows if r.target.kind == Target.Kind.OTHER]

    @property
    def vendor_investments(self) -> list[Investment]:
        return [i for i in self.investments if i.side == Side.VENDOR]

    @property
    def partner_investments(self) -> list[Investment]:
        return [i for i in self.investments if i.side == Side.PARTNER]


def plan_view(plan: Plan, *, chart_width: int = 720) -> PlanView:
    targets = list(plan.targets.all())
    investments = list(plan.investments.all())
    activities = list(plan.activities.all())
    rows = scorecard(plan, targets)
    lines = quarter_lines(plan, rows, investments, activities)
    revenue_commitment = sum((line.revenue_commitment or Decimal(0) for line in lines), Decimal(0))
    revenue_actual = sum((line.revenue_actual or Decimal(0) for line in lines), Decimal(0))
    totals = {
        "revenue_commitment": revenue_commitment,
        "revenue_actual": revenue_actual,
        "revenue_attainment": _ratio(revenue_actual, revenue_commitment),
        "mdf_committed": sum((line.mdf_committed for line in lines), Decimal(0)),
        "vendor_investment": sum(
            (i.amount or Decimal(0) for i in investments if i.side == Side.VENDOR), Decimal(0)
        ),
        "partner_investment": sum(
            (i.amount or Decimal(0) for i in investments if i.side == Side.PARTNER), Decimal(0)
        ),
        "activity_budget": sum(
            (a.budget for a in activities if a.status != Activity.Status.CANCELLED), Decimal(0)
        ),
    }
    return PlanView(
        plan, rows, investments, activities, lines, attainment_chart(plan, lines, width=chart_width), totals
    )


# --- attainment status for dashboards -------------------------------------------------------------


@dataclass(frozen=True)
class PlanAttainment:
    plan_id: int
    partner_id: int
    partner_name: str
    plan_title: str
    plan_status: str
    commitment: Decimal | None
    actual: Decimal
    attainment: Decimal | None  # actual ÷ full commitment of the period
    pace: Decimal | None  # actual ÷ commitment pro-rated to the elapsed share of the period
    status: str

    @property
    def status_label(self) -> str:
        return Pace.LABELS[self.status]


def elapsed_share(period: FiscalPeriod, today: date) -> Decimal:
    """How much of the period has passed: 0 before it starts, 1 after it ends (days, inclusive)."""
    if today < period.start:
        return Decimal(0)
    if today >= period.end:
        return Decimal(1)
    total = (period.end - period.start).days + 1
    return Decimal((today - period.start).days + 1) / Decimal(total)


def pace_status(actual: Decimal, commitment: Decimal | None, share: Decimal) -> tuple[Decimal | None, str]:
    """On track at ≥ 90 % of the pro-rated commitment, at risk at ≥ 70 %, behind below."""
    if not commitment:
        return None, Pace.NO_COMMITMENT
    if share == 0:
        return None, Pace.ON_TRACK  # the period has not started: nothing is late yet
    exact = actual / (commitment * share)  # the status compares the exact pace; the pace shown is rounded
    pace = prm.metrics.rounded_ratio(exact)
    if exact >= ON_TRACK_AT:
        return pace, Pace.ON_TRACK
    if exact >= AT_RISK_AT:
        return pace, Pace.AT_RISK
    return pace, Pace.BEHIND


def plan_attainment_statuses(
    *, tenant: Any, period: FiscalPeriod, today: date | None = None
) -> list[PlanAttainment]:
    """For a fiscal period (quarter, year or trailing four quarters): each partner with a signed
    plan (active or closed) for a fiscal year of the period, with the revenue committed for the
    period's quarters (each from the plan of its own fiscal year) and the actual revenue of those
    quarters (catalog ``revenue``; as ``jbp_revenue_attainment``), attainment, pace against the
    commitment expected by today (each quarter's commitment pro-rated to its elapsed part) and
    status (on track / at risk / behind; see ``pace_status``). The plan named is the one of the
    latest fiscal year. Three statements for all plans."""
    today = today or timezone.localdate()
    years = sorted({q.fiscal_year for q in period.quarters_within()})
    signed = list(
        Plan.objects.filter(fiscal_year__in=years, status__in=sorted(Plan.SIGNED))
        .select_related("partner")
        .order_by("partner__name", "partner_id", "fiscal_year", "pk")
    )
    latest: dict[int, Plan] = {plan.partner_id: plan for plan in signed}
    commitments = jbp_metrics.revenue_commitments(list(latest), period)
    revenue = jbp_metrics.committed_revenue(tenant, commitments, period)
    result = []
    for partner_id, plan in latest.items():
        committed = commitments.get(partner_id, {})
        commitment = sum(committed.values(), Decimal(0)) or None
        actual = sum(revenue.get(partner_id, {}).values(), Decimal(0))
        expected = sum((value * elapsed_share(q, today) for q, value in committed.items()), Decimal(0))
        share = expected / commitment if commitment else elapsed_share(period, today)
        pace, status = pace_status(actual, commitment, share)
        result.append(
            PlanAttainment(
                plan.pk,
                partner_id,
                plan.partner.name,
                plan.title,
                plan.status,
                commitment,
                cents(actual) or Decimal("0.00"),
                _ratio(actual, commitment),
                pace,
                status,
            )
        )
    return result


# --- comments, versions, reviews, action items, exports ------------------------------------------


def comments(plan: Plan) -> QuerySet[Comment]:
    return plan.comments.select_related("author").order_by("created_at", "pk")


def versions(plan: Plan) -> QuerySet[PlanVersion]:
    return plan.versions.order_by("-number")


def access_version(plan: Plan, number: int) -> PlanVersion:
    version = plan.versions.filter(number=number).first()
    if version is None:
        raise Http404
    return version


def reviews(plan: Plan) -> list[Review]:
    return list(
        plan.reviews.prefetch_related(
            Prefetch(
                "action_items", queryset=ActionItem.objects.select_related("owner").order_by("due_on", "pk")
            )
        ).order_by("-held_on", "-pk")
    )


def access_review(plan: Plan, review_id: int) -> Review:
    review = plan.reviews.filter(pk=review_id).first()
    if review is None:
        raise Http404
    return review


def open_action_items(plan: Plan) -> list[ActionItem]:
    """Open items of every review of the plan: they carry into the next review until done."""
    return list(
        plan.action_items.filter(status=ActionItem.Status.OPEN)
        .select_related("review", "owner")
        .order_by("due_on", "pk")
    )


def access_action_item(plan: Plan, item_id: int) -> ActionItem:
    item = plan.action_items.filter(pk=item_id).first()
    if item is None:
        raise Http404
    return item


def my_action_items(access: TenantAccess) -> QuerySet[ActionItem]:
    """Open action items of the caller's visible plans (the portal's own company's)."""
    return (
        ActionItem.objects.filter(plan__in=plans(access), status=ActionItem.Status.OPEN)
        .select_related("plan", "review")
        .order_by("due_on", "pk")
    )


def exports(plan: Plan) -> list[PlanExport]:
    return list(plan.exports.order_by("-created_at", "-pk")[:5])


def access_export(plan: Plan, export_id: int) -> PlanExport:
    export = plan.exports.filter(pk=export_id).first()
    if export is None:
        raise Http404
    return export


def grouped_by_quarter(items: list[Any]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for item in items:
        grouped[item.quarter].append(item)
    return dict(grouped)


def signed_plan(access: TenantAccess, partner_id: int, fiscal_year: int) -> Plan | None:
    """The partner's signed plan (executive signed: active or closed) for a fiscal year, if any."""
    return (
        plans(access)
        .filter(partner_id=partner_id, fiscal_year=fiscal_year, status__in=sorted(Plan.SIGNED))
        .order_by("-pk")
        .first()
    )
