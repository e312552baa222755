"""The recalculation engine: one set-based pass over the tenant's scored partners.

``compute`` reads the catalog metrics of the active criteria (one query per metric for every
partner), the manual ratings (one query) and the facts the tier rules look at, then scores and
recommends in memory. It writes nothing: ``recalculation.score_run_execute`` stores the result and
``queries.what_if`` compares it with the current tiers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from partners.models import Partner, Tier
from prm import metrics
from prm.periods import FiscalPeriod, fiscal_quarter_of
from prm.tenancy import require_current_tenant

from .models import ManualRating
from .scoring import ZERO, Breakdowns, CriterionSpec, PartnerFacts, RuleExplainer, ScoreColumns, score_columns

# Partners that are scored: in the program, not prospects, leavers or archived.
SCORED_STATUSES = (Partner.Status.ONBOARDING, Partner.Status.ACTIVE, Partner.Status.SUSPENDED)
JBP_METRIC = "jbp_signed"


class PartnerResult:
    """One partner's score and recommendation; the breakdown and the rules' explanation are
    built when asked for (a run stores them, a what-if does not need them)."""

    __slots__ = (
        "_breakdown",
        "_computation",
        "_index",
        "_rules",
        "partner_id",
        "recommended",
        "score",
        "tier_id",
    )

    def __init__(self, computation: Computation, index: int) -> None:
        self._computation, self._index = computation, index
        self.partner_id = computation.ids[index]
        self.tier_id = computation.tier_ids[index]
        self.score = computation.columns.scores[index]
        self.recommended = computation.recommended[index]
        self._breakdown: list[dict[str, Any]] | None = None
        self._rules: list[dict[str, Any]] | None = None

    @property
    def facts(self) -> PartnerFacts:
        c, i = self._computation, self._index
        return PartnerFacts(
            score=self.score,
            certifications=c.certifications[i],
            revenue_ttm=c.revenue_column[i],
            jbp_signed=None if c.jbp_signed is None else c.jbp_signed[i],
        )

    @property
    def breakdown(self) -> list[dict[str, Any]]:
        """Each criterion's raw, normalised and weighted value (rows shared: read-only)."""
        if self._breakdown is None:
            self._breakdown = self._computation.breakdowns.of(self._index)
        return self._breakdown

    @property
    def breakdown_json(self) -> str:
        return self._computation.breakdowns.json_of(self._index)

    @property
    def rules(self) -> list[dict[str, Any]]:
        """The rules of the recommended tier and of the next better one, met or missed."""
        if self._rules is None:
            c = self._computation
            recommended = None if self.recommended is None else c.tier_index[self.recommended.pk]
            self._rules = c.explainer.explain(self.facts, recommended)
        return self._rules


class Results(Mapping[int, PartnerResult]):
    """Partner id → ``PartnerResult``, made on access from the computation's columns."""

    def __init__(self, computation: Computation) -> None:
        self._computation = computation
        self._index = {pid: i for i, pid in enumerate(computation.ids)}
        self._made: dict[int, PartnerResult] = {}

    def __getitem__(self, pid: int) -> PartnerResult:
        made = self._made.get(pid)
        if made is None:
            made = self._made[pid] = PartnerResult(self._computation, self._index[pid])
        return made

    def __iter__(self) -> Iterator[int]:
        return iter(self._computation.ids)

    def __len__(self) -> int:
        return len(self._computation.ids)


@dataclass
class Computation:
    run_on: date
    period: FiscalPeriod
    tiers: list[Tier]
    criteria: list[CriterionSpec] = field(default_factory=list)
    currency: str = ""
    units: dict[str, str] = field(default_factory=dict)
    # Columns: index i is the i-th scored partner.
    ids: list[int] = field(default_factory=list)
    tier_ids: list[int | None] = field(default_factory=list)
    raw: dict[str, list[Any]] = field(default_factory=dict)
    columns: ScoreColumns = field(default_factory=lambda: ScoreColumns([], {}, {}))
    recommended: list[Tier | None] = field(default_factory=list)
    certifications: list[int] = field(default_factory=list)
    revenue_column: list[Decimal] = field(default_factory=list)
    jbp_signed: list[bool] | None = None
    revenue_ttm: dict[int, Decimal] = field(default_factory=dict)

    _results: Results | None = field(default=None, repr=False)

    @cached_property
    def breakdowns(self) -> Breakdowns:
        return Breakdowns(self.criteria, self.raw, self.columns, self.units)

    @cached_property
    def explainer(self) -> RuleExplainer:
        return RuleExplainer(self.tiers, self.currency)

    @cached_property
    def tier_index(self) -> dict[int, int]:
        return {tier.pk: index for index, tier in enumerate(self.tiers)}

    @property
    def results(self) -> Results:
        if self._results is None:
            self._results = Results(self)
        return self._results


def period_for(run_on: date) -> FiscalPeriod:
    """The period a run on ``run_on`` scores: the last FINISHED fiscal quarter, the one before the
    quarter containing ``run_on`` (every metric over a period and the rules' facts use it).

    An unfinished quarter would compare a few weeks of revenue with a full quarter a year earlier
    (growth reads as a collapse) and count certifications as of a quarter end still to come."""
    return fiscal_quarter_of(run_on, require_current_tenant().fiscal_year_start_month).previous()


