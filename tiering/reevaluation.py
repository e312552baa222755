"""Keeping a proposal honest between runs: when a fact its rules read changes (a plan signed or
withdrawn, a certification earned, corrected or removed, a manual rating), the partner's outcome is
recomputed at once with the engine the nightly run uses, and a proposal of the run whose move is no
longer the recommendation is closed with the reason; approving one re-checks the same way.

A manager's proposal (``proposed_by`` or ``proposed_by_key`` set) rests on the manager's reason, not on the rules, and
waits for its decision as it does in a run. ``partners.signals.partner_standing_changed`` carries the
events; ``TieringConfig.ready`` connects ``tasks.on_standing_changed`` to it, which queues the
re-check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from partners.models import Tier
from partners.vocab import Classification
from prm import audit

from . import engine
from .models import TierChangeProposal as Proposal
from .program import active_criteria, direction, tiering_settings


@dataclass(frozen=True)
class Verdict:
    """A proposal's move against the partner's outcome recomputed now."""

    holds: bool
    result: engine.PartnerResult
    changed: list[str]  # the rules whose outcome differs from the proposal's explanation, as now read

    @property
    def recommended(self) -> Tier | None:
        return self.result.recommended

    @property
    def moves(self) -> bool:
        """Whether the recommendation now is a move at all (another tier than the current one)."""
        return self.recommended is not None and self.recommended.pk != self.result.tier_id

    def reason(self, proposal: Proposal) -> str:
        """Why the proposal's move is no longer justified, in one sentence or two."""
        partner = proposal.partner.name
        if self.recommended is None:
            now = f"{partner} now qualifies for no tier"
        elif not self.moves:
            now = f"{partner} now qualifies for {self.recommended.name}, its current tier"
        else:
            now = f"{partner} now qualifies for {self.recommended.name}"
        what = "; ".join(self.changed) or f"the score is now {self.result.score}"
        return f"{now}, not {proposal.to_tier.name} (score {self.result.score}). What changed: {what}."


def _rule_outcomes(explained: list[dict[str, Any]]) -> dict[tuple[Any, str], tuple[bool, str]]:
    return {
        (block.get("tier_id"), rule["rule"]): (bool(rule["met"]), rule["text"])
        for block in explained
        for rule in block.get("rules", [])
    }


def _changed_rules(proposal: Proposal, result: engine.PartnerResult) -> list[str]:
    before = _rule_outcomes(proposal.explanation.get("rules") or [])
    now = _rule_outcomes(result.rules)
    return [
        f"{text} — now {'met' if met else 'missed'}"
        for key, (met, text) in now.items()
        if key in before and before[key][0] != met
    ]


def judge(proposal: Proposal) -> Verdict | None:
    """Recompute the partner's outcome as a run today would (every scored partner, for the
    percentiles) and say whether the proposal's move is still the recommendation.

    None when there is nothing to judge: a manager's proposal, or a partner no longer scored."""
    if proposal.is_manual:
        return None
    partners = engine.scored_partners()
    if all(pid != proposal.partner_id for pid, _ in partners):
        return None
    computed = engine.compute(run_on=timezone.localdate(), criteria=active_criteria(), partners=partners)
    result = computed.results[proposal.partner_id]
    recommended = result.recommended
    holds = (
        recommended is not None and recommended.pk == proposal.to_tier_id and recommended.pk != result.tier_id
    )
    return Verdict(holds=holds, result=result, changed=[] if holds else _changed_rules(proposal, result))


@transaction.atomic
def tier_proposal_reevaluate(*, partner_id: int, why: str) -> Proposal | None:
    """The system's re-check of the partner's pending proposal from a run, after ``why`` happened.

    Still justified: left as it is. Its move no longer recommended: withdrawn with the reason, and
    when the partner now qualifies for another move, superseded instead by a new proposal to that
    tier with the fresh rules (unless tactical moves are applied automatically: the next run does
    that). Audited as the system's. Returns the proposal that is pending afterwards, if any."""
    proposal = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("partner", "to_tier", "from_tier")
        .filter(
            partner_id=partner_id,
            status=Proposal.Status.PENDING,
            proposed_by__isnull=True,
            proposed_by_key__isnull=True,
        )
        .first()
    )
    if proposal is None:
        return None
    verdict = judge(proposal)
    if verdict is None or verdict.holds:
        return proposal
    replacement = _replacement(proposal, verdict)
    proposal.status = Proposal.Status.SUPERSEDED if replacement else Proposal.Status.WITHDRAWN
    proposal.decided_at = timezone.now()
    proposal.decision_reason = f"{why} {verdict.reason(proposal)}".strip()
    proposal.save(update_fields=["status", "decided_at", "decision_reason", "updated_at"])
    audit.record_by_system(
        verb=f"tier_proposal.{proposal.status}",
        target=proposal,
        partner_id=partner_id,
        before={"status": Proposal.Status.PENDING, "to_tier": proposal.to_tier.name},
        after={"status": proposal.status, "reason": proposal.decision_reason},
    )
    if replacement is None:
        return None
    replacement.save()
    audit.record_by_system(
        verb="tier_proposal.created",
        target=replacement,
        partner_id=partner_id,
        after={"to_tier": replacement.to_tier.name, "replaces": proposal.pk},
    )
    return replacement


def _replacement(proposal: Proposal, verdict: Verdict) -> Proposal | None:
    """The proposal a run would open now instead (unsaved), or None when there is no move to propose."""
    target = verdict.recommended
    if target is None or not verdict.moves:
        return None
    current = proposal.partner.tier
    tactical_move = target.classification == Classification.TACTICAL and (
        current is None or current.classification == Classification.TACTICAL
    )
    if tactical_move and tiering_settings().tactical_auto_apply:
        return None
    return Proposal(
        partner=proposal.partner,
        from_tier=current,
        to_tier=target,
        direction=direction(current, target),
        score=verdict.result.score,
        explanation={
            "score": str(verdict.result.score),
            "previous_score": str(proposal.score) if proposal.score is not None else None,
            "moved": [],
            "rules": verdict.result.rules,
        },
    )
