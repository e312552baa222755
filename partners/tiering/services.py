"""Everything that can happen in tiering, one function per use case.

Each write runs in one transaction, checks the caller's permission and records an audit event.
Tiers never change silently: a run opens proposals, an admin or executive decides them (tactical
moves may be auto-applied when the tenant enables it), and every change lands in the history.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from prm import audit, metrics
from prm.access import TenantAccess
from prm.models import AuditEvent
from prm.periods import parse_period
from prm.permissions import Perm
from prm.tenancy import require_current_tenant

from ..models import Partner, Tier
from ..services import tier_ensure_defaults
from ..vocab import Classification
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
    TieringSettings,
)
from .scoring import CriterionSpec

Proposal = TierChangeProposal

# The default scorecard: the practitioner scorecard (fit, coverage, pipeline, sponsorship, ease
# of working) plus revenue, growth, win rate and certification depth. Weights add up to 100.
DEFAULT_CRITERIA: list[dict[str, Any]] = [
    {"key": "revenue_ttm", "label": "Revenue (TTM)", "kind": "computed", "metric_key": "revenue_ttm",
     "normalisation": "percentile", "weight": 20},
    {"key": "pipeline_sourced", "label": "Pipeline sourced", "kind": "computed", "metric_key": "pipeline_sourced",
     "normalisation": "percentile", "weight": 20},
    {"key": "revenue_growth", "label": "Revenue growth", "kind": "computed", "metric_key": "revenue_growth",
     "normalisation": "target", "target": Decimal("0.25"), "weight": 10},
    {"key": "win_rate", "label": "Win rate", "kind": "computed", "metric_key": "win_rate",
     "normalisation": "target", "target": Decimal("0.50"), "weight": 10},
    {"key": "active_certifications", "label": "Active certifications", "kind": "computed",
     "metric_key": "active_certifications", "normalisation": "target", "target": Decimal("5"), "weight": 10},
    {"key": "fit_to_icp", "label": "Fit to ICP", "kind": "manual", "weight": 10},
    {"key": "use_case_coverage", "label": "Use-case coverage", "kind": "manual", "weight": 5},
    {"key": "executive_sponsorship", "label": "Executive sponsorship", "kind": "manual", "weight": 5},
    {"key": "ease_of_working", "label": "Ease of working", "kind": "manual", "weight": 5},
    {"key": "willingness_to_invest", "label": "Willingness to invest", "kind": "manual", "weight": 5},
]  # fmt: skip

TIER_FIELDS = [
    "name", "benefits", "mdf_eligible", "rebate_eligible", "deal_protection_days", "min_score",
    "min_active_certifications", "min_revenue_ttm", "requires_signed_jbp",
]  # fmt: skip
SETTINGS_FIELDS = [
    "strategic_cap",
    "concentration_share",
    "tactical_auto_apply",
    "show_rating_comments_in_portal",
]


def _require(access: TenantAccess | None, perm: Perm) -> None:
    if access is not None and not access.can(perm):
        raise PermissionDenied


def _user(access: TenantAccess | None) -> Any:
    return access.user if access is not None else None


# --- settings, tiers, scorecards ----------------------------------------------------------------


def tiering_settings() -> TieringSettings:
    """The tenant's portfolio settings; the defaults (unsaved) until an admin saves some."""
    found = TieringSettings.objects.first()
    return found if found is not None else TieringSettings()


@transaction.atomic
def tiering_settings_update(*, access: TenantAccess, **values: Any) -> TieringSettings:
    """Change the portfolio settings (admins)."""
    _require(access, Perm.MANAGE_PROGRAM)
    row = TieringSettings.objects.select_for_update().first() or TieringSettings()
    before = audit.snapshot(row, SETTINGS_FIELDS)
    for name in SETTINGS_FIELDS:
        if name in values:
            setattr(row, name, values[name])
    row.full_clean()
    row.save()
    audit.record(access=access, verb="tiering.settings_updated", target=row, before=before,
                 after=audit.snapshot(row, SETTINGS_FIELDS))  # fmt: skip
    return row


