"""Everything that can happen in tiering, one function per use case.

Each write runs in one transaction, checks the caller's permission and records an audit event.
Tiers never change silently: a run opens proposals, an admin or executive decides them (tactical
moves may be auto-applied when the tenant enables it), and every change lands in the history.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from partners.models import Partner, Tier
from partners.signals import standing_changed
from partners.vocab import Classification
from prm import actors, audit
from prm.access import TenantAccess, require
from prm.periods import parse_period
from prm.permissions import Perm
from prm.tenancy import require_current_tenant

from .models import (
    ManualRating,
    PortfolioReview,
    ReviewDecision,
    Scorecard,
    ScoreSnapshot,
    TierChange,
    TieringSettings,
)
from .models import TierChangeProposal as Proposal
from .program import (
    TIER_FIELDS,
    active_criteria,
    active_scorecard,
    create_scorecard_version,
    direction,
    strategic_count,
    tiering_settings,
)
from .queries import review_candidates
from .reevaluation import judge

SETTINGS_FIELDS = [
    "strategic_cap",
    "concentration_share",
    "tactical_auto_apply",
    "show_rating_comments_in_portal",
]


# --- settings, tiers, scorecards ----------------------------------------------------------------


@transaction.atomic
def tiering_settings_update(*, access: TenantAccess, **values: Any) -> TieringSettings:
    """Change the portfolio settings (admins)."""
    require(access, Perm.MANAGE_PROGRAM)
    row = TieringSettings.objects.select_for_update().first() or TieringSettings()
    before = audit.snapshot(row, SETTINGS_FIELDS)
    for name in SETTINGS_FIELDS:
        if name in values:
            setattr(row, name, values[name])
    row.full_clean()
    row.save()
    audit.record(
        access=access,
        verb="tiering.settings_updated",
        target=row,
        before=before,
        after=audit.snapshot(row, SETTINGS_FIELDS),
    )
    return row


@transaction.atomic
def tier_update(*, access: TenantAccess, tier: Tier, **values: Any) -> Tier:
    """Change a tier's benefits and entry rules (admins)."""
    require(access, Perm.MANAGE_PROGRAM)
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


@transaction.atomic
def scorecard_save_version(
    *, access: TenantAccess, criteria: list[dict[str, Any]], note: str = ""
) -> Scorecard:
    """Save new weights as a new scorecard version (admins); older snapshots keep theirs."""
    require(access, Perm.MANAGE_PROGRAM)
    previous = active_scorecard()
    card = create_scorecard_version(criteria=criteria, note=note, actor=access)
    audit.record(
        access=access,
        verb="scorecard.version_created",
        target=card,
        before={"version": previous.version},
        after={
            "version": card.version,
            "criteria": [{"key": c.key, "weight": c.weight} for c in card.criteria.all()],
        },
    )
    return card


# --- manual ratings -----------------------------------------------------------------------------


@transaction.atomic
def manual_rating_set(
    *, access: TenantAccess, partner: Partner, key: str, value: int, comment: str = ""
) -> ManualRating:
    """A manager rates a partner 1–5 on a manual criterion, with a comment."""
    require(access, Perm.MANAGE_PARTNERS)
    manual_keys = {c.key for c in active_criteria() if c.kind == "manual"}
    if key not in manual_keys:
        raise ValidationError({"key": f"“{key}” is not a manual criterion of the active scorecard."})
    rating = ManualRating.objects.filter(partner=partner, key=key).first()
    before = audit.snapshot(rating, ["value", "comment"]) if rating else {}
    rating = rating or ManualRating(partner=partner, key=key)
    rating.value, rating.comment = value, comment.strip()
    actors.stamp(rating, "rated_by", access)
    rating.full_clean()
    rating.save()
    audit.record(
        access=access,
        verb="partner.rated",
        target=rating,
        before=before,
        after=audit.snapshot(rating, ["value", "comment"]),
        partner_id=partner.pk,
    )
    standing_changed(partner.pk, f"Rating on “{key}” set to {value}.")
    return rating


# --- proposals and tier changes -----------------------------------------------------------------


def record_direct_tier_change(
    sender: Any, *, partner: Partner, from_tier_id: int | None, user: Any, reason: str, **kwargs: Any
) -> TierChange:
    """``partners.signals.tier_set``'s receiver: a tier set on the partner's profile, by the API or
    an import (not through a proposal) joins the tier history too, in the same transaction, so
    reports by "tier as it was" see it (the partner service has audited the change itself)."""
    return TierChange.objects.create(
        partner=partner,
        from_tier_id=from_tier_id,
        to_tier_id=partner.tier_id,
        changed_at=timezone.now(),
        reason=reason,
        changed_by=user if getattr(user, "pk", None) else None,
    )


