"""A run scores the last FINISHED fiscal quarter (the one before the quarter of its day), and every
place that shows a score names that quarter: the snapshot, the partner page, the portal and the API.

The tenants of the test world have a January fiscal year start, so a run on 20 November 2026 (in
FY2026-Q4) scores FY2026-Q3: 1 July to 30 September 2026."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pipeline.models import RevenueRecord
from prm.permissions import Role
from tests.partners.factories import CertificationFactory
from tests.pipeline.factories import AccountFactory, RevenueRecordFactory
from tiering import recalculation, services
from tiering.engine import period_for
from tiering.models import ScoreRun, ScoreSnapshot

from .tiering_fixtures import ladder

D = Decimal
RUN_ON = date(2026, 11, 20)  # mid-quarter: FY2026-Q4 has barely begun

GROWTH_AND_CERTS = [
    {
        "key": "growth",
        "label": "Revenue growth",
        "kind": "computed",
        "metric_key": "revenue_growth",
        "normalisation": "target",
        "target": "0.25",
        "weight": 50,
    },
    {
        "key": "certs",
        "label": "Certifications",
        "kind": "computed",
        "metric_key": "active_certifications",
        "normalisation": "target",
        "target": "4",
        "weight": 50,
    },
]


@pytest.fixture
def scored_mid_quarter(world_a, in_tenant):
    """World A's partner with a year of monthly revenue, a few certifications, and a run on RUN_ON."""
    with in_tenant(world_a.tenant):
        ladder()
        services.scorecard_save_version(access=world_a.access(Role.ADMIN), criteria=GROWTH_AND_CERTS)
        partner = world_a.partner
        account = AccountFactory()
        # A year earlier: 1,000 a month from July to December 2025.
        for month in range(7, 13):
            RevenueRecordFactory(
                account=account, partner=partner, amount=D(1000), period=date(2025, month, 1)
            )
        # This year: 1,200 a month in the finished quarter, and a first 50 in the quarter under way.
        for month in (7, 8, 9):
            RevenueRecordFactory(
                account=account, partner=partner, amount=D(1200), period=date(2026, month, 1)
            )
        RevenueRecordFactory(account=account, partner=partner, amount=D(50), period=date(2026, 11, 1))
        # Valid today and at the quarter's end, expiring before the quarter under way ends: counts.
        CertificationFactory(partner=partner, earned_on=date(2026, 2, 1), expires_on=date(2026, 12, 1))
        # Expired since the scored quarter ended, valid at its end: counts.
        CertificationFactory(partner=partner, earned_on=date(2026, 1, 5), expires_on=date(2026, 10, 15))
        # Expired inside the scored quarter: does not count.
        CertificationFactory(partner=partner, earned_on=date(2025, 1, 5), expires_on=date(2026, 9, 15))
        # Earned after the scored quarter: counts from the runs that score a quarter containing it.
        CertificationFactory(partner=partner, earned_on=date(2026, 10, 5), expires_on=None)
        recalculation.score_run_execute(run_on=RUN_ON)
    return partner


def _raw(snapshot: ScoreSnapshot, key: str) -> str | None:
    return next(row["raw"] for row in snapshot.breakdown if row["key"] == key)


def _revenue(partner, start: date, end: date) -> Decimal:
    """The partner's new, expansion and renewal revenue with a month in [start, end], from the rows."""
    rows = RevenueRecord.objects.filter(partner=partner, period__gte=start, period__lte=end)
    return sum((r.amount_reporting for r in rows), D(0))


def test_a_run_mid_quarter_scores_the_previous_finished_quarter(world_a, in_tenant, scored_mid_quarter):
    with in_tenant(world_a.tenant):
        scored = period_for(RUN_ON)
        assert (scored.label, scored.start, scored.end) == ("FY2026-Q3", date(2026, 7, 1), date(2026, 9, 30))
        snapshot = ScoreSnapshot.objects.get(partner=scored_mid_quarter, run_on=RUN_ON)
        assert snapshot.period_label == "FY2026-Q3"
        assert ScoreRun.objects.get(run_on=RUN_ON).period_label == "FY2026-Q3"
        # Growth computed independently from the rows: Jul–Sep 2026 against Jul–Sep 2025.
        now = _revenue(scored_mid_quarter, date(2026, 7, 1), date(2026, 9, 30))
        before = _revenue(scored_mid_quarter, date(2025, 7, 1), date(2025, 9, 30))
        expected = (now / before - 1).quantize(D("0.0001"))
        assert (now, before, expected) == (D(3600), D(3000), D("0.2000"))
        assert D(_raw(snapshot, "growth")) == expected
        # Not the quarter under way (50 against 3,000 a year earlier: −98.33 %).
        assert D(_raw(snapshot, "growth")) > 0


def test_certifications_count_as_of_the_scored_quarters_end(world_a, in_tenant, scored_mid_quarter):
    with in_tenant(world_a.tenant):
        snapshot = ScoreSnapshot.objects.get(partner=scored_mid_quarter, run_on=RUN_ON)
    # Valid on 30 September 2026: the one expiring on 1 December and the one expired on 15 October.
    assert _raw(snapshot, "certs") == "2"
    # growth 0.20 ÷ 0.25 = 80 → 40 points; certifications 2 ÷ 4 = 50 → 25 points.
    assert snapshot.score == D("65.00")


def test_every_place_showing_a_score_names_the_quarter_it_measures(
    world_a, in_tenant, client_for, scored_mid_quarter
):
    shown = "FY2026-Q3 (1 Jul – 30 Sep 2026)"
    staff = client_for(world_a.user(Role.MANAGER))
    body = staff.get(f"/t/alpha/partners/{scored_mid_quarter.pk}/").content.decode()
    assert shown in body
    portal = client_for(world_a.user(Role.PARTNER_ADMIN)).get("/t/alpha/portal/tier/").content.decode()
    assert shown in portal
    rows = staff.get(f"/api/v1/t/alpha/score-snapshots/?partner={scored_mid_quarter.pk}").json()["results"]
    assert [(r["run_on"], r["period_label"], r["period_start"], r["period_end"]) for r in rows] == [
        ("2026-11-20", "FY2026-Q3", "2026-07-01", "2026-09-30")
    ]
    with in_tenant(world_a.tenant):
        from prm import metrics

        definition = metrics.get("partner_score").definition
    assert "last fiscal quarter finished before" in definition