@transaction.atomic
def tier_update(*, access: TenantAccess, tier: Tier, **values: Any) -> Tier:
    """Change a tier's benefits and entry rules (admins)."""
    _require(access, Perm.MANAGE_PROGRAM)
    before = audit.snapshot(tier, TIER_FIELDS)
    for name in TIER_FIELDS:
        if name in values:
            setattr(tier, name, values[name])
    tier.full_clean()
    tier.save()
    audit.record(
        access=access,
        verb="tier.updated",
        target=tier,
        before=before,
        after=audit.snapshot(tier, TIER_FIELDS),
    )
    return tier


def active_scorecard() -> Scorecard:
    """The active scorecard version (version 1 with the default criteria on first use)."""
    found = Scorecard.objects.filter(is_active=True).first()
    if found is not None:
        return found
    with transaction.atomic():
        return _create_version(None, DEFAULT_CRITERIA, note="Default scorecard")


def active_criteria() -> list[CriterionSpec]:
    return [CriterionSpec.of(c) for c in active_scorecard().criteria.all()]


def validate_criteria(criteria: list[dict[str, Any]]) -> list[CriterionSpec]:
    """Check a set of criteria (weights add up to 100, metrics exist, targets given)."""
    errors: list[str] = []
    specs: list[CriterionSpec] = []
    keys: set[str] = set()
    for index, c in enumerate(criteria, start=1):
        label = (c.get("label") or "").strip()
        key = (c.get("key") or "").strip()
        name = label or f"criterion {index}"
        if not key or not label:
            errors.append(f"Criterion {index}: give it a key and a label.")
            continue
        if key in keys:
            errors.append(f"{name}: the key “{key}” is used twice.")
        keys.add(key)
        kind = c.get("kind")
        try:
            weight = int(c.get("weight") or 0)
        except (TypeError, ValueError):
            weight = 0
        if not 1 <= weight <= 100:
            errors.append(f"{name}: the weight must be a whole number from 1 to 100.")
        target = c.get("target")
        if kind == "computed":
            try:
                metrics.get(c.get("metric_key") or "")
            except KeyError:
                errors.append(f"{name}: “{c.get('metric_key')}” is not a metric of the catalog.")
            if c.get("normalisation") not in ("target", "percentile"):
                errors.append(f"{name}: choose a normalisation (target or percentile).")
            if c.get("normalisation") == "target" and (target is None or Decimal(target) <= 0):
                errors.append(f"{name}: a target normalisation needs a target above 0.")
        elif kind != "manual":
            errors.append(f"{name}: the kind must be computed or manual.")
        specs.append(
            CriterionSpec(
                key=key, label=label, kind=kind or "", weight=weight, metric_key=c.get("metric_key") or "",
                normalisation=c.get("normalisation") or "" if kind == "computed" else "",
                target=Decimal(target) if target not in (None, "") and kind == "computed" else None,
            )
        )  # fmt: skip
    total = sum(s.weight for s in specs)
    if specs and total != 100:
        errors.append(f"The weights add up to {total}; they must add up to 100.")
    if not criteria:
        errors.append("A scorecard needs at least one criterion.")
    if errors:
        raise ValidationError({"criteria": errors})
    return specs


def _create_version(access: TenantAccess | None, criteria: list[dict[str, Any]], note: str) -> Scorecard:
    specs = validate_criteria(criteria)
    latest = Scorecard.objects.order_by("-version").values_list("version", flat=True).first() or 0
    Scorecard.objects.filter(is_active=True).update(is_active=False)
    card = Scorecard.objects.create(version=latest + 1, is_active=True, note=note, created_by=_user(access))
    Criterion.objects.bulk_create(
        [
            Criterion(
                scorecard=card, key=s.key, label=s.label, kind=s.kind, metric_key=s.metric_key,
                normalisation=s.normalisation, target=s.target, weight=s.weight, position=i,
            )
            for i, s in enumerate(specs)
        ]
    )  # fmt: skip
    return card


@transaction.atomic
def scorecard_save_version(
    *, access: TenantAccess, criteria: list[dict[str, Any]], note: str = ""
) -> Scorecard:
    """Save new weights as a new scorecard version (admins); older snapshots keep theirs."""
    _require(access, Perm.MANAGE_PROGRAM)
    previous = active_scorecard()
    card = _create_version(access, criteria, note)
    audit.record(access=access, verb="scorecard.version_created", target=card,
                 before={"version": previous.version}, after={"version": card.version, "criteria": [
                     {"key": c.key, "weight": c.weight} for c in card.criteria.all()]})  # fmt: skip
    return card


