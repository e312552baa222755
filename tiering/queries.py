"""Reads of tiering that pages, the portal, the API and other apps share.

Every function reads the current tenant's rows (scoped managers); portal callers pass their own
partner, never a partner id from the request.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    Field,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.expressions import Expression
from django.utils import timezone

from partners.models import Partner, Tier
from partners.vocab import Classification
from prm.access import TenantAccess, require
from prm.periods import FiscalPeriod, parse_period
from prm.permissions import Perm
from prm.tenancy import require_current_tenant

from . import engine
from .models import (
    BalanceAlert,
    Criterion,
    ManualRating,
    PortfolioReview,
    ReviewDecision,
    Scorecard,
    ScoreRun,
    ScoreSnapshot,
    TierChange,
    TierChangeProposal,
)
from .program import (
    DEFAULT_CRITERIA,
    TIER_FIELDS,
    active_criteria,
    strategic_count,
    tiering_settings,
    validate_criteria,
)

SCORE_BANDS = [(0, 20), (20, 40), (40, 60), (60, 80), (80, 101)]


def tiers(access: TenantAccess) -> list[Tier]:
    return list(Tier.objects.order_by("rank"))


def tier_at(day: date) -> Expression | F:
    """A partner queryset's tier id at the end of ``day`` (``annotate(tier_then=tier_at(day))``),
    from the tier history: the tier the last change up to that day moved the partner to; without
    one, the tier the first later change moved it from; without any change, its tier today. A day
    from today on is today's tier."""
    if day >= timezone.localdate():
        return F("tier_id")
    cutoff = datetime.combine(day + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone())
    before = TierChange.objects.filter(partner=OuterRef("pk"), changed_at__lt=cutoff).order_by(
        "-changed_at", "-pk"
    )
    after = TierChange.objects.filter(partner=OuterRef("pk"), changed_at__gte=cutoff).order_by(
        "changed_at", "pk"
    )
    return Case(
        When(Exists(before), then=Subquery(before.values("to_tier_id")[:1])),
        When(Exists(after), then=Subquery(after.values("from_tier_id")[:1])),
        default=F("tier_id"),
        output_field=BigIntegerField(),
    )


def latest_snapshots(
    partners: QuerySet[Partner], *, before: date, fields: Sequence[str], inclusive: bool = False
) -> list[tuple[Any, ...]]:
    """``(partner_id, *fields)`` of the latest snapshot of each of ``partners`` dated before
    ``before`` (on it too when ``inclusive``); partners never scored by then have no row.

    One statement driven by the partners: one probe of the (tenant, partner, run_on) index per
    partner, so its cost does not grow with the nights of history kept (a filter on ``run_on =
    (latest of that partner)`` over the snapshots evaluates the subquery once per stored
    snapshot). PostgreSQL gets a ``LATERAL`` join (its planner may otherwise hash-join the
    partners' latest ids against every snapshot of the tenant); SQLite looks the ids up by rowid."""
    dated = {"run_on__lte" if inclusive else "run_on__lt": before}
    latest = ScoreSnapshot.objects.filter(partner_id=OuterRef("pk"), **dated).order_by("-run_on")
    if connection.vendor != "postgresql":
        ids = partners.order_by().annotate(latest_id=Subquery(latest.values("pk")[:1])).values("latest_id")
        return list(ScoreSnapshot.objects.filter(pk__in=ids).values_list("partner_id", *fields))
    meta = ScoreSnapshot._meta
    columns = [cast("Field[Any, Any]", meta.get_field(name)) for name in fields]
    quote = connection.ops.quote_name
    partners_sql, partners_params = (
        partners.order_by().annotate(ref=F("pk")).values("ref").query.sql_with_params()
    )
    probe_sql, probe_params = (
        ScoreSnapshot.objects.filter(**dated)
        .extra(where=[f"{quote(meta.db_table)}.partner_id = p.ref"])  # noqa: S610 (a column, no input)
        .order_by("-run_on")
        .values(*fields)[:1]
        .query.sql_with_params()
    )
    selected = ", ".join(f"s.{quote(field.column or field.name)}" for field in columns)
    sql = f"SELECT p.ref, {selected} FROM ({partners_sql}) p CROSS JOIN LATERAL ({probe_sql}) s"  # noqa: S608 (Django's SQL, parameters bound)
    with connection.cursor() as cursor:
        cursor.execute(sql, (*partners_params, *probe_params))
        rows = cursor.fetchall()
    converters = [
        (i, field.from_db_value)
        for i, field in enumerate(columns, start=1)
        if hasattr(field, "from_db_value")
    ]
    if not converters:
        return rows
    found = []
    for row in rows:
        values = list(row)
        for i, convert in converters:
            values[i] = convert(values[i], None, connection)
        found.append(tuple(values))
    return found


