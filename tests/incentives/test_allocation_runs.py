"""Programmatic allocation (by tier rule, from the JBP) allocates while the pool lasts, in the
stated order (strategic first, then by the latest partner score, then by name), full amounts
only, and reports who was allocated and who was left out and why — on the page and in the API."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal as D  # noqa: N817 - reads as money in the assertions

import pytest
from django.utils import timezone

from incentives import services
from incentives.models import Allocation, Fund, FundTier
from prm.models import AuditEvent
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.incentives.factories import AllocationFactory
from tests.partners.factories import PartnerFactory, TierFactory
from tests.tiering.factories import ScoreRunFactory, ScoreSnapshotFactory


def make_fund(world, budget: str, tier_amounts=None) -> Fund:
    with tenant_context(world.tenant):
        return services.fund_create(
            access=world.access(Role.ADMIN),
            name="Pool",
            period=services.current_quarter(world.tenant).label,
            budget=budget,
            claim_deadline=timezone.localdate() + timedelta(days=30),
            tier_amounts=tier_amounts or {},
        )


@pytest.fixture
def gold(world_a):
    with tenant_context(world_a.tenant):
        return TierFactory(name="Gold", rank=2, mdf_eligible=True)


@pytest.fixture
def strategic(world_a):
    with tenant_context(world_a.tenant):
        return TierFactory(name="Strategic", rank=1, classification="strategic", mdf_eligible=True)


def partners(world, tier, *names):
    with tenant_context(world.tenant):
        return [PartnerFactory(name=name, tier=tier, status="active") for name in names]


def apply_rule(world, fund):
    with tenant_context(world.tenant):
        return services.allocations_apply_tier_rule(access=world.access(Role.MANAGER), fund=fund)


def test_a_pool_of_50000_for_three_partners_needing_30000_allocates_the_first_and_reports_the_others(
    world_a, gold
):
    first, _second, _third = partners(world_a, gold, "Alpha Co", "Bravo Co", "Charlie Co")
    fund = make_fund(world_a, "50000", {gold.pk: "30000"})

    report = apply_rule(world_a, fund)

    assert [(line.partner, line.amount) for line in report.allocated] == [("Alpha Co", D("30000"))]
    assert [(line.partner, line.reason) for line in report.left_out] == [
        ("Bravo Co", "pool exhausted — needed 30,000.00, 20,000.00 left"),
        ("Charlie Co", "pool exhausted — needed 30,000.00, 20,000.00 left"),
    ]
    assert report.left == D("20000.00")
    with tenant_context(world_a.tenant):
        assert list(Allocation.objects.filter(fund=fund).values_list("partner_id", "allocated")) == [
            (first.pk, D("30000.00"))
        ]
        assert Fund.objects.get(pk=fund.pk).allocated == D("30000.00")
        audited = AuditEvent.objects.filter(verb="mdf.allocation_set").values_list("partner_id", flat=True)
        assert list(audited) == [first.pk]
        assert AuditEvent.objects.get(verb="mdf.allocation_run").after["left_out"] == 2


def test_strategic_partners_come_first_then_by_latest_score_then_by_name(world_a, gold, strategic):
    (zed,) = partners(world_a, strategic, "Zed Strategic")
    low, high, _unscored_b, _unscored_a = partners(world_a, gold, "Aardvark", "Yak", "Bee", "Ant")
    with tenant_context(world_a.tenant):
        run = ScoreRunFactory()
        old = ScoreRunFactory(run_on=timezone.localdate() - timedelta(days=7), scorecard=run.scorecard)
        ScoreSnapshotFactory(partner=low, run=old, score=D("99"))  # an older score does not count
        ScoreSnapshotFactory(partner=low, run=run, score=D("40"))
        ScoreSnapshotFactory(partner=high, run=run, score=D("90"))
        ScoreSnapshotFactory(partner=zed, run=run, score=D("10"))
    fund = make_fund(world_a, "3000", {gold.pk: "1000", strategic.pk: "1000"})

    report = apply_rule(world_a, fund)

    assert [line.partner for line in report.allocated] == ["Zed Strategic", "Yak", "Aardvark"]
    assert [line.partner for line in report.left_out] == ["Ant", "Bee"]
    assert all(line.reason.startswith("pool exhausted") for line in report.left_out)


def test_a_smaller_amount_further_down_is_still_allocated_when_it_fits(world_a, gold, strategic):
    partners(world_a, strategic, "Big")
    partners(world_a, gold, "Small")
    fund = make_fund(world_a, "5000", {strategic.pk: "8000", gold.pk: "4000"})

    report = apply_rule(world_a, fund)

    assert [(line.partner, line.reason) for line in report.left_out] == [
        ("Big", "pool exhausted — needed 8,000.00, 5,000.00 left")
    ]
    assert [line.partner for line in report.allocated] == ["Small"]


def test_a_pool_with_nothing_left_reports_everyone_left_out_and_changes_nothing(world_a, gold):
    filler, _one, _two = partners(world_a, gold, "Filler", "One", "Two")
    fund = make_fund(world_a, "1000", {gold.pk: "500"})
    with tenant_context(world_a.tenant):
        services.allocation_set(access=world_a.access(Role.MANAGER), fund=fund, partner=filler, amount="1000")

    report = apply_rule(world_a, fund)

    assert report.allocated == []
    assert [(line.partner, line.reason) for line in report.left_out] == [
        ("Filler", "already has an allocation from this fund"),
        ("One", "pool exhausted — needed 500.00, 0.00 left"),
        ("Two", "pool exhausted — needed 500.00, 0.00 left"),
    ]
    assert report.left == D("0.00")
    with tenant_context(world_a.tenant):
        assert Allocation.objects.filter(fund=fund).count() == 1


def test_partners_already_allocated_or_without_an_amount_are_reported_with_why(world_a, gold, strategic):
    (has,) = partners(world_a, gold, "Has One")
    partners(world_a, strategic, "No Amount")
    fund = make_fund(world_a, "10000", {gold.pk: "1000"})
    with tenant_context(world_a.tenant):
        FundTier.objects.create(fund=fund, tier=strategic)  # listed, but the rule sets no amount for it
        AllocationFactory(fund=fund, partner=has, allocated=D("0"))

    report = apply_rule(world_a, fund)

    reasons = {line.partner: line.reason for line in report.left_out}
    assert reasons["Has One"] == "already has an allocation from this fund"
    assert reasons["No Amount"] == "no amount set for tier Strategic"


def test_from_the_jbp_allocates_while_the_pool_lasts_and_reports_the_rest(
    world_a, strategic, stand_in_metrics
):
    big, small, _none = partners(world_a, strategic, "Big SI", "Small SI", "No Plan SI")
    stand_in_metrics["jbp_mdf_commitment"].update({big.pk: D("8000"), small.pk: D("3000")})
    fund = make_fund(world_a, "10000")

    with tenant_context(world_a.tenant):
        report = services.allocations_from_jbp(access=world_a.access(Role.MANAGER), fund=fund)

    assert [(line.partner, line.amount) for line in report.allocated] == [("Big SI", D("8000.00"))]
    assert {line.partner: line.reason for line in report.left_out} == {
        "No Plan SI": "no MDF commitment in a signed plan for this period",
        "Small SI": "pool exhausted — needed 3,000.00, 2,000.00 left",
    }


def test_the_fund_page_shows_the_report_and_states_the_rule(world_a, gold, client_for):
    partners(world_a, gold, "Alpha Co", "Bravo Co")
    fund = make_fund(world_a, "50000", {gold.pk: "30000"})
    manager = client_for(world_a.user(Role.MANAGER))

    page = manager.post(f"/t/alpha/mdf/funds/{fund.pk}/tier-rule/", follow=True)

    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.content.decode()))
    assert page.status_code == 200
    assert "Allocation by tier rule: what happened" in text
    assert "Alpha Co — 30,000.00" in text
    assert "Bravo Co — pool exhausted — needed 30,000.00, 20,000.00 left" in text
    assert "no partial amounts" in text
    again = manager.get(f"/t/alpha/mdf/funds/{fund.pk}/").content.decode()
    assert "what happened" not in again  # shown once, after the action
    assert "no partial amounts" in again


def test_the_api_action_returns_the_report(world_a, gold, client_for):
    partners(world_a, gold, "Alpha Co", "Bravo Co")
    fund = make_fund(world_a, "50000", {gold.pk: "30000"})

    response = client_for(world_a.user(Role.MANAGER)).post(
        f"/api/v1/t/alpha/mdf-funds/{fund.pk}/apply-tier-rule/", content_type="application/json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["allocated"] == [
        {
            "partner_id": body["allocated"][0]["partner_id"],
            "partner": "Alpha Co",
            "amount": "30000.00",
            "reason": "",
        }
    ]
    assert body["left_out"][0]["partner"] == "Bravo Co"
    assert body["left_out"][0]["amount"] == "30000.00"
    assert body["left_out"][0]["reason"] == "pool exhausted — needed 30,000.00, 20,000.00 left"
    assert body["left"] == "20000.00"
    assert "Strategic partners first" in body["order"]