# --- manual ratings -----------------------------------------------------------------------------


@transaction.atomic
def manual_rating_set(
    *, access: TenantAccess, partner: Partner, key: str, value: int, comment: str = ""
) -> ManualRating:
    """A manager rates a partner 1–5 on a manual criterion, with a comment."""
    _require(access, Perm.MANAGE_PARTNERS)
    manual_keys = {c.key for c in active_criteria() if c.kind == "manual"}
    if key not in manual_keys:
        raise ValidationError({"key": f"“{key}” is not a manual criterion of the active scorecard."})
    rating = ManualRating.objects.filter(partner=partner, key=key).first()
    before = audit.snapshot(rating, ["value", "comment"]) if rating else {}
    rating = rating or ManualRating(partner=partner, key=key)
    rating.value, rating.comment, rating.rated_by = value, comment.strip(), _user(access)
    rating.full_clean()
    rating.save()
    audit.record(access=access, verb="partner.rated", target=rating, before=before,
                 after=audit.snapshot(rating, ["value", "comment"]), partner_id=partner.pk)  # fmt: skip
    return rating


# --- recalculation ------------------------------------------------------------------------------


@transaction.atomic
def score_run_request(*, access: TenantAccess | None, run_on: date | None = None) -> ScoreRun:
    """Queue a recalculation for the day (the "recalculate now" button; admins)."""
    _require(access, Perm.MANAGE_PROGRAM)
    run_on = run_on or timezone.localdate()
    run, _ = ScoreRun.objects.get_or_create(
        run_on=run_on, defaults={"period_label": str(engine.period_for(run_on))}
    )
    if run.status == ScoreRun.Status.RUNNING:
        return run
    run.status, run.processed, run.error_message, run.started_by = (
        ScoreRun.Status.QUEUED,
        0,
        "",
        _user(access),
    )
    run.save()
    tenant_id = require_current_tenant().pk
    from ..tasks import recalculate_scores

    transaction.on_commit(lambda: recalculate_scores.delay(tenant_id=tenant_id, run_on=run_on.isoformat()))
    if access is not None:
        audit.record(access=access, verb="tiering.recalculation_requested", target=run)
    return run


@dataclass(frozen=True)
class Previous:
    """What a run needs of each partner's previous snapshot."""

    score: Decimal
    tier_at_run_id: int | None
    breakdown: list[dict[str, Any]]


def _previous_snapshots(run_on: date, ids: list[int]) -> dict[int, Previous]:
    """Each partner's latest snapshot before ``run_on`` (one query)."""
    latest = (
        ScoreSnapshot.objects.filter(partner_id=OuterRef("partner_id"), run_on__lt=run_on)
        .order_by("-run_on")
        .values("run_on")[:1]
    )
    rows = ScoreSnapshot.objects.filter(run_on__lt=run_on, run_on=Subquery(latest)).values_list(
        "partner_id", "score", "tier_at_run_id", "breakdown"
    )
    return {pid: Previous(score, tier_id, breakdown) for pid, score, tier_id, breakdown in rows}


SNAPSHOT_COLUMNS = [
    "tenant_id", "created_at", "updated_at", "run_id", "partner_id", "run_on", "scorecard_id", "score", "breakdown",
    "tier_at_run_id", "recommended_tier_id", "rules",
]  # fmt: skip
SNAPSHOT_UPDATED = [
    c for c in SNAPSHOT_COLUMNS if c not in {"tenant_id", "created_at", "partner_id", "run_on"}
]


