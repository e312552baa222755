"""Scoring math, normalisation, versioning, idempotent recalculation and what-if, on examples
worked out by hand in the comments."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners.models import Tier
from prm import metrics
from prm.periods import parse_period
from prm.permissions import Role
from tests.partners.factories import CertificationFactory, PartnerFactory
from tests.pipeline.factories import AccountFactory, RevenueRecordFactory
from tiering import program, queries, recalculation, services
from tiering.engine import period_for
from tiering.models import Scorecard, ScoreRun, ScoreSnapshot
from tiering.scoring import (
    CriterionSpec,
    normalise_percentiles,
    normalise_rating,
    normalise_target,
    score_partners,
)

from .factories import ManualRatingFactory
from .tiering_fixtures import MANUAL_ONLY, ladder

D = Decimal


def test_a_worked_example_scores_as_computed_by_hand():
    criteria = [
        CriterionSpec("revenue", "Revenue", "computed", 40, "revenue_ttm", "percentile"),
        CriterionSpec("growth", "Growth", "computed", 30, "revenue_growth", "target", D("0.25")),
        CriterionSpec("fit", "Fit", "manual", 30),
    ]
    raw = {
        "revenue": {1: D(100), 2: D(300), 3: D(300), 4: None},
        "growth": {1: D("0.10"), 2: D("0.50"), 3: None, 4: D("-0.2")},
        "fit": {1: 4, 2: 2},
    }
    scores = score_partners(criteria, raw, [1, 2, 3, 4])
    # Revenue percentile among the 3 with a value: P1 has 0 lower of 2 others → 0; P2 and P3 tie
    # with 1 lower (P1) of 2 → 50; P4 has no value → 0.
    # Growth against 0.25: P1 0.10/0.25 = 40; P2 capped at 100; P3 none → 0; P4 negative → 0.
    # Fit 1–5: P1 4 → 75; P2 2 → 25; P3, P4 unrated → 0.
    # P1 = 0×40% + 40×30% + 75×30% = 0 + 12 + 22.50 = 34.50
    # P2 = 50×40% + 100×30% + 25×30% = 20 + 30 + 7.50 = 57.50
    # P3 = 50×40% + 0 + 0 = 20.00;  P4 = 0
    assert {pid: s for pid, (s, _) in scores.items()} == {
        1: D("34.50"),
        2: D("57.50"),
        3: D("20.00"),
        4: D("0.00"),
    }
    p1 = {row["key"]: row for row in scores[1][1]}
    assert p1["growth"] == {
        "key": "growth",
        "label": "Growth",
        "kind": "computed",
        "raw": "0.10",
        "normalised": "40.00",
        "weight": 30,
        "contribution": "12.00",
    }
    assert p1["fit"]["normalised"] == "75.00"
    assert p1["fit"]["contribution"] == "22.50"


def test_normalisations():
    assert normalise_target(D(3), D(5)) == D("60.00")
    assert normalise_target(D(9), D(5)) == D("100.00")  # capped
    assert normalise_target(None, D(5)) == D("0.00")
    assert normalise_target(D(-1), D(5)) == D("0.00")
    # 5 values: 10 < 20 = 20 < 30 < 40 → lower counts 0, 1, 1, 3, 4 of n−1 = 4 others.
    assert normalise_percentiles({1: 10, 2: 20, 3: 20, 4: 30, 5: 40, 6: None}) == {
        1: D("0.00"),
        2: D("25.00"),
        3: D("25.00"),
        4: D("75.00"),
        5: D("100.00"),
        6: D("0.00"),
    }
    assert normalise_percentiles({1: 7}) == {1: D("100.00")}
    assert [normalise_rating(r) for r in (1, 2, 3, 4, 5, None)] == [D(0), D(25), D(50), D(75), D(100), D(0)]


@pytest.fixture
def tiering(world_a, in_tenant):
    """World A with a manual-only scorecard and a score-only ladder (70/50/30/0)."""
    with in_tenant(world_a.tenant):
        tiers = ladder()
        services.scorecard_save_version(access=world_a.access(Role.ADMIN), criteria=MANUAL_ONLY, note="test")
    return tiers


def _rate(world, partner, fit, ease):
    ManualRatingFactory(partner=partner, key="fit_to_icp", value=fit, comment="fit")
    ManualRatingFactory(partner=partner, key="ease_of_working", value=ease, comment="ease")


def test_a_run_stores_each_partners_score_with_its_breakdown(world_a, in_tenant, tiering):
    with in_tenant(world_a.tenant):
        _rate(world_a, world_a.partner, 5, 3)  # 100×60% + 50×40% = 60 + 20 = 80
        _rate(world_a, world_a.other_partner, 2, 1)  # 25×60% + 0 = 15
        run = recalculation.score_run_execute()
        assert run.status == ScoreRun.Status.DONE
        assert run.total == 2
        snap = ScoreSnapshot.objects.get(partner=world_a.partner)
        assert snap.score == D("80.00")
        assert snap.recommended_tier == tiering["Strategic"]
        assert [(r["key"], r["raw"], r["normalised"], r["contribution"]) for r in snap.breakdown] == [
            ("fit_to_icp", "5", "100.00", "60.00"),
            ("ease_of_working", "3", "50.00", "20.00"),
        ]
        assert (
            ScoreSnapshot.objects.get(partner=world_a.other_partner).recommended_tier == tiering["Registered"]
        )


def test_running_twice_on_one_day_gives_the_same_snapshots_not_duplicates(world_a, in_tenant, tiering):
    with in_tenant(world_a.tenant):
        _rate(world_a, world_a.partner, 5, 3)
        recalculation.score_run_execute()
        first = list(
            ScoreSnapshot.objects.order_by("pk").values_list("pk", "partner_id", "score", "breakdown")
        )
        proposals = list(program.Proposal.objects.values_list("pk", "status"))
        recalculation.score_run_execute()
        assert (
            list(ScoreSnapshot.objects.order_by("pk").values_list("pk", "partner_id", "score", "breakdown"))
            == first
        )
        assert list(program.Proposal.objects.values_list("pk", "status")) == proposals
        assert ScoreRun.objects.count() == 1


def test_recalculation_queries_do_not_grow_with_the_number_of_partners(world_a, in_tenant, tiering):
    with in_tenant(world_a.tenant):
        recalculation.score_run_execute(run_on=date(2026, 1, 5))
        for _ in range(3):
            PartnerFactory()
        with CaptureQueriesContext(connection) as few:
            recalculation.score_run_execute(run_on=date(2026, 1, 6))
        for _ in range(20):
            PartnerFactory()
        with CaptureQueriesContext(connection) as many:
            recalculation.score_run_execute(run_on=date(2026, 1, 7))
    # New partners (no tier yet) each get a proposal: all created in bulk, whatever their number.
    assert len(many.captured_queries) == len(few.captured_queries)


def test_editing_weights_makes_a_new_version_and_old_snapshots_keep_theirs(world_a, in_tenant, tiering):
    with in_tenant(world_a.tenant):
        _rate(world_a, world_a.partner, 5, 3)
        recalculation.score_run_execute(run_on=date(2026, 3, 1))
        v2 = program.active_scorecard()
        new = [{**MANUAL_ONLY[0], "weight": 20}, {**MANUAL_ONLY[1], "weight": 80}]
        v3 = services.scorecard_save_version(
            access=world_a.access(Role.ADMIN), criteria=new, note="ease matters"
        )
        assert v3.version == v2.version + 1
        assert v3.is_active
        v2.refresh_from_db()
        assert not v2.is_active
        recalculation.score_run_execute(run_on=date(2026, 3, 2))
        old, latest = ScoreSnapshot.objects.filter(partner=world_a.partner).order_by("run_on")
        assert (old.scorecard, old.score) == (v2, D("80.00"))
        assert (latest.scorecard, latest.score) == (v3, D("60.00"))  # 100×20% + 50×80% = 20 + 40


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        (
            [{**MANUAL_ONLY[0], "weight": 50}, MANUAL_ONLY[1]],
            "The weights add up to 90; they must add up to 100.",
        ),
        (
            [
                {
                    "key": "x",
                    "label": "X",
                    "kind": "computed",
                    "metric_key": "nope",
                    "normalisation": "percentile",
                    "weight": 100,
                }
            ],
            "X: “nope” is not a metric of the catalog.",
        ),
        (
            [
                {
                    "key": "x",
                    "label": "X",
                    "kind": "computed",
                    "metric_key": "revenue_ttm",
                    "normalisation": "target",
                    "weight": 100,
                }
            ],
            "X: a target normalisation needs a target above 0.",
        ),
    ],
)
def test_a_scorecard_with_bad_criteria_is_refused_naming_the_problem(
    world_a, in_tenant, tiering, criteria, message
):
    with in_tenant(world_a.tenant), pytest.raises(ValidationError) as error:
        services.scorecard_save_version(access=world_a.access(Role.ADMIN), criteria=criteria)
    assert message in error.value.message_dict["criteria"]


def test_only_admins_change_the_scorecard(world_a, in_tenant, tiering):
    with in_tenant(world_a.tenant), pytest.raises(PermissionDenied):
        services.scorecard_save_version(access=world_a.access(Role.MANAGER), criteria=MANUAL_ONLY)


def test_what_if_lists_who_would_move_without_saving_anything(world_a, in_tenant, tiering):
    with in_tenant(world_a.tenant):
        _rate(world_a, world_a.partner, 5, 3)  # 80 now; with 20/80 weights 60 → Gold
        _rate(world_a, world_a.other_partner, 2, 1)  # 15 → Registered either way
        Tier.objects.filter(pk=tiering["Strategic"].pk)
        world_a.partner.tier = tiering["Strategic"]
        world_a.partner.save()
        world_a.other_partner.tier = tiering["Registered"]
        world_a.other_partner.save()
        versions = Scorecard.objects.count()
        result = queries.what_if(
            world_a.access(Role.ADMIN),
            criteria=[{**MANUAL_ONLY[0], "weight": 20}, {**MANUAL_ONLY[1], "weight": 80}],
        )
        assert result["down"] == [
            {
                "partner_id": world_a.partner.pk,
                "partner": world_a.partner.name,
                "score": "60.00",
                "from_tier": "Strategic",
                "to_tier": "Gold",
            }
        ]
        assert result["up"] == []
        counts = {row["tier"]: (row["now"], row["after"]) for row in result["counts"]}
        assert result["counts"][0]["change"] == -1
        assert counts["Strategic"] == (1, 0)
        assert counts["Gold"] == (0, 1)
        assert counts["Registered"] == (1, 1)
        # Raising Gold's minimum to 65 as well: the partner would drop to Silver.
        result = queries.what_if(
            world_a.access(Role.ADMIN),
            criteria=[{**MANUAL_ONLY[0], "weight": 20}, {**MANUAL_ONLY[1], "weight": 80}],
            tier_rules={tiering["Gold"].pk: {"min_score": D("65")}},
        )
        assert result["down"][0]["to_tier"] == "Silver"
        assert Scorecard.objects.count() == versions
        assert Tier.objects.get(pk=tiering["Gold"].pk).min_score == D("50")
        assert not ScoreSnapshot.objects.exists()


def test_partner_score_metric_reads_the_latest_snapshot_up_to_the_period_end(world_a, in_tenant, tiering):
    with in_tenant(world_a.tenant):
        _rate(world_a, world_a.partner, 5, 3)
        recalculation.score_run_execute(run_on=date(2026, 2, 10))  # 80
        _rate(world_a, world_a.partner, 3, 3)  # 50×60% + 50×40% = 50
        recalculation.score_run_execute(run_on=date(2026, 5, 10))
        metric = metrics.get("partner_score")
        q1 = parse_period("FY2026-Q1", 1)
        q2 = parse_period("FY2026-Q2", 1)
        ids = [world_a.partner.pk, world_a.other_partner.pk]
        assert metric.compute(tenant=world_a.tenant, partner_ids=ids, period=q1) == {
            ids[0]: D("80.00"),
            ids[1]: D("0.00"),
        }
        assert metric.compute(tenant=world_a.tenant, partner_ids=ids, period=q2)[ids[0]] == D("50.00")
        assert metric.compute(tenant=world_a.tenant, partner_ids=ids, period=parse_period("FY2025", 1)) == {
            ids[0]: None,
            ids[1]: None,
        }


def test_computed_criteria_read_the_catalog_metrics(world_a, in_tenant):
    """Certifications against a target of 4 (weight 50) and TTM revenue as a percentile (50)."""
    with in_tenant(world_a.tenant):
        ladder()
        services.scorecard_save_version(
            access=world_a.access(Role.ADMIN),
            criteria=[
                {
                    "key": "certs",
                    "label": "Certs",
                    "kind": "computed",
                    "metric_key": "active_certifications",
                    "normalisation": "target",
                    "target": "4",
                    "weight": 50,
                },
                {
                    "key": "rev",
                    "label": "Revenue",
                    "kind": "computed",
                    "metric_key": "revenue_ttm",
                    "normalisation": "percentile",
                    "weight": 50,
                },
            ],
        )
        scored = period_for(timezone.localdate())  # the last finished quarter
        for _ in range(3):
            CertificationFactory(
                partner=world_a.partner, earned_on=scored.end - timedelta(days=10), expires_on=None
            )
        month = scored.end.replace(day=1)
        RevenueRecordFactory(account=AccountFactory(), partner=world_a.partner, amount=D(500), period=month)
        RevenueRecordFactory(
            account=AccountFactory(), partner=world_a.other_partner, amount=D(900), period=month
        )
        recalculation.score_run_execute()
        scores = dict(ScoreSnapshot.objects.values_list("partner_id", "score"))
    # P1: certs 3/4 = 75 → 37.50; revenue 500 is the lower of two → 0.   = 37.50
    # P2: certs 0 → 0; revenue 900 the higher → 100 → 50.                 = 50.00
    assert scores == {world_a.partner.pk: D("37.50"), world_a.other_partner.pk: D("50.00")}


def test_a_metric_for_every_partner_of_the_tenant_equals_the_metric_for_a_list_of_ids(
    world_a, world_b, in_tenant
):
    """``compute_all`` (one query over the tenant, no id list) gives what ``compute`` gives for the
    partners with data; the others are absent and take the metric's empty value."""
    with in_tenant(world_a.tenant):
        period = period_for(timezone.localdate())
        day = period.end  # the scored period's last day
    with in_tenant(world_b.tenant):  # another tenant's certification is not counted
        CertificationFactory(partner=world_b.partner, earned_on=day - timedelta(days=10))
    with in_tenant(world_a.tenant):
        for _ in range(2):
            CertificationFactory(partner=world_a.partner, earned_on=day - timedelta(days=10))
        CertificationFactory(partner=world_a.partner, expires_on=day - timedelta(days=200))  # expired
        RevenueRecordFactory(
            account=AccountFactory(),
            partner=world_a.other_partner,
            amount=D(700),
            period=day.replace(day=1),
        )
        ids = [world_a.partner.pk, world_a.other_partner.pk]
        for key, expected in (
            ("active_certifications", {ids[0]: 2}),
            ("revenue_ttm", {ids[1]: D("700.00")}),
        ):
            metric = metrics.get(key)
            every = metric.compute_all(tenant=world_a.tenant, period=period)
            assert every == expected
            listed = metric.compute(tenant=world_a.tenant, partner_ids=ids, period=period)
            assert listed == {pid: every.get(pid, metric.empty_value) for pid in ids}