def classification_of(tier_id_column: str) -> Subquery:
    """The classification of the tier a queryset's ``tier_id_column`` names (None without a tier)."""
    return Subquery(Tier.objects.filter(pk=OuterRef(tier_id_column)).values("classification")[:1])


def tier_movements(access: TenantAccess, period: FiscalPeriod) -> QuerySet[TierChange]:
    """Tier changes made within ``period`` (by the date they took effect), oldest first, with the
    partner and both tiers loaded: promotions have a ``to_tier`` of better (lower) rank."""
    return (
        TierChange.objects.filter(changed_at__date__gte=period.start, changed_at__date__lte=period.end)
        .select_related("partner", "from_tier", "to_tier", "changed_by", "changed_by_key", "proposal")
        .order_by("changed_at", "pk")
    )


def portfolio_balance(access: TenantAccess) -> dict[str, Any]:
    """Strategic partners against the cap, and the open balance alerts."""
    settings_row = tiering_settings()
    count = strategic_count()
    return {
        "strategic_count": count,
        "strategic_cap": settings_row.strategic_cap,
        "over_cap": count > settings_row.strategic_cap,
        "concentration_share": settings_row.concentration_share,
        "alerts": list(open_alerts(access)),
    }


def open_alerts(access: TenantAccess) -> QuerySet[BalanceAlert]:
    return (
        BalanceAlert.objects.filter(resolved_on__isnull=True).select_related("partner").order_by("kind", "pk")
    )


def proposals(
    access: TenantAccess, status: str | None = TierChangeProposal.Status.PENDING
) -> QuerySet[TierChangeProposal]:
    qs = TierChangeProposal.objects.select_related(
        "partner", "from_tier", "to_tier", "proposed_by", "proposed_by_key", "decided_by", "decided_by_key"
    )
    return qs.filter(status=status) if status else qs


def latest_run(access: TenantAccess) -> ScoreRun | None:
    return ScoreRun.objects.order_by("-run_on", "-pk").first()


def distribution(access: TenantAccess) -> dict[str, Any]:
    """Partners per tier (strategic first) and per score band from the latest run."""
    by_tier = list(
        Tier.objects.annotate(n=Count("partners", filter=Q(partners__archived_at__isnull=True)))
        .order_by("rank")
        .values("name", "classification", "n")
    )
    run = latest_run(access)
    bands: Counter[int] = Counter()
    if run is not None:
        for score in ScoreSnapshot.objects.filter(run_on=run.run_on).values_list("score", flat=True):
            for index, (low, high) in enumerate(SCORE_BANDS):
                if low <= score < high:
                    bands[index] += 1
    labels = [f"{low}–{min(high, 100) - (0 if high > 100 else 1)}" for low, high in SCORE_BANDS]
    return {
        "by_tier": by_tier,
        "bands": [(labels[i], bands.get(i, 0)) for i in range(len(SCORE_BANDS))],
        "run": run,
    }


def snapshots_of(access: TenantAccess, partner: Partner, limit: int = 12) -> list[ScoreSnapshot]:
    """The partner's latest snapshots, oldest first (for the trend)."""
    rows = list(
        ScoreSnapshot.objects.filter(partner=partner).select_related("scorecard").order_by("-run_on")[:limit]
    )
    return rows[::-1]


def tier_history(access: TenantAccess, partner: Partner) -> QuerySet[TierChange]:
    return TierChange.objects.filter(partner=partner).select_related(
        "from_tier", "to_tier", "changed_by", "changed_by_key"
    )


def next_tier_gap(
    access: TenantAccess, partner: Partner, snapshot: ScoreSnapshot | None
) -> dict[str, Any] | None:
    """The next better tier than the partner's, with each of its rules met or missed."""
    if snapshot is None:
        return None
    better = [t for t in tiers(access) if partner.tier is None or t.rank < partner.tier.rank]
    if not better:
        return None
    target = better[-1]
    for block in snapshot.rules:
        if block.get("tier_id") == target.pk:
            return {
                "tier": target,
                "rules": block["rules"],
                "points": max(Decimal(0), target.min_score - snapshot.score),
            }
    return {
        "tier": target,
        "rules": [
            {"text": f"Score of at least {target.min_score}", "met": snapshot.score >= target.min_score}
        ],
        "points": max(Decimal(0), target.min_score - snapshot.score),
    }


def ratings_of(access: TenantAccess, partner: Partner) -> dict[str, ManualRating]:
    return {
        r.key: r
        for r in ManualRating.objects.filter(partner=partner).select_related("rated_by", "rated_by_key")
    }


def scorecard_summary(access: TenantAccess) -> dict[str, Any]:
    """The active scorecard and its criteria; the default ones (unsaved) before the first use."""
    card = Scorecard.objects.filter(is_active=True).first()
    if card is None:
        return {
            "scorecard": Scorecard(version=0),
            "criteria": [Criterion(**spec) for spec in DEFAULT_CRITERIA],
        }
    return {"scorecard": card, "criteria": list(card.criteria.all())}