def _apply_change(
    *,
    access: TenantAccess,
    partner: Partner,
    to_tier: Tier | None,
    reason: str,
    proposal: Proposal | None = None,
) -> TierChange:
    from_tier = partner.tier
    change = TierChange.objects.create(
        partner=partner,
        from_tier=from_tier,
        to_tier=to_tier,
        changed_at=timezone.now(),
        reason=reason,
        **actors.by(access, "changed_by"),
        proposal=proposal,
    )
    partner.tier = to_tier
    partner.save(update_fields=["tier", "updated_at"])
    audit.record(
        access=access,
        verb="partner.tier_changed",
        target=partner,
        partner_id=partner.pk,
        before={"tier": from_tier.name if from_tier else None},
        after={"tier": to_tier.name if to_tier else None, "reason": reason},
    )
    return change


@transaction.atomic
def tier_proposal_create(*, access: TenantAccess, partner: Partner, to_tier: Tier, reason: str) -> Proposal:
    """A manager proposes moving a partner to another tier, with a reason."""
    require(access, Perm.MANAGE_PARTNERS)
    _refuse_archived(partner, "Restore it before proposing a tier change.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why this partner should move."})
    if partner.tier_id == to_tier.pk:
        raise ValidationError({"to_tier": f"{partner.name} is already in {to_tier.name}."})
    if Proposal.objects.filter(partner=partner, status=Proposal.Status.PENDING).exists():
        raise ValidationError({"to_tier": "A proposal for this partner is already waiting for a decision."})
    latest = ScoreSnapshot.objects.filter(partner=partner).order_by("-run_on").first()
    proposal = Proposal.objects.create(
        partner=partner,
        from_tier=partner.tier,
        to_tier=to_tier,
        direction=direction(partner.tier, to_tier),
        score=latest.score if latest else None,
        snapshot=latest,
        **actors.by(access, "proposed_by"),
        reason=reason.strip(),
        explanation={
            "score": str(latest.score) if latest else None,
            "rules": latest.rules if latest else [],
            "moved": [],
        },
    )
    audit.record(
        access=access,
        verb="tier_proposal.created",
        target=proposal,
        partner_id=partner.pk,
        after={"to_tier": to_tier.name, "reason": proposal.reason},
    )
    return proposal


def _refuse_archived(partner: Partner, what_to_do: str) -> None:
    """Archived partners are out of the program: no tier proposal for them, nor approval of one
    (read from the database, so a partner archived since it was loaded is refused too)."""
    archived = Partner.objects.filter(pk=partner.pk, archived_at__isnull=False).exists()
    if archived or partner.archived_at is not None:
        raise ValidationError(
            {"partner": f"{partner.name} is archived: its tier does not change. {what_to_do}"}
        )


def _refuse_unjustified(proposal: Proposal) -> None:
    """A run's proposal is approved only while its reason holds: the partner's outcome is computed
    again now (``reevaluation.judge``), so a plan signed or a certification earned since counts."""
    verdict = judge(proposal)
    if verdict is not None and not verdict.holds:
        raise ValidationError(
            {
                "status": f"This proposal's reason no longer holds: {verdict.reason(proposal)} "
                "Reject it, or let the re-check or the next recalculation close it."
            }
        )


def _pending(proposal: Proposal) -> Proposal:
    locked = Proposal.objects.select_for_update().select_related("partner", "to_tier").get(pk=proposal.pk)
    if not locked.is_pending:
        raise ValidationError({"status": f"This proposal is already {locked.get_status_display().lower()}."})
    return locked


@transaction.atomic
def tier_proposal_approve(
    *, access: TenantAccess, proposal: Proposal, reason: str = "", cap_override_reason: str = ""
) -> Proposal:
    """Approve a proposal (admins and executives): the partner moves, the history records it.

    A promotion into a strategic tier beyond the tenant's cap is refused unless an admin gives
    a written override reason.
    """
    require(access, Perm.DECIDE_TIER_CHANGES)
    proposal = _pending(proposal)
    partner = Partner.objects.select_related("tier").get(pk=proposal.partner_id)
    _refuse_archived(partner, "Reject the proposal, or restore the partner first.")
    _refuse_unjustified(proposal)
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
                    {
                        "cap_override_reason": f"The program already has {count} strategic partners (cap {cap}). "
                        "An admin may override the cap with a written reason."
                    }
                )
            if not access.can(Perm.MANAGE_PROGRAM):
                raise ValidationError(
                    {"cap_override_reason": "Only a program admin may override the strategic cap."}
                )
    proposal.status = Proposal.Status.APPROVED
    proposal.decided_at = timezone.now()
    actors.stamp(proposal, "decided_by", access)
    proposal.decision_reason = reason.strip()
    proposal.cap_override_reason = cap_override_reason.strip() if entering_strategic else ""
    proposal.save()
    why = reason.strip() or proposal.reason or f"Recommended by the score ({proposal.score})."
    if proposal.cap_override_reason:
        why += f" Strategic cap overridden: {proposal.cap_override_reason}"
    _apply_change(access=access, partner=partner, to_tier=to_tier, reason=why, proposal=proposal)
    audit.record(
        access=access,
        verb="tier_proposal.approved",
        target=proposal,
        partner_id=partner.pk,
        after={"reason": proposal.decision_reason, "cap_override_reason": proposal.cap_override_reason},
    )
    return proposal