def _upsert_snapshots(tenant_id: int, run_id: int, scorecard_id: int, run_on: date, result: Any) -> None:
    """Insert or update the day's snapshot of every partner: multi-row ``INSERT … ON CONFLICT``
    (the same SQL on PostgreSQL and SQLite), without building 10,000 model instances."""
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    day = ops.adapt_datefield_value(run_on)
    rows = [
        (
            tenant_id, now, now, run_id, r.partner_id, day, scorecard_id, ops.adapt_decimalfield_value(r.score, 5, 2),
            json.dumps(r.breakdown), r.tier_id, r.recommended.pk if r.recommended else None, json.dumps(r.rules),
        )
        for r in result.results.values()
    ]  # fmt: skip
    if not rows:
        return
    width = len(SNAPSHOT_COLUMNS)
    limit = connection.features.max_query_params or 30000
    batch = max(1, min(1000, limit // width))
    table = ScoreSnapshot._meta.db_table
    columns = ", ".join(f'"{c}"' for c in SNAPSHOT_COLUMNS)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in SNAPSHOT_UPDATED)
    one = "(" + ", ".join(["%s"] * width) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            sql = (
                f'INSERT INTO "{table}" ({columns}) VALUES {", ".join([one] * len(chunk))} '  # noqa: S608 (names from the model)
                f'ON CONFLICT ("tenant_id", "partner_id", "run_on") DO UPDATE SET {updates}'
            )
            cursor.execute(sql, [value for row in chunk for value in row])


def _moved(current: list[dict[str, Any]], previous: Previous | None) -> list[dict[str, Any]]:
    """The criteria whose contribution changed since the previous snapshot, largest first."""
    if previous is None:
        return []
    before = {row["key"]: Decimal(row["contribution"]) for row in previous.breakdown}
    moves = []
    for row in current:
        delta = Decimal(row["contribution"]) - before.get(row["key"], Decimal(0))
        if delta:
            moves.append({"label": row["label"], "delta": str(delta)})
    return sorted(moves, key=lambda m: -abs(Decimal(m["delta"])))[:4]


@transaction.atomic
def score_run_execute(*, run_on: date | None = None, actor: Any = None) -> ScoreRun:
    """Recalculate every scored partner of the current tenant for ``run_on`` (default today).

    Idempotent per day: the day's run and each partner's snapshot of that day are updated in
    place, pending proposals are refreshed rather than duplicated, and alerts stay open once.
    """
    tenant = require_current_tenant()
    run_on = run_on or timezone.localdate()
    settings_row = tiering_settings()
    if not Tier.objects.exists():
        tier_ensure_defaults()  # the seeded default ladder
    card = active_scorecard()
    criteria = [CriterionSpec.of(c) for c in card.criteria.all()]
    partners = engine.scored_partners()
    run, _ = ScoreRun.objects.get_or_create(
        run_on=run_on, defaults={"period_label": str(engine.period_for(run_on))}
    )
    run.status, run.total, run.processed, run.scorecard = ScoreRun.Status.RUNNING, len(partners), 0, card
    run.period_label = str(engine.period_for(run_on))
    run.save()

    result = engine.compute(run_on=run_on, criteria=criteria, partners=partners)
    tiers = {t.pk: t for t in result.tiers}
    ids = [pid for pid, _ in partners]
    previous = _previous_snapshots(run_on, ids)

    _upsert_snapshots(tenant.pk, run.pk, card.pk, run_on, result)
    snapshot_ids = dict(ScoreSnapshot.objects.filter(run_on=run_on).values_list("partner_id", "pk"))
    run.processed = len(partners)

    opened, applied = _refresh_proposals(result, tiers, previous, snapshot_ids, settings_row, run_on, actor)
    _refresh_alerts(result, tiers, previous, settings_row, run_on)
    run.status, run.finished_at = ScoreRun.Status.DONE, timezone.now()
    run.proposals_opened, run.changes_applied = opened, applied
    run.save()
    return run


def _explanation(r: engine.PartnerResult, prev: Previous | None) -> dict[str, Any]:
    return {
        "score": str(r.score),
        "previous_score": str(prev.score) if prev else None,
        "moved": _moved(r.breakdown, prev),
        "rules": r.rules,
    }


def _direction(from_tier: Tier | None, to_tier: Tier) -> str:
    if from_tier is None or to_tier.rank < from_tier.rank:
        return Proposal.Direction.PROMOTION
    return Proposal.Direction.DEMOTION


def _refresh_proposals(result, tiers, previous, snapshot_ids, settings_row, run_on, actor) -> tuple[int, int]:
    pending = {p.partner_id: p for p in Proposal.objects.filter(status=Proposal.Status.PENDING)}
    to_create: list[Proposal] = []
    to_update: list[Proposal] = []
    superseded: list[int] = []
    auto: list[tuple[engine.PartnerResult, Tier]] = []
    for r in result.results.values():
        target = r.recommended
        existing = pending.get(r.partner_id)
        if target is None or target.pk == r.tier_id:
            if existing is not None and existing.proposed_by_id is None:
                superseded.append(existing.pk)
            continue
        current = tiers.get(r.tier_id) if r.tier_id else None
        tactical_move = target.classification == Classification.TACTICAL and (
            current is None or current.classification == Classification.TACTICAL
        )
        if settings_row.tactical_auto_apply and tactical_move:
            if existing is not None and existing.proposed_by_id is None:
                superseded.append(existing.pk)
            auto.append((r, target))
            continue
        explanation = _explanation(r, previous.get(r.partner_id))
        if existing is not None and existing.to_tier_id == target.pk:
            snapshot_id = snapshot_ids.get(r.partner_id)
            if (existing.score, existing.explanation, existing.snapshot_id) != (
                r.score,
                explanation,
                snapshot_id,
            ):
                existing.score, existing.explanation, existing.snapshot_id = r.score, explanation, snapshot_id
                to_update.append(existing)
            continue
        if existing is not None:
            if existing.proposed_by_id is not None:
                continue  # a manager's proposal waits for its decision
            superseded.append(existing.pk)
        to_create.append(
            Proposal(
                partner_id=r.partner_id, from_tier=current, to_tier=target, direction=_direction(current, target),
                score=r.score, explanation=explanation, snapshot_id=snapshot_ids.get(r.partner_id),
            )
        )  # fmt: skip
    if superseded:
        Proposal.objects.filter(pk__in=superseded).update(
            status=Proposal.Status.SUPERSEDED, decided_at=timezone.now()
        )
    _refresh_pending(to_update)
    Proposal.objects.bulk_create(to_create, batch_size=1000)
    if auto:
        _apply_many(auto, tiers, run_on, actor)
    return len(to_create), len(auto)


def _refresh_pending(proposals: list[Proposal]) -> None:
    """Refresh pending proposals' score, explanation and snapshot: one prepared UPDATE run for
    all rows (``executemany``), since Django's ``bulk_update`` builds a CASE per row and field."""
    if not proposals:
        return
    tenant_id = require_current_tenant().pk
    now = timezone.now()
    field = Proposal._meta.get_field("explanation")
    table = Proposal._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f'UPDATE "{table}" SET score = %s, explanation = %s, snapshot_id = %s, updated_at = %s '  # noqa: S608 (table name from the model)
            "WHERE id = %s AND tenant_id = %s",
            [
                (
                    p.score,
                    field.get_db_prep_value(p.explanation, connection),
                    p.snapshot_id,
                    now,
                    p.pk,
                    tenant_id,
                )
                for p in proposals
            ],
        )


