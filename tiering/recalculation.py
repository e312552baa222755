"""The recalculation: score every partner of the tenant for a day, store the snapshots, refresh
proposals and balance alerts. Set-based: one query per metric for all partners (the engine), one
multi-row upsert for the snapshots, bulk statements for proposals, history and alerts; idempotent
per day. Entry points: ``score_run_request`` (the button and the API: queue a run),
``score_run_execute`` (the demo and tests) and ``score_run_attempt`` (the task and the command:
``score_run_execute`` that records a crash on the day's run instead of leaving it queued).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, cast

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Field, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from partners.models import Partner, Tier
from partners.services import tier_ensure_defaults
from partners.vocab import Classification
from prm import actors, audit, metrics
from prm.access import TenantAccess, require
from prm.bulk import max_query_params, update_rows
from prm.models import AuditEvent
from prm.periods import TrailingFourQuarters
from prm.permissions import Perm
from prm.tenancy import require_current_tenant

from . import engine
from .models import BalanceAlert, ScoreRun, ScoreSnapshot, TierChange
from .models import TierChangeProposal as Proposal
from .program import active_scorecard, direction, tiering_settings
from .queries import latest_snapshots
from .scoring import CriterionSpec

logger = logging.getLogger(__name__)
# Failures worth retrying (the task retries them): the database or the network went away, and
# recording anything would fail the same way.
TRANSIENT = (ConnectionError, TimeoutError, OperationalError, InterfaceError)


@transaction.atomic
def score_run_request(*, access: TenantAccess, run_on: date | None = None) -> ScoreRun:
    """Queue a recalculation for the day (the "recalculate now" button; admins)."""
    require(access, Perm.MANAGE_PROGRAM)
    run_on = run_on or timezone.localdate()
    run, _ = ScoreRun.objects.get_or_create(
        run_on=run_on, defaults={"period_label": str(engine.period_for(run_on))}
    )
    if run.status == ScoreRun.Status.RUNNING:
        return run
    run.status, run.processed, run.error_message = ScoreRun.Status.QUEUED, 0, ""
    actors.stamp(run, "started_by", access)
    run.save()
    tenant_id = require_current_tenant().pk
    from .tasks import recalculate_scores  # the task calls this module back: import when queuing

    transaction.on_commit(lambda: recalculate_scores.delay(tenant_id=tenant_id, run_on=run_on.isoformat()))
    audit.record(access=access, verb="tiering.recalculation_requested", target=run)
    return run


@dataclass(frozen=True)
class Previous:
    """What a run needs of each partner's previous snapshot."""

    score: Decimal
    tier_at_run_id: int | None
    breakdown: list[dict[str, Any]]


def _previous_snapshots(run_on: date) -> dict[int, Previous]:
    """Each scored partner's latest snapshot before ``run_on`` (one query, one index probe per
    partner whatever the history kept)."""
    rows = latest_snapshots(
        engine.scored_partner_rows(), before=run_on, fields=["score", "tier_at_run_id", "breakdown"]
    )
    return {pid: Previous(score, tier_id, breakdown) for pid, score, tier_id, breakdown in rows}