@transaction.atomic
def tier_proposal_reject(*, access: TenantAccess, proposal: Proposal, reason: str) -> Proposal:
    """Reject a proposal with a reason (admins and executives); the tier stays."""
    require(access, Perm.DECIDE_TIER_CHANGES)
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for rejecting, so the manager knows."})
    proposal = _pending(proposal)
    proposal.status = Proposal.Status.REJECTED
    proposal.decided_at, proposal.decision_reason = timezone.now(), reason.strip()
    actors.stamp(proposal, "decided_by", access)
    proposal.save()
    audit.record(
        access=access,
        verb="tier_proposal.rejected",
        target=proposal,
        partner_id=proposal.partner_id,
        after={"reason": proposal.decision_reason},
    )
    return proposal


# --- annual refresh -----------------------------------------------------------------------------


@transaction.atomic
def portfolio_review_open(*, access: TenantAccess, fiscal_year: str) -> PortfolioReview:
    """An admin opens the portfolio review of a fiscal year (one per year)."""
    require(access, Perm.MANAGE_PROGRAM)
    try:
        period = parse_period(fiscal_year, require_current_tenant().fiscal_year_start_month)
    except ValueError as error:
        raise ValidationError({"fiscal_year": str(error)}) from None
    if period.quarter is not None:
        raise ValidationError({"fiscal_year": "A portfolio review covers a fiscal year: write FY2027."})
    if PortfolioReview.objects.filter(fiscal_year=period.label).exists():
        raise ValidationError({"fiscal_year": f"The review of {period.label} exists already."})
    review = PortfolioReview.objects.create(fiscal_year=period.label, **actors.by(access, "opened_by"))
    audit.record(access=access, verb="portfolio_review.opened", target=review)
    return review


@transaction.atomic
def portfolio_review_decide(
    *, access: TenantAccess, review: PortfolioReview, partner: Partner, decision: str, note: str = ""
) -> ReviewDecision:
    """Record (or change) the decision on one partner in an open review."""
    require(access, Perm.MANAGE_PROGRAM)
    if review.status != PortfolioReview.Status.OPEN:
        raise ValidationError({"decision": "This review is closed."})
    if decision not in ReviewDecision.Decision.values:
        raise ValidationError({"decision": "Choose keep, promote or move to tactical."})
    row, _ = ReviewDecision.objects.update_or_create(
        review=review,
        partner=partner,
        defaults={"decision": decision, "note": note.strip(), **actors.by(access, "decided_by")},
    )
    audit.record(
        access=access,
        verb="portfolio_review.decided",
        target=row,
        partner_id=partner.pk,
        after={"decision": decision, "note": row.note},
    )
    return row


@transaction.atomic
def portfolio_review_close(*, access: TenantAccess, review: PortfolioReview, summary: str) -> PortfolioReview:
    """Close the review with a summary (every listed partner must have a decision)."""
    require(access, Perm.MANAGE_PROGRAM)
    if review.status != PortfolioReview.Status.OPEN:
        raise ValidationError({"summary": "This review is closed already."})
    if not summary.strip():
        raise ValidationError({"summary": "Write a short summary of the review."})
    decided = set(review.decisions.values_list("partner_id", flat=True))
    missing = [c["partner"].name for c in review_candidates(access, review) if c["partner"].pk not in decided]
    if missing:
        raise ValidationError(
            {
                "summary": f"Decide on every listed partner first: {', '.join(missing[:5])}"
                + ("…" if len(missing) > 5 else "")
            }
        )
    counts = Counter(review.decisions.values_list("decision", flat=True))
    review.status, review.summary = PortfolioReview.Status.CLOSED, summary.strip()
    review.closed_at = timezone.now()
    actors.stamp(review, "closed_by", access)
    review.save()
    audit.record(
        access=access,
        verb="portfolio_review.closed",
        target=review,
        after={"summary": review.summary, **{k: counts.get(k, 0) for k in ReviewDecision.Decision.values}},
    )
    return review