def _apply_many(moves, tiers, run_on, actor) -> None:
    """Auto-apply tactical moves: tier, history and audit in three bulk statements per tier."""
    now = timezone.now()
    if run_on < timezone.localdate():  # a run for a past day (backfill): the change dates from that day
        now = timezone.make_aware(datetime.combine(run_on, time(6, 0)))
    names = dict(Partner.objects.filter(pk__in=[r.partner_id for r, _ in moves]).values_list("pk", "name"))
    by_target: dict[int, list[int]] = {}
    changes, events = [], []
    for r, target in moves:
        by_target.setdefault(target.pk, []).append(r.partner_id)
        current = tiers.get(r.tier_id) if r.tier_id else None
        reason = (
            f"Applied automatically after the run of {run_on}: score {r.score} qualifies for {target.name}."
        )
        changes.append(TierChange(partner_id=r.partner_id, from_tier=current, to_tier=target, changed_at=now,
                                  reason=reason, changed_by=actor))  # fmt: skip
        events.append(
            AuditEvent(
                actor_label="system", verb="partner.tier_changed", target_type="partners.partner",
                target_id=str(r.partner_id), target_repr=names.get(r.partner_id, ""), partner_id=r.partner_id,
                before={"tier": current.name if current else None}, after={"tier": target.name, "reason": reason},
            )
        )  # fmt: skip
    for tier_id, partner_ids in by_target.items():
        Partner.objects.filter(pk__in=partner_ids).update(tier_id=tier_id)
    TierChange.objects.bulk_create(changes, batch_size=1000)
    AuditEvent.objects.bulk_create(events, batch_size=1000)