def scored_partner_rows() -> QuerySet[Partner]:
    """The partners a run scores: in the program, not prospects, leavers or archived."""
    return Partner.objects.filter(archived_at__isnull=True, status__in=SCORED_STATUSES)


def scored_partners() -> list[tuple[int, int | None]]:
    return _rows(scored_partner_rows().order_by("pk").values_list("pk", "tier_id"))


def _rows(queryset: Any) -> list[tuple]:
    """The rows of a ``values_list`` queryset of plain columns (ids, integers), fetched directly."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def jbp_metric() -> metrics.Metric | None:
    """The signed-plan metric, looked up lazily (registered by the plans app when installed)."""
    try:
        return metrics.get(JBP_METRIC)
    except KeyError:
        return None


def _column(metric: metrics.Metric, tenant: Any, ids: list[int], period: FiscalPeriod) -> list[Any]:
    """A catalog metric's exact value (not rounded: a score line is computed from it) for each of
    ``ids`` (the tenant's scored partners), in order.

    The metric is computed for every partner of the tenant in one query (no list of 10,000 ids
    sent to the database); partners without data get the metric's empty value."""
    found = metric.compute_all(tenant=tenant, period=period, partner_ids=ids, exact=True)
    empty = metric.empty_value
    return [found.get(pid, empty) for pid in ids]


def compute(
    *,
    run_on: date,
    criteria: list[CriterionSpec],
    tiers: list[Tier] | None = None,
    partners: list[tuple[int, int | None]] | None = None,
) -> Computation:
    """Score and recommend every scored partner on a run of ``run_on``: over ``period_for(run_on)``,
    the last finished fiscal quarter (nothing is written)."""
    tenant = require_current_tenant()
    period = period_for(run_on)
    tiers = sorted(tiers if tiers is not None else Tier.objects.all(), key=lambda t: t.rank)
    partners = partners if partners is not None else scored_partners()
    criteria = list(criteria)
    result = Computation(
        run_on=run_on, period=period, tiers=tiers, criteria=criteria, currency=tenant.currency
    )
    if not partners:
        return result
    ids = [pid for pid, _ in partners]
    result.ids, result.tier_ids = ids, [tier_id for _, tier_id in partners]
    cache: dict[str, list[Any]] = {}

    def column(key: str) -> list[Any]:
        if key not in cache:
            cache[key] = _column(metrics.get(key), tenant, ids, period)
        return cache[key]

    raw: dict[str, list[Any]] = {}
    manual_keys = [c.key for c in criteria if c.kind == "manual"]
    if manual_keys:
        ratings: dict[str, dict[int, int]] = {k: {} for k in manual_keys}
        for pid, key, value in _rows(
            ManualRating.objects.filter(key__in=manual_keys).values_list("partner_id", "key", "value")
        ):
            ratings[key][pid] = value
        for key, by_partner in ratings.items():
            raw[key] = [by_partner.get(pid) for pid in ids]
    for c in criteria:
        if c.kind == "computed":
            raw[c.key] = column(c.metric_key)
    result.raw = raw
    result.units = {c.key: metrics.get(c.metric_key).unit for c in criteria if c.kind == "computed"}
    result.columns = score_columns(criteria, raw, len(ids))

    # Facts the tier rules need (reusing a metric already computed for a criterion); revenue
    # also feeds the concentration alert.
    if any(t.min_active_certifications for t in tiers):
        result.certifications = [int(v or 0) for v in column("active_certifications")]
    else:
        result.certifications = [0] * len(ids)
    result.revenue_column = [ZERO if not v else Decimal(v) for v in column("revenue_ttm")]
    result.revenue_ttm = dict(zip(ids, result.revenue_column, strict=True))
    if any(t.requires_signed_jbp for t in tiers):
        metric = jbp_metric()
        if metric is not None:
            result.jbp_signed = [bool(v) for v in _column(metric, tenant, ids, period)]
    result.recommended = _recommendations(result)
    return result


def _recommendations(result: Computation) -> list[Tier | None]:
    """The best-ranked tier each partner qualifies for (``scoring.qualifies``, column by column)."""
    rules = [
        (
            tier,
            tier.min_score,
            tier.min_active_certifications or 0,
            tier.min_revenue_ttm if tier.min_revenue_ttm is not None and tier.min_revenue_ttm > 0 else None,
            tier.requires_signed_jbp,
        )
        for tier in result.tiers
    ]
    jbp = result.jbp_signed if result.jbp_signed is not None else [False] * len(result.ids)
    recommended: list[Tier | None] = []
    for score, certs, revenue, signed in zip(
        result.columns.scores, result.certifications, result.revenue_column, jbp, strict=True
    ):
        best = None
        for tier, min_score, min_certs, min_revenue, needs_jbp in rules:
            if (
                score >= min_score
                and certs >= min_certs
                and (min_revenue is None or revenue >= min_revenue)
                and (signed or not needs_jbp)
            ):
                best = tier
                break
        recommended.append(best)
    return recommended
