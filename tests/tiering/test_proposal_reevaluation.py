"""A run's proposal whose reason has gone does not stay approvable: signing or withdrawing a plan,
recording or removing a certification and changing a rating re-check the partner's pending
proposal at once (the engine of the nightly run), and approving re-checks it again."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from jbp import services as jbp_services
from jbp.models import Plan
from partners import services as partner_services
from prm.models import AuditEvent
from prm.permissions import Role
from tests.jbp.factories import PlanFactory
from tiering import recalculation, services
from tiering.engine import period_for
from tiering.models import TierChangeProposal

from .factories import ManualRatingFactory
from .tiering_fixtures import MANUAL_ONLY, ladder

Status = TierChangeProposal.Status
D = Decimal


@pytest.fixture
def program(world_a, in_tenant):
    """World A's ladder: Strategic needs a score of 70 and a signed plan, Gold 50 and one active
    certification, Silver 30; scores come from two manual ratings (fit 60 %, ease 40 %)."""
    with in_tenant(world_a.tenant):
        tiers = ladder()
        tiers["Strategic"].requires_signed_jbp = True
        tiers["Strategic"].save()
        tiers["Gold"].min_active_certifications = 1
        tiers["Gold"].save()
        services.scorecard_save_version(access=world_a.access(Role.ADMIN), criteria=MANUAL_ONLY)
        scored = period_for(timezone.localdate())
    return tiers, scored


def _rate(partner, fit, ease):
    ManualRatingFactory(partner=partner, key="fit_to_icp", value=fit)
    ManualRatingFactory(partner=partner, key="ease_of_working", value=ease)


def _place(partner, tier):
    partner.tier = tier
    partner.save()


def _pending(partner):
    return TierChangeProposal.objects.filter(partner=partner, status=Status.PENDING).first()


def _strategic_without_a_plan(world_a, tiers, scored):
    """The partner is Strategic, scores 100, holds a certification, has no signed plan: the run
    proposes the demotion to Gold for the missing plan. Returns the proposal and a plan ready to sign."""
    partner = world_a.partner
    _place(partner, tiers["Strategic"])
    _rate(partner, 5, 5)
    partner_services.certification_create(
        access=world_a.access(Role.MANAGER),
        partner=partner,
        fields={"name": "Cloud", "earned_on": scored.start},
    )
    plan = PlanFactory(partner=partner, fiscal_year=scored.fiscal_year, status=Plan.Status.PARTNER_APPROVED)
    recalculation.score_run_execute()
    proposal = _pending(partner)
    assert (proposal.to_tier, proposal.direction) == (tiers["Gold"], "demotion")
    missed = [r for b in proposal.explanation["rules"] for r in b["rules"] if not r["met"]]
    assert [r["rule"] for r in missed] == ["requires_signed_jbp"]
    assert "(none signed)" in missed[0]["text"]
    return proposal, plan


def test_signing_the_plan_withdraws_the_demotion_at_once_and_it_cannot_be_approved(
    world_a, in_tenant, program, django_capture_on_commit_callbacks
):
    tiers, scored = program
    with in_tenant(world_a.tenant):
        proposal, plan = _strategic_without_a_plan(world_a, tiers, scored)
        with django_capture_on_commit_callbacks(execute=True):
            jbp_services.plan_sign_off(access=world_a.access(Role.EXECUTIVE), plan=plan)
        proposal.refresh_from_db()
        assert proposal.status == Status.WITHDRAWN
        assert "Joint business plan" in proposal.decision_reason
        assert "now qualifies for Strategic, its current tier" in proposal.decision_reason
        assert "A signed joint business plan for the fiscal year — now met" in proposal.decision_reason
        event = AuditEvent.objects.get(verb="tier_proposal.withdrawn", target_id=str(proposal.pk))
        assert (event.actor_label, event.actor_id) == ("system", None)
        assert _pending(world_a.partner) is None
        with pytest.raises(ValidationError, match="already withdrawn"):
            services.tier_proposal_approve(access=world_a.access(Role.EXECUTIVE), proposal=proposal)
        world_a.partner.refresh_from_db()
        assert world_a.partner.tier == tiers["Strategic"]


def test_approving_rechecks_the_reason_even_before_the_recheck_ran(world_a, in_tenant, program):
    """Defence in depth: the plan is signed but the re-check has not run (its commit hook never
    fires here); approving computes the outcome again and refuses, naming what changed."""
    tiers, scored = program
    with in_tenant(world_a.tenant):
        proposal, plan = _strategic_without_a_plan(world_a, tiers, scored)
        jbp_services.plan_sign_off(access=world_a.access(Role.EXECUTIVE), plan=plan)
        assert _pending(world_a.partner) == proposal
        with pytest.raises(ValidationError) as refused:
            services.tier_proposal_approve(access=world_a.access(Role.ADMIN), proposal=proposal)
        message = str(refused.value)
        assert "This proposal's reason no longer holds" in message
        assert "A signed joint business plan for the fiscal year — now met" in message
        world_a.partner.refresh_from_db()
        assert world_a.partner.tier == tiers["Strategic"]
        assert _pending(world_a.partner) == proposal  # refused, not decided


def test_recording_the_missing_certification_withdraws_the_demotion(
    world_a, in_tenant, program, django_capture_on_commit_callbacks
):
    tiers, scored = program
    manager = world_a.access(Role.MANAGER)
    with in_tenant(world_a.tenant):
        partner = world_a.partner
        _place(partner, tiers["Gold"])
        _rate(partner, 4, 3)  # 45 + 20 = 65: Gold's score, but no certification → Silver
        recalculation.score_run_execute()
        proposal = _pending(partner)
        assert (proposal.to_tier, proposal.direction) == (tiers["Silver"], "demotion")
        # Earned inside the scored quarter, recorded late: it counts for the scored quarter.
        with django_capture_on_commit_callbacks(execute=True):
            partner_services.certification_create(
                access=manager, partner=partner, fields={"name": "Security", "earned_on": scored.end}
            )
        proposal.refresh_from_db()
        assert proposal.status == Status.WITHDRAWN
        assert "1 active certifications of at least 1 — now met" in proposal.decision_reason
        with pytest.raises(ValidationError):
            services.tier_proposal_approve(access=world_a.access(Role.ADMIN), proposal=proposal)


def test_a_change_that_keeps_the_reason_leaves_the_proposal_open(
    world_a, in_tenant, program, django_capture_on_commit_callbacks
):
    tiers, scored = program
    manager = world_a.access(Role.MANAGER)
    with in_tenant(world_a.tenant):
        partner = world_a.partner
        _place(partner, tiers["Gold"])
        _rate(partner, 4, 3)
        recalculation.score_run_execute()
        proposal = _pending(partner)
        with django_capture_on_commit_callbacks(execute=True) as hooks:
            # Earned after the scored quarter ended: it counts from the runs of the next quarter.
            partner_services.certification_create(
                access=manager,
                partner=partner,
                fields={"name": "Networking", "earned_on": scored.end + timedelta(days=1)},
            )
            services.manual_rating_set(access=manager, partner=partner, key="ease_of_working", value=4)
        announced = [hook for hook in hooks if hook.__qualname__.startswith("standing_changed")]
        assert len(announced) == 2  # both changes were announced and re-checked
        proposal.refresh_from_db()
        assert proposal.status == Status.PENDING
        assert not AuditEvent.objects.filter(verb="tier_proposal.withdrawn").exists()
        services.tier_proposal_approve(access=world_a.access(Role.ADMIN), proposal=proposal)
        partner.refresh_from_db()
        assert partner.tier == tiers["Silver"]


def test_a_rating_that_changes_the_target_supersedes_the_proposal_with_a_new_one(
    world_a, in_tenant, program, django_capture_on_commit_callbacks
):
    tiers, scored = program
    with in_tenant(world_a.tenant):
        proposal, _ = _strategic_without_a_plan(world_a, tiers, scored)
        with django_capture_on_commit_callbacks(execute=True):  # 1 → 0 points, 5 → 100: 40 → Silver
            services.manual_rating_set(
                access=world_a.access(Role.MANAGER), partner=world_a.partner, key="fit_to_icp", value=1
            )
        proposal.refresh_from_db()
        assert proposal.status == Status.SUPERSEDED
        assert "now qualifies for Silver, not Gold (score 40.00)" in proposal.decision_reason
        replacement = _pending(world_a.partner)
        assert (replacement.to_tier, replacement.score) == (tiers["Silver"], D("40.00"))
        assert replacement.explanation["rules"][-1]["tier"] == "Silver"


def test_setting_a_signed_plan_aside_withdraws_the_promotion_it_justified(
    world_a, in_tenant, program, django_capture_on_commit_callbacks
):
    tiers, scored = program
    with in_tenant(world_a.tenant):
        partner = world_a.partner
        _place(partner, tiers["Gold"])
        _rate(partner, 5, 5)
        plan = PlanFactory(partner=partner, fiscal_year=scored.fiscal_year, status=Plan.Status.ACTIVE)
        partner_services.certification_create(
            access=world_a.access(Role.MANAGER),
            partner=partner,
            fields={"name": "Cloud", "earned_on": scored.start},
        )
        recalculation.score_run_execute()
        proposal = _pending(partner)
        assert (proposal.to_tier, proposal.direction) == (tiers["Strategic"], "promotion")
        with django_capture_on_commit_callbacks(execute=True):
            jbp_services.plan_supersede(access=world_a.access(Role.MANAGER), plan=plan)
        proposal.refresh_from_db()
        assert proposal.status == Status.WITHDRAWN
        assert "now qualifies for Gold, its current tier" in proposal.decision_reason