def _refresh_alerts(result, tiers, previous, settings_row, run_on) -> None:
    strategic_ids = set(
        Partner.objects.filter(
            pk__in=list(result.results), tier__classification=Classification.STRATEGIC
        ).values_list("pk", flat=True)
    )
    current_tier = dict(Partner.objects.filter(pk__in=strategic_ids).values_list("pk", "tier_id"))
    total = sum(result.revenue_ttm.values(), Decimal(0))
    found: dict[tuple[str, int], tuple[str, Decimal | None]] = {}
    share_limit = settings_row.concentration_share
    for pid in strategic_ids:
        r = result.results[pid]
        if total > 0:
            share = result.revenue_ttm[pid] / total
            if share > share_limit:
                found[(BalanceAlert.Kind.CONCENTRATION, pid)] = (
                    f"holds {share:.1%} of partner-sourced revenue (trailing twelve months), above the "
                    f"{share_limit:.1%} limit: plan for the dependency.",
                    share.quantize(Decimal("0.0001")),
                )
        tier = tiers.get(current_tier.get(pid))
        prev = previous.get(pid)
        if (
            tier is not None
            and r.score < tier.min_score
            and prev is not None
            and prev.tier_at_run_id == tier.pk
            and prev.score < tier.min_score
        ):
            found[(BalanceAlert.Kind.BELOW_MINIMUM, pid)] = (
                f"scored {r.score} and {prev.score} in the last two runs, below {tier.name}'s minimum of {tier.min_score}.",
                None,
            )
    open_alerts = {(a.kind, a.partner_id): a for a in BalanceAlert.objects.filter(resolved_on__isnull=True)}
    resolved = [a.pk for key, a in open_alerts.items() if key not in found]
    if resolved:
        BalanceAlert.objects.filter(pk__in=resolved).update(resolved_on=run_on)
    names = dict(Partner.objects.filter(pk__in=[pid for _, pid in found]).values_list("pk", "name"))
    new, changed = [], []
    for (kind, pid), (text, share) in found.items():
        message = f"{names.get(pid, pid)} {text}"
        if (kind, pid) in open_alerts:
            alert = open_alerts[(kind, pid)]
            if (alert.message, alert.share) != (message, share):
                alert.message, alert.share = message, share
                changed.append(alert)
        else:
            new.append(
                BalanceAlert(kind=kind, partner_id=pid, opened_on=run_on, message=message, share=share)
            )
    BalanceAlert.objects.bulk_create(new)
    if changed:  # still open with new figures: one prepared UPDATE for all of them
        with connection.cursor() as cursor:
            cursor.executemany(
                f'UPDATE "{BalanceAlert._meta.db_table}" SET message = %s, share = %s WHERE id = %s',  # noqa: S608
                [(a.message, a.share, a.pk) for a in changed],
            )


# --- proposals and tier changes -----------------------------------------------------------------


def strategic_count() -> int:
    return Partner.objects.filter(
        archived_at__isnull=True, tier__classification=Classification.STRATEGIC
    ).count()


def _apply_change(*, access: TenantAccess | None, partner: Partner, to_tier: Tier | None, reason: str,
                  proposal: Proposal | None = None) -> TierChange:  # fmt: skip
    from_tier = partner.tier
    change = TierChange.objects.create(partner=partner, from_tier=from_tier, to_tier=to_tier, changed_at=timezone.now(),
                                       reason=reason, changed_by=_user(access), proposal=proposal)  # fmt: skip
    partner.tier = to_tier
    partner.save(update_fields=["tier", "updated_at"])
    audit.record(
        access=access, verb="partner.tier_changed", target=partner, partner_id=partner.pk,
        before={"tier": from_tier.name if from_tier else None},
        after={"tier": to_tier.name if to_tier else None, "reason": reason},
    )  # fmt: skip
    return change


