"""The tiering factories build valid rows in the tenant they are given, related rows included."""

from __future__ import annotations

from decimal import Decimal

from prm.tenancy import tenant_context
from tiering.models import Criterion, ManualRating, Scorecard

from .factories import (
    BalanceAlertFactory,
    ManualRatingFactory,
    ReviewDecisionFactory,
    ScorecardFactory,
    ScoreSnapshotFactory,
    TierChangeFactory,
    TierChangeProposalFactory,
    TieringSettingsFactory,
)
from .tiering_fixtures import MANUAL_ONLY


def test_a_scorecard_is_the_next_active_version_with_its_criteria_in_order(world_a):
    first = ScorecardFactory(tenant=world_a.tenant)
    second = ScorecardFactory(tenant=world_a.tenant, criteria=MANUAL_ONLY)
    with tenant_context(world_a.tenant):
        assert (first.version, second.version) == (1, 2)
        assert Scorecard.objects.get(is_active=True) == second
        rows = Criterion.objects.filter(scorecard=second).order_by("position")
        assert [(c.key, c.weight) for c in rows] == [("fit_to_icp", 60), ("ease_of_working", 40)]


def test_rating_again_replaces_the_rating(world_a):
    ManualRatingFactory(partner=world_a.partner, value=2)
    ManualRatingFactory(partner=world_a.partner, value=5, comment="better")
    with tenant_context(world_a.tenant):
        rating = ManualRating.objects.get(partner=world_a.partner)
    assert (rating.key, rating.value, rating.comment) == ("fit_to_icp", 5, "better")


def test_every_row_lands_in_its_partners_tenant(world_a, world_b):
    rows = [
        TieringSettingsFactory(tenant=world_b.tenant, strategic_cap=3),
        ScoreSnapshotFactory(partner=world_b.partner, score=Decimal("61.50")),
        TierChangeProposalFactory(partner=world_b.partner),
        TierChangeFactory(partner=world_b.partner),
        BalanceAlertFactory(partner=world_b.partner),
        ReviewDecisionFactory(partner=world_b.partner, review__tenant=world_b.tenant),
    ]
    assert {row.tenant_id for row in rows} == {world_b.tenant.pk}
