"""The recalculation engine: one set-based pass over the tenant's scored partners.

``compute`` reads the catalog metrics of the active criteria (one query per metric for every
partner), the manual ratings (one query) and the facts the tier rules look at, then scores and
recommends in memory. It writes nothing: ``services.score_run_execute`` stores the result and
``services.what_if`` compares it with the current tiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from prm import metrics
from prm.periods import FiscalPeriod, fiscal_quarter_of
from prm.tenancy import require_current_tenant

from ..models import Partner, Tier
from .models import ManualRating
from .scoring import CriterionSpec, PartnerFacts, recommend, score_partners

# Partners that are scored: in the program, not prospects, leavers or archived.
SCORED_STATUSES = (Partner.Status.ONBOARDING, Partner.Status.ACTIVE, Partner.Status.SUSPENDED)
JBP_METRIC = "jbp_signed"


@dataclass
class PartnerResult:
    partner_id: int
    tier_id: int | None
    score: Decimal
    breakdown: list[dict[str, Any]]
    recommended: Tier | None
    rules: list[dict[str, Any]]
    facts: PartnerFacts


@dataclass
class Computation:
    run_on: date
    period: FiscalPeriod
    tiers: list[Tier]
    results: dict[int, PartnerResult] = field(default_factory=dict)
    revenue_ttm: dict[int, Decimal] = field(default_factory=dict)


def period_for(run_on: date) -> FiscalPeriod:
    """The fiscal quarter a run on ``run_on`` measures (metrics over a period use it)."""
    return fiscal_quarter_of(run_on, require_current_tenant().fiscal_year_start_month)


def scored_partners() -> list[tuple[int, int | None]]:
    return list(
        Partner.objects.filter(archived_at__isnull=True, status__in=SCORED_STATUSES)
        .order_by("pk")
        .values_list("pk", "tier_id")
    )


def _metric_values(
    key: str, tenant: Any, ids: list[int], period: FiscalPeriod, cache: dict[str, dict]
) -> dict:
    if key not in cache:
        cache[key] = metrics.get(key).compute(tenant=tenant, partner_ids=ids, period=period)
    return cache[key]


def jbp_metric() -> metrics.Metric | None:
    """The signed-plan metric, looked up lazily (registered by the plans app when installed)."""
    try:
        return metrics.get(JBP_METRIC)
    except KeyError:
        return None


def compute(
    *,
    run_on: date,
    criteria: list[CriterionSpec],
    tiers: list[Tier] | None = None,
    partners: list[tuple[int, int | None]] | None = None,
) -> Computation:
    """Score and recommend every scored partner as of ``run_on`` (nothing is written)."""
    tenant = require_current_tenant()
    period = period_for(run_on)
    tiers = sorted(tiers if tiers is not None else Tier.objects.all(), key=lambda t: t.rank)
    partners = partners if partners is not None else scored_partners()
    ids = [pid for pid, _ in partners]
    result = Computation(run_on=run_on, period=period, tiers=tiers)
    if not ids:
        return result
    cache: dict[str, dict] = {}
    raw: dict[str, dict[int, Any]] = {}
    manual_keys = [c.key for c in criteria if c.kind == "manual"]
    if manual_keys:
        ratings: dict[str, dict[int, int]] = {k: {} for k in manual_keys}
        for pid, key, value in ManualRating.objects.filter(
            key__in=manual_keys, partner_id__in=ids
        ).values_list("partner_id", "key", "value"):
            ratings[key][pid] = value
        raw.update(ratings)
    for c in criteria:
        if c.kind == "computed":
            raw[c.key] = _metric_values(c.metric_key, tenant, ids, period, cache)
    units = {c.key: metrics.get(c.metric_key).unit for c in criteria if c.kind == "computed"}
    scores = score_partners(criteria, raw, ids, units)

    # Facts the tier rules need (reusing a metric already computed for a criterion).
    need_certs = any(t.min_active_certifications for t in tiers)
    need_revenue = True  # also feeds the concentration alert
    need_jbp = any(t.requires_signed_jbp for t in tiers)
    certs = _metric_values("active_certifications", tenant, ids, period, cache) if need_certs else {}
    revenue = _metric_values("revenue_ttm", tenant, ids, period, cache) if need_revenue else {}
    jbp_values: dict[int, Any] | None = None
    if need_jbp:
        metric = jbp_metric()
        if metric is not None:
            jbp_values = cache.setdefault(
                JBP_METRIC, metric.compute(tenant=tenant, partner_ids=ids, period=period)
            )
    result.revenue_ttm = {pid: Decimal(revenue.get(pid) or 0) for pid in ids}
    for pid, tier_id in partners:
        score, breakdown = scores[pid]
        facts = PartnerFacts(
            score=score,
            certifications=int(certs.get(pid) or 0),
            revenue_ttm=result.revenue_ttm[pid],
            jbp_signed=None if jbp_values is None else bool(jbp_values.get(pid)),
        )
        recommended, rules = recommend(tiers, facts, tenant.currency)
        result.results[pid] = PartnerResult(pid, tier_id, score, breakdown, recommended, rules, facts)
    return result