@transaction.atomic
def tier_proposal_create(*, access: TenantAccess, partner: Partner, to_tier: Tier, reason: str) -> Proposal:
    """A manager proposes moving a partner to another tier, with a reason."""
    _require(access, Perm.MANAGE_PARTNERS)
    if not reason.strip():
        raise ValidationError({"reason": "Say why this partner should move."})
    if partner.tier_id == to_tier.pk:
        raise ValidationError({"to_tier": f"{partner.name} is already in {to_tier.name}."})
    if Proposal.objects.filter(partner=partner, status=Proposal.Status.PENDING).exists():
        raise ValidationError({"to_tier": "A proposal for this partner is already waiting for a decision."})
    latest = ScoreSnapshot.objects.filter(partner=partner).order_by("-run_on").first()
    proposal = Proposal.objects.create(
        partner=partner, from_tier=partner.tier, to_tier=to_tier, direction=_direction(partner.tier, to_tier),
        score=latest.score if latest else None, snapshot=latest, proposed_by=_user(access), reason=reason.strip(),
        explanation={"score": str(latest.score) if latest else None, "rules": latest.rules if latest else [],
                     "moved": []},
    )  # fmt: skip
    audit.record(access=access, verb="tier_proposal.created", target=proposal, partner_id=partner.pk,
                 after={"to_tier": to_tier.name, "reason": proposal.reason})  # fmt: skip
    return proposal


def _pending(proposal: Proposal) -> Proposal:
    locked = Proposal.objects.select_for_update().select_related("partner", "to_tier").get(pk=proposal.pk)
    if not locked.is_pending:
        raise ValidationError({"status": f"This proposal is already {locked.get_status_display().lower()}."})
    return locked


@transaction.atomic
def tier_proposal_approve(*, access: TenantAccess, proposal: Proposal, reason: str = "",
                          cap_override_reason: str = "") -> Proposal:  # fmt: skip
    """Approve a proposal (admins and executives): the partner moves, the history records it.

    A promotion into a strategic tier beyond the tenant's cap is refused unless an admin gives
    a written override reason.
    """
    _require(access, Perm.DECIDE_TIER_CHANGES)
    proposal = _pending(proposal)
    partner = Partner.objects.select_related("tier").get(pk=proposal.partner_id)
    to_tier = proposal.to_tier
    entering_strategic = to_tier.classification == Classification.STRATEGIC and (
        partner.tier is None or partner.tier.classification != Classification.STRATEGIC
    )
    if entering_strategic:
        cap = tiering_settings().strategic_cap
        count = strategic_count()
        if count >= cap:
            if not cap_override_reason.strip():
                raise ValidationError(
                    {"cap_override_reason": f"The program already has {count} strategic partners (cap {cap}). "
                     "An admin may override the cap with a written reason."}
                )  # fmt: skip
            if not access.can(Perm.MANAGE_PROGRAM):
                raise ValidationError(
                    {"cap_override_reason": "Only a program admin may override the strategic cap."}
                )
    proposal.status = Proposal.Status.APPROVED
    proposal.decided_by, proposal.decided_at = _user(access), timezone.now()
    proposal.decision_reason = reason.strip()
    proposal.cap_override_reason = cap_override_reason.strip() if entering_strategic else ""
    proposal.save()
    why = reason.strip() or proposal.reason or f"Recommended by the score ({proposal.score})."
    if proposal.cap_override_reason:
        why += f" Strategic cap overridden: {proposal.cap_override_reason}"
    _apply_change(access=access, partner=partner, to_tier=to_tier, reason=why, proposal=proposal)
    audit.record(access=access, verb="tier_proposal.approved", target=proposal, partner_id=partner.pk,
                 after={"reason": proposal.decision_reason, "cap_override_reason": proposal.cap_override_reason})  # fmt: skip
    return proposal


@transaction.atomic
def tier_proposal_reject(*, access: TenantAccess, proposal: Proposal, reason: str) -> Proposal:
    """Reject a proposal with a reason (admins and executives); the tier stays."""
    _require(access, Perm.DECIDE_TIER_CHANGES)
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for rejecting, so the manager knows."})
    proposal = _pending(proposal)
    proposal.status = Proposal.Status.REJECTED
    proposal.decided_by, proposal.decided_at, proposal.decision_reason = (
        _user(access),
        timezone.now(),
        reason.strip(),
    )
    proposal.save()
    audit.record(access=access, verb="tier_proposal.rejected", target=proposal, partner_id=proposal.partner_id,
                 after={"reason": proposal.decision_reason})  # fmt: skip
    return proposal


# --- what-if ------------------------------------------------------------------------------------