def partner_scorecard(access: TenantAccess, partner: Partner) -> dict[str, Any]:
    """What the partner page and the portal show: latest score, breakdown, trend, history, gap."""
    snapshots = snapshots_of(access, partner)
    latest = snapshots[-1] if snapshots else None
    return {
        "latest": latest,
        "snapshots": snapshots,
        "history": list(tier_history(access, partner)[:20]),
        "gap": next_tier_gap(access, partner, latest),
        "pending": proposals(access).filter(partner=partner).first(),
        "ratings": ratings_of(access, partner),
    }


def reviews(access: TenantAccess) -> QuerySet[PortfolioReview]:
    return PortfolioReview.objects.annotate(n=Count("decisions")).order_by("-fiscal_year")


def review_candidates(
    access: TenantAccess, review: PortfolioReview, top_tactical: int = 5
) -> list[dict[str, Any]]:
    """Every strategic partner, plus the best-scoring tactical partners, with trend and decision."""
    run = latest_run(access)
    latest: dict[int, ScoreSnapshot] = {}
    if run is not None:
        latest = {
            s.partner_id: s
            for s in ScoreSnapshot.objects.filter(run_on=run.run_on).select_related("recommended_tier")
        }
    live = Partner.objects.filter(archived_at__isnull=True).select_related("tier")
    strategic = list(live.filter(tier__classification=Classification.STRATEGIC).order_by("name"))
    tactical = sorted(
        (p for p in live.exclude(tier__classification=Classification.STRATEGIC) if p.pk in latest),
        key=lambda p: -latest[p.pk].score,
    )[:top_tactical]
    decisions = {d.partner_id: d for d in ReviewDecision.objects.filter(review=review)}
    ids = [p.pk for p in strategic + tactical]
    trend: dict[int, list[Decimal]] = {}
    for pid, score in (
        ScoreSnapshot.objects.filter(partner_id__in=ids).order_by("run_on").values_list("partner_id", "score")
    ):
        trend.setdefault(pid, []).append(score)
    rows = []
    for p in strategic + tactical:
        scores = trend.get(p.pk, [])[-4:]
        rows.append(
            {
                "partner": p,
                "strategic": p in strategic,
                "snapshot": latest.get(p.pk),
                "trend": scores,
                "delta": (scores[-1] - scores[0]) if len(scores) > 1 else None,
                "decision": decisions.get(p.pk),
            }
        )
    return rows


def period_from(access: TenantAccess, label: str | None) -> FiscalPeriod | None:
    if not label:
        return None
    try:
        return parse_period(label, require_current_tenant().fiscal_year_start_month)
    except ValueError:
        return None


def what_if(
    access: TenantAccess,
    *,
    criteria: list[dict[str, Any]] | None = None,
    tier_rules: dict[int, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Which partners would change tier with these weights and/or tier thresholds (nothing saved).

    Returns counts by tier now and after, and the partners moving up and down.
    """
    require(access, Perm.MANAGE_PROGRAM)
    specs = validate_criteria(criteria) if criteria is not None else active_criteria()
    tiers = list(Tier.objects.all())
    for tier in tiers:
        for name, value in (tier_rules or {}).get(tier.pk, {}).items():
            if name in TIER_FIELDS:
                setattr(tier, name, value)
    partners = engine.scored_partners()
    result = engine.compute(run_on=timezone.localdate(), criteria=specs, tiers=tiers, partners=partners)
    by_id = {t.pk: t for t in tiers}
    names = dict(Partner.objects.filter(pk__in=list(result.results)).values_list("pk", "name"))
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    up: list[dict[str, Any]] = []
    down: list[dict[str, Any]] = []
    for r in result.results.values():
        now = by_id.get(r.tier_id) if r.tier_id else None
        before[now.name if now else "No tier"] += 1
        after[r.recommended.name if r.recommended else "No tier"] += 1
        if r.recommended is not None and (now is None or r.recommended.pk != now.pk):
            row = {
                "partner_id": r.partner_id,
                "partner": names.get(r.partner_id, ""),
                "score": str(r.score),
                "from_tier": now.name if now else None,
                "to_tier": r.recommended.name,
            }
            (up if now is None or r.recommended.rank < now.rank else down).append(row)
    order = [t.name for t in sorted(tiers, key=lambda t: t.rank)] + ["No tier"]
    return {
        "counts": [
            {
                "tier": n,
                "now": before.get(n, 0),
                "after": after.get(n, 0),
                "change": after.get(n, 0) - before.get(n, 0),
            }
            for n in order
            if before.get(n) or after.get(n) or n != "No tier"
        ],
        "up": sorted(up, key=lambda m: m["partner"]),
        "down": sorted(down, key=lambda m: m["partner"]),
    }