def test_the_prepared_explanations_equal_the_rules_sentence_by_sentence():
    """``RuleExplainer`` (memoised, used by runs) explains exactly as ``recommend`` does."""
    from types import SimpleNamespace

    from tiering.scoring import PartnerFacts, RuleExplainer, recommend

    def tier(pk, name, min_score, certs=0, revenue=None, jbp=False):
        return SimpleNamespace(
            pk=pk,
            name=name,
            min_score=D(min_score),
            min_active_certifications=certs,
            min_revenue_ttm=revenue,
            requires_signed_jbp=jbp,
        )

    tiers = [
        tier(1, "Strategic", "70", 3, D(100000), True),
        tier(2, "Gold", "50", 2),
        tier(3, "Silver", "30"),
        tier(4, "Registered", "0"),
    ]
    explainer = RuleExplainer(tiers, "EUR")
    for score, certs, revenue, jbp in [
        ("80", 4, "250000", True),
        ("80", 4, "250000", False),
        ("55", 1, "0", None),
        ("55", 2, "90000", True),
        ("10", 0, "0", False),
        ("80", 4, "250000", True),
    ]:
        facts = PartnerFacts(D(score), certs, D(revenue), jbp)
        recommended, expected = recommend(tiers, facts, "EUR")
        index = None if recommended is None else tiers.index(recommended)
        assert explainer.explain(facts, index) == expected
    assert explainer.explain(PartnerFacts(D("80"), 4, D(0), None), 1)[0]["rules"][2]["text"] == (
        "Trailing-twelve-month revenue EUR 0 of at least EUR 100,000"
    )
