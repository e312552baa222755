"""The recalculation against a long history of nightly snapshots: the statements it sends do not
grow with the nights kept, and what it reads of the previous night (the previous score, what
moved, the below-minimum alert) and the partner score metric come from the right snapshot."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prm import metrics
from prm.periods import parse_period
from prm.permissions import Role
from tiering import recalculation, services
from tiering.models import BalanceAlert, ScoreSnapshot, TierChangeProposal

from .factories import ManualRatingFactory
from .tiering_fixtures import MANUAL_ONLY, ladder

D = Decimal
FIRST = date(2026, 4, 1)


@pytest.fixture
def tiers(world_a, world_b, in_tenant):
    """Both worlds on a manual-only scorecard and a score-only ladder (70/50/30/0), partners Silver."""
    found = {}
    for world in (world_a, world_b):
        with in_tenant(world.tenant):
            found[world.tenant.pk] = ladder()
            services.scorecard_save_version(access=world.access(Role.ADMIN), criteria=MANUAL_ONLY)
            for partner in (world.partner, world.other_partner):
                partner.tier = found[world.tenant.pk]["Silver"]
                partner.save()
    return found[world_a.tenant.pk]


def _rate(partner, fit, ease):
    ManualRatingFactory(partner=partner, key="fit_to_icp", value=fit)
    ManualRatingFactory(partner=partner, key="ease_of_working", value=ease)


def _nights(first: date, count: int) -> None:
    for n in range(count):
        recalculation.score_run_execute(run_on=first + timedelta(days=n))


def _statements_of_a_run(run_on: date) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        recalculation.score_run_execute(run_on=run_on)
    return [q["sql"] for q in captured.captured_queries]


def test_a_runs_statements_do_not_grow_with_the_nights_of_history_kept(world_a, world_b, in_tenant, tiers):
    with in_tenant(world_b.tenant):
        _rate(world_b.partner, 1, 1)
        _nights(FIRST, 30)  # another tenant's history is not this one's
    with in_tenant(world_a.tenant):
        _rate(world_a.partner, 5, 3)  # 80: a pending promotion refreshed every night
        _rate(world_a.other_partner, 1, 1)  # 0: a pending demotion, below Silver's minimum
        _nights(FIRST, 1)
        after_one = _statements_of_a_run(FIRST + timedelta(days=1))
        _nights(FIRST + timedelta(days=2), 29)
        assert ScoreSnapshot.objects.filter(partner=world_a.partner).count() == 31
        after_thirty = _statements_of_a_run(FIRST + timedelta(days=31))
        assert TierChangeProposal.objects.filter(status=TierChangeProposal.Status.PENDING).count() == 2
    assert len(after_thirty) == len(after_one)
    # The previous night is read by one statement whatever the nights kept, probing each
    # partner's latest snapshot (bench/scoring.py measures it at two years of nights).
    assert any("partners_scoresnapshot" in sql and "LIMIT 1" in sql for sql in after_thirty)


def test_the_previous_score_and_what_moved_come_from_the_latest_earlier_night(
    world_a, world_b, in_tenant, tiers
):
    with in_tenant(world_b.tenant):
        _rate(world_b.partner, 2, 2)
        _nights(FIRST, 6)
    with in_tenant(world_a.tenant):
        _rate(world_a.partner, 4, 4)  # 75
        _nights(FIRST, 3)  # nights 1–3
        _rate(world_a.partner, 3, 3)  # 50
        recalculation.score_run_execute(run_on=FIRST + timedelta(days=3))  # night 4
        _rate(world_a.partner, 1, 1)  # 0
        recalculation.score_run_execute(run_on=FIRST + timedelta(days=10))  # a later night, night 11
        _rate(world_a.partner, 5, 3)  # 80
        recalculation.score_run_execute(run_on=FIRST + timedelta(days=5))  # night 6, run late
        proposal = TierChangeProposal.objects.get(
            partner=world_a.partner, status=TierChangeProposal.Status.PENDING
        )
        assert proposal.to_tier == tiers["Strategic"]
        assert proposal.snapshot == ScoreSnapshot.objects.get(
            partner=world_a.partner, run_on=FIRST + timedelta(days=5)
        )
        # Compared with night 4 (50: fit 30 and ease 20 points), not night 11 nor the first ones.
        assert proposal.explanation["previous_score"] == "50.00"
        assert proposal.explanation["moved"] == [{"label": "Fit to ICP", "delta": "30.00"}]


def test_a_strategic_partner_below_its_minimum_two_nights_running_is_alerted_whatever_the_history(
    world_a, in_tenant, tiers
):
    with in_tenant(world_a.tenant):
        world_a.partner.tier = tiers["Strategic"]
        world_a.partner.save()
        _rate(world_a.partner, 5, 5)  # 100
        _nights(FIRST, 6)
        _rate(world_a.partner, 3, 3)  # 50, below Strategic's 70
        recalculation.score_run_execute(run_on=FIRST + timedelta(days=20))
        below = BalanceAlert.objects.filter(kind=BalanceAlert.Kind.BELOW_MINIMUM)
        assert not below.exists()  # the night before, it scored 100
        recalculation.score_run_execute(run_on=FIRST + timedelta(days=21))
        alert = BalanceAlert.objects.get(kind=BalanceAlert.Kind.BELOW_MINIMUM, resolved_on__isnull=True)
        assert alert.partner_id == world_a.partner.pk
        assert "scored 50.00 and 50.00 in the last two runs" in alert.message


def test_the_partner_score_metric_reads_each_partners_latest_snapshot_up_to_the_period_end(
    world_a, world_b, in_tenant, tiers
):
    q2 = parse_period("FY2026-Q2", 1)  # April to June 2026
    with in_tenant(world_b.tenant):
        _rate(world_b.partner, 5, 5)
        recalculation.score_run_execute(run_on=date(2026, 6, 30))
    with in_tenant(world_a.tenant):
        _rate(world_a.partner, 4, 4)
        _nights(FIRST, 3)  # 75 from April 1 to 3
        _rate(world_a.partner, 3, 3)
        recalculation.score_run_execute(run_on=date(2026, 6, 30))  # 50 on the period's last day
        _rate(world_a.partner, 5, 3)
        recalculation.score_run_execute(run_on=date(2026, 7, 1))  # 80 after it
        metric = metrics.get("partner_score")
        ids = [world_a.partner.pk, world_a.other_partner.pk]
        assert metric.compute(tenant=world_a.tenant, partner_ids=ids, period=q2) == {
            world_a.partner.pk: D("50.00"),
            world_a.other_partner.pk: D("0.00"),
        }
        # A partner of another tenant asked for by id has no score here.
        assert metric.compute(tenant=world_a.tenant, partner_ids=[world_b.partner.pk], period=q2) == {
            world_b.partner.pk: None
        }