SNAPSHOT_COLUMNS = [
    "tenant_id",
    "created_at",
    "updated_at",
    "run_id",
    "partner_id",
    "run_on",
    "period_label",
    "scorecard_id",
    "score",
    "breakdown",
    "tier_at_run_id",
    "recommended_tier_id",
    "rules",
]
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
            tenant_id,
            now,
            now,
            run_id,
            r.partner_id,
            day,
            str(result.period),
            scorecard_id,
            ops.adapt_decimalfield_value(r.score, 5, 2),
            r.breakdown_json,
            r.tier_id,
            r.recommended.pk if r.recommended else None,
            json.dumps(r.rules),
        )
        for r in result.results.values()
    ]
    if not rows:
        return
    if connection.vendor == "postgresql":
        _upsert_snapshots_unnest(rows)
        return
    width = len(SNAPSHOT_COLUMNS)
    batch = max(1, min(1000, max_query_params() // width))
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


def _upsert_snapshots_unnest(rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: the same upsert as one statement with a parameter per column (an array of
    10,000 values, ``unnest``-ed), which the server parses far faster than 10,000 row literals."""
    meta = ScoreSnapshot._meta
    types = [cast("Field[Any, Any]", meta.get_field(name)).db_type(connection) for name in SNAPSHOT_COLUMNS]
    arrays = ", ".join(f"CAST(%s AS {db_type}[])" for db_type in types)
    columns = ", ".join(f'"{c}"' for c in SNAPSHOT_COLUMNS)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in SNAPSHOT_UPDATED)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{meta.db_table}" ({columns}) SELECT * FROM unnest({arrays}) '  # noqa: S608 (names from the model)
            f'ON CONFLICT ("tenant_id", "partner_id", "run_on") DO UPDATE SET {updates}',
            [list(column) for column in zip(*rows, strict=True)],
        )


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
def score_run_execute(*, run_on: date | None = None) -> ScoreRun:
    """Recalculate every scored partner of the current tenant for ``run_on`` (default today).

    The system's own path, with no caller: the nightly task, the command and the demo reach it
    (people queue a run with ``score_run_request``); tactical moves it applies are the system's.

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
    run.error_message = ""  # a failure of an earlier attempt that day is replaced by this run
    run.period_label = str(engine.period_for(run_on))
    run.save()

    result = engine.compute(run_on=run_on, criteria=criteria, partners=partners)
    tiers = {t.pk: t for t in result.tiers}
    previous = _previous_snapshots(run_on)

    _upsert_snapshots(tenant.pk, run.pk, card.pk, run_on, result)
    snapshot_ids = dict(ScoreSnapshot.objects.filter(run_on=run_on).values_list("partner_id", "pk"))
    run.processed = len(partners)

    opened, applied = _refresh_proposals(result, tiers, previous, snapshot_ids, settings_row, run_on)
    _refresh_alerts(result, tiers, previous, settings_row, run_on)
    run.status, run.finished_at = ScoreRun.Status.DONE, timezone.now()
    run.proposals_opened, run.changes_applied = opened, applied
    run.save()
    return run


def score_run_attempt(*, run_on: date | None = None) -> ScoreRun:
    """``score_run_execute``, and when it crashes, the day's run marked failed with the reason.

    The run's work is a savepoint of its own (``score_run_execute`` is atomic): a crash rolls it
    back entirely (no partial snapshots or proposals), then the failure is written outside it, in
    the caller's transaction (the task's tenant transaction), which commits. Transient failures
    are raised for the task to retry."""
    run_on = run_on or timezone.localdate()
    try:
        return score_run_execute(run_on=run_on)
    except TRANSIENT:
        raise
    except Exception as error:
        logger.exception("Score recalculation of %s failed", run_on)
        return score_run_fail(run_on=run_on, error=error)


def score_run_fail(*, run_on: date, error: BaseException) -> ScoreRun:
    """Mark the day's run failed with the reason (nothing of the run was kept)."""
    run, _ = ScoreRun.objects.get_or_create(
        run_on=run_on, defaults={"period_label": str(engine.period_for(run_on))}
    )
    reason = str(error).strip() or "no details"
    run.status, run.processed, run.finished_at = ScoreRun.Status.FAILED, 0, timezone.now()
    run.error_message = (
        f"The recalculation stopped: {type(error).__name__}: {reason[:500]}. Nothing was changed; "
        "scores, proposals and tiers are as before the run. Run it again once the cause is fixed."
    )
    run.save()
    audit.record_by_system(
        verb="tiering.recalculation_failed", target=run, after={"error": run.error_message}
    )
    return run


def _explanation(r: engine.PartnerResult, prev: Previous | None) -> dict[str, Any]:
    return {
        "score": str(r.score),
        "previous_score": str(prev.score) if prev else None,
        "moved": _moved(r.breakdown, prev),
        "rules": r.rules,
    }


@dataclass(frozen=True)
class Pending:
    """What a run needs of a pending proposal (read as plain rows, not 7,500 model instances)."""

    pk: int
    to_tier_id: int
    is_manual: bool
    score: Decimal | None
    explanation_json: str  # decoded only when score and snapshot are unchanged (a re-run)
    snapshot_id: int | None

    def unchanged(self, score: Decimal, explanation: dict[str, Any], snapshot_id: int | None) -> bool:
        return (self.score, self.snapshot_id) == (score, snapshot_id) and json.loads(
            self.explanation_json
        ) == explanation


def _pending_proposals() -> dict[int, Pending]:
    rows = Proposal.objects.filter(status=Proposal.Status.PENDING).values_list(
        "pk",
        "partner_id",
        "to_tier_id",
        "proposed_by_id",
        "proposed_by_key_id",
        "score",
        Cast("explanation", TextField()),
        "snapshot_id",
    )
    return {
        partner_id: Pending(
            pk, to_tier_id, by is not None or key is not None, score, explanation, snapshot_id
        )
        for pk, partner_id, to_tier_id, by, key, score, explanation, snapshot_id in rows
    }


def _refresh_proposals(result, tiers, previous, snapshot_ids, settings_row, run_on) -> tuple[int, int]:
    pending = _pending_proposals()
    to_create: list[Proposal] = []
    to_update: list[tuple[int, Decimal, dict[str, Any], int | None]] = []
    superseded: list[int] = []
    auto: list[tuple[engine.PartnerResult, Tier]] = []
    for r in result.results.values():
        target = r.recommended
        existing = pending.get(r.partner_id)
        if target is None or target.pk == r.tier_id:
            if existing is not None and not existing.is_manual:
                superseded.append(existing.pk)
            continue
        current = tiers.get(r.tier_id) if r.tier_id else None
        tactical_move = target.classification == Classification.TACTICAL and (
            current is None or current.classification == Classification.TACTICAL
        )
        if settings_row.tactical_auto_apply and tactical_move:
            if existing is not None and not existing.is_manual:
                superseded.append(existing.pk)
            auto.append((r, target))
            continue
        explanation = _explanation(r, previous.get(r.partner_id))
        if existing is not None and existing.to_tier_id == target.pk:
            snapshot_id = snapshot_ids.get(r.partner_id)
            if not existing.unchanged(r.score, explanation, snapshot_id):
                to_update.append((existing.pk, r.score, explanation, snapshot_id))
            continue
        if existing is not None:
            if existing.is_manual:
                continue  # a manager's proposal waits for its decision
            superseded.append(existing.pk)
        to_create.append(
            Proposal(
                partner_id=r.partner_id,
                from_tier=current,
                to_tier=target,
                direction=direction(current, target),
                score=r.score,
                explanation=explanation,
                snapshot_id=snapshot_ids.get(r.partner_id),
            )
        )
    if superseded:
        Proposal.objects.filter(pk__in=superseded).update(
            status=Proposal.Status.SUPERSEDED, decided_at=timezone.now()
        )
    _refresh_pending(to_update)
    Proposal.objects.bulk_create(to_create, batch_size=1000)
    if auto:
        _apply_many(auto, tiers, run_on)
    return len(to_create), len(auto)


def _refresh_pending(proposals: list[tuple[int, Decimal, dict[str, Any], int | None]]) -> None:
    """Refresh pending proposals' score, explanation and snapshot (``(pk, score, explanation,
    snapshot_id)`` each): one set-based UPDATE per thousand rows (``update_rows``), not one
    statement per proposal."""
    now = timezone.now()
    update_rows(
        Proposal,
        ["score", "explanation", "snapshot", "updated_at"],
        [(pk, score, explanation, snapshot_id, now) for pk, score, explanation, snapshot_id in proposals],
    )


def _apply_many(moves, tiers, run_on) -> None:
    """Auto-apply tactical moves, as the system: tier, history and audit in three bulk statements
    per tier."""
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
        changes.append(
            TierChange(
                partner_id=r.partner_id,
                from_tier=current,
                to_tier=target,
                changed_at=now,
                reason=reason,
                changed_by=None,
            )
        )
        events.append(
            AuditEvent(
                actor_label="system",
                verb="partner.tier_changed",
                target_type="partners.partner",
                target_id=str(r.partner_id),
                target_repr=names.get(r.partner_id, ""),
                partner_id=r.partner_id,
                before={"tier": current.name if current else None},
                after={"tier": target.name, "reason": reason},
            )
        )
    for tier_id, partner_ids in by_target.items():
        Partner.objects.filter(pk__in=partner_ids).update(tier_id=tier_id)
    TierChange.objects.bulk_create(changes, batch_size=1000)
    AuditEvent.objects.bulk_create(events, batch_size=1000)


def sourced_revenue_ttm(result: engine.Computation) -> dict[int, Decimal]:
    """Partner-sourced revenue (catalog ``revenue_sourced``) of the scored partners over the four
    quarters ending with the scored one: what the concentration alert measures."""
    try:
        metric = metrics.get("revenue_sourced")
    except KeyError:  # no pipeline installed: nothing sourced to concentrate
        return {}
    period = result.period
    window = TrailingFourQuarters(period.start_month, period.fiscal_year, period.quarter)
    found = metric.compute_all(tenant=require_current_tenant(), period=window, exact=True)
    scored = set(result.ids)
    return {pid: Decimal(value) for pid, value in found.items() if pid in scored and value}


def _refresh_alerts(result, tiers, previous, settings_row, run_on) -> None:
    # The scored partners (those of the result) in a strategic tier, without sending their ids.
    current_tier = dict(
        engine.scored_partner_rows()
        .filter(tier__classification=Classification.STRATEGIC)
        .values_list("pk", "tier_id")
    )
    strategic_ids = [pid for pid in current_tier if pid in result.results]
    sourced = sourced_revenue_ttm(result)
    total = sum(sourced.values(), Decimal(0))
    found: dict[tuple[str, int], tuple[str, Decimal | None]] = {}
    share_limit = settings_row.concentration_share
    for pid in strategic_ids:
        r = result.results[pid]
        if total > 0:
            held = sourced.get(pid, Decimal(0)) / total
            if held > share_limit:
                found[(BalanceAlert.Kind.CONCENTRATION, pid)] = (
                    f"holds {metrics.display(held, 'share')} of partner-sourced revenue (the four quarters to {result.period.label}), "
                    f"above the {metrics.display(share_limit, 'share')} limit: plan for the dependency.",
                    metrics.rounded_ratio(held),
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
    # Still open with new figures: one set-based UPDATE for all of them.
    update_rows(BalanceAlert, ["message", "share"], [(a.pk, a.message, a.share) for a in changed])