def what_if(*, access: TenantAccess, criteria: list[dict[str, Any]] | None = None,
            tier_rules: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:  # fmt: skip
    """Which partners would change tier with these weights and/or tier thresholds (nothing saved).

    Returns counts by tier now and after, and the partners moving up and down.
    """
    _require(access, Perm.MANAGE_PROGRAM)
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
            row = {"partner_id": r.partner_id, "partner": names.get(r.partner_id, ""), "score": str(r.score),
                   "from_tier": now.name if now else None, "to_tier": r.recommended.name}  # fmt: skip
            (up if now is None or r.recommended.rank < now.rank else down).append(row)
    order = [t.name for t in sorted(tiers, key=lambda t: t.rank)] + ["No tier"]
    return {
        "counts": [{"tier": n, "now": before.get(n, 0), "after": after.get(n, 0),
                    "change": after.get(n, 0) - before.get(n, 0)} for n in order
                   if before.get(n) or after.get(n) or n != "No tier"],
        "up": sorted(up, key=lambda m: m["partner"]),
        "down": sorted(down, key=lambda m: m["partner"]),
    }  # fmt: skip


# --- annual refresh -----------------------------------------------------------------------------


@transaction.atomic
def portfolio_review_open(*, access: TenantAccess, fiscal_year: str) -> PortfolioReview:
    """An admin opens the portfolio review of a fiscal year (one per year)."""
    _require(access, Perm.MANAGE_PROGRAM)
    try:
        period = parse_period(fiscal_year, require_current_tenant().fiscal_year_start_month)
    except ValueError as error:
        raise ValidationError({"fiscal_year": str(error)}) from None
    if period.quarter is not None:
        raise ValidationError({"fiscal_year": "A portfolio review covers a fiscal year: write FY2027."})
    if PortfolioReview.objects.filter(fiscal_year=period.label).exists():
        raise ValidationError({"fiscal_year": f"The review of {period.label} exists already."})
    review = PortfolioReview.objects.create(fiscal_year=period.label, opened_by=_user(access))
    audit.record(access=access, verb="portfolio_review.opened", target=review)
    return review


@transaction.atomic
def portfolio_review_decide(*, access: TenantAccess, review: PortfolioReview, partner: Partner, decision: str,
                            note: str = "") -> ReviewDecision:  # fmt: skip
    """Record (or change) the decision on one partner in an open review."""
    _require(access, Perm.MANAGE_PROGRAM)
    if review.status != PortfolioReview.Status.OPEN:
        raise ValidationError({"decision": "This review is closed."})
    if decision not in ReviewDecision.Decision.values:
        raise ValidationError({"decision": "Choose keep, promote or move to tactical."})
    row, _ = ReviewDecision.objects.update_or_create(
        review=review,
        partner=partner,
        defaults={"decision": decision, "note": note.strip(), "decided_by": _user(access)},
    )
    audit.record(access=access, verb="portfolio_review.decided", target=row, partner_id=partner.pk,
                 after={"decision": decision, "note": row.note})  # fmt: skip
    return row


@transaction.atomic
def portfolio_review_close(*, access: TenantAccess, review: PortfolioReview, summary: str) -> PortfolioReview:
    """Close the review with a summary (every listed partner must have a decision)."""
    _require(access, Perm.MANAGE_PROGRAM)
    from .queries import review_candidates

    if review.status != PortfolioReview.Status.OPEN:
        raise ValidationError({"summary": "This review is closed already."})
    if not summary.strip():
        raise ValidationError({"summary": "Write a short summary of the review."})
    decided = set(review.decisions.values_list("partner_id", flat=True))
    missing = [c["partner"].name for c in review_candidates(review) if c["partner"].pk not in decided]
    if missing:
        raise ValidationError({"summary": f"Decide on every listed partner first: {', '.join(missing[:5])}"
                               + ("…" if len(missing) > 5 else "")})  # fmt: skip
    counts = Counter(review.decisions.values_list("decision", flat=True))
    review.status, review.summary = PortfolioReview.Status.CLOSED, summary.strip()
    review.closed_by, review.closed_at = _user(access), timezone.now()
    review.save()
    audit.record(access=access, verb="portfolio_review.closed", target=review, after={"summary": review.summary,
                 **{k: counts.get(k, 0) for k in ReviewDecision.Decision.values}})  # fmt: skip
    return review
