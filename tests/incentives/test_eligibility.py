"""One eligibility rule for incentives (``incentives.eligibility``): a partner accrues on a rebate
program only if its tier is rebate eligible AND the program lists no tiers or lists its tier; a
partner can be allocated MDF only if its tier is MDF eligible AND the fund lists no tiers or its
tier. Forms offer only eligible tiers; services and the API refuse others naming them."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal as D  # noqa: N817 - reads as money in the assertions

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incentives import services
from incentives.models import Allocation, RebateAccrual, RebateStatement
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.partners.factories import PartnerFactory, TierFactory
from tests.pipeline.factories import DealRegistrationFactory


@pytest.fixture
def tiers(world_a):
    """An eligible tier for both incentives, and one eligible for neither."""
    with tenant_context(world_a.tenant):
        return (
            TierFactory(name="Gold", rank=1, mdf_eligible=True, rebate_eligible=True),
            TierFactory(name="Registered", rank=4, mdf_eligible=False, rebate_eligible=False),
        )


def partner_in(world, tier, name):
    with tenant_context(world.tenant):
        return PartnerFactory(name=name, tier=tier, status="active")


def won(world, partner, amount="10000"):
    with tenant_context(world.tenant):
        DealRegistrationFactory(
            partner=partner,
            status="won",
            closed_on=timezone.localdate(),
            closed_amount=D(amount),
            closed_amount_reporting=D(amount),
        )


def program(world, period=None, **overrides):
    with tenant_context(world.tenant):
        return services.rebate_program_create(
            access=world.access(Role.ADMIN),
            name="Resell rebate",
            period=period or services.current_quarter(world.tenant).label,
            basis_metric="deals_won_amount",
            method="retroactive",
            bands=[{"threshold": "0", "rate": "1"}],
            **overrides,
        )


def accrue(world, prog):
    with tenant_context(world.tenant):
        services.rebate_accruals_compute(access=world.access(Role.ADMIN), program=prog)
        return dict(RebateAccrual.objects.filter(program=prog).values_list("partner__name", "amount"))


# --- rebates ---------------------------------------------------------------------------------


def test_a_program_listing_no_tiers_accrues_only_for_rebate_eligible_tiers(world_a, tiers):
    gold, registered = tiers
    won(world_a, partner_in(world_a, gold, "Gold Partner"))
    won(world_a, partner_in(world_a, registered, "Registered Partner"))
    won(world_a, partner_in(world_a, None, "Untiered Partner"))

    accrued = accrue(world_a, program(world_a))

    assert "Gold Partner" in accrued
    assert "Registered Partner" not in accrued
    assert "Untiered Partner" not in accrued


def test_a_program_listing_tiers_accrues_only_for_those(world_a, tiers):
    gold, _ = tiers
    won(world_a, partner_in(world_a, gold, "Gold Partner"))
    # world_a's partners are in "Member", rebate eligible but not listed

    accrued = accrue(world_a, program(world_a, eligible_tier_ids=[gold.pk]))

    assert set(accrued) == {"Gold Partner"}


def test_a_partner_whose_tier_loses_the_flag_stops_accruing_and_its_stale_accrual_goes(world_a, tiers):
    gold, _ = tiers
    partner = partner_in(world_a, gold, "Gold Partner")
    won(world_a, partner)
    prog = program(world_a)
    assert "Gold Partner" in accrue(world_a, prog)

    with tenant_context(world_a.tenant):
        type(gold).objects.filter(pk=gold.pk).update(rebate_eligible=False)

    assert "Gold Partner" not in accrue(world_a, prog)


def test_statements_follow_the_same_rule(world_a, tiers):
    gold, registered = tiers
    last = services.current_quarter(world_a.tenant).previous()
    for tier, name in ((gold, "Gold Partner"), (registered, "Registered Partner")):
        with tenant_context(world_a.tenant):
            DealRegistrationFactory(
                partner=partner_in(world_a, tier, name),
                status="won",
                closed_on=last.end - timedelta(days=1),
                closed_amount=D("10000"),
                closed_amount_reporting=D("10000"),
            )
    prog = program(world_a, period=last.label)

    with tenant_context(world_a.tenant):
        services.rebate_statements_close(access=world_a.access(Role.FINANCE), program=prog)
        stated = set(RebateStatement.objects.values_list("partner__name", flat=True))

    assert stated == {"Gold Partner"}


def test_a_partner_demoted_after_the_period_keeps_what_it_earned_in_it(world_a, tiers):
    """Eligibility for a finished period is judged with the tier held at its end (tier history)."""
    from datetime import datetime, time

    from tiering.models import TierChange

    gold, registered = tiers
    last = services.current_quarter(world_a.tenant).previous()
    demoted = partner_in(world_a, gold, "Gold Partner")
    with tenant_context(world_a.tenant):
        DealRegistrationFactory(
            partner=demoted,
            status="won",
            closed_on=last.end - timedelta(days=1),
            closed_amount=D("10000"),
            closed_amount_reporting=D("10000"),
        )
    prog = program(world_a, period=last.label)
    assert accrue(world_a, prog)["Gold Partner"] == D("100.00")
    with tenant_context(world_a.tenant):
        # Demoted to a tier without rebates the day after the period ended (recorded in the history).
        type(demoted).objects.filter(pk=demoted.pk).update(tier=registered)
        TierChange.objects.create(
            partner=demoted,
            from_tier=gold,
            to_tier=registered,
            changed_at=timezone.make_aware(datetime.combine(last.end + timedelta(days=1), time(9))),
            reason="Demoted",
        )
    assert accrue(world_a, prog)["Gold Partner"] == D("100.00")  # kept, recomputed as at the period's end
    with tenant_context(world_a.tenant):
        services.rebate_statements_close(access=world_a.access(Role.FINANCE), program=prog)
        assert list(RebateStatement.objects.values_list("partner__name", "amount")) == [
            ("Gold Partner", D("100.00"))
        ]


def test_a_program_cannot_list_a_tier_that_is_not_rebate_eligible(world_a, tiers):
    _, registered = tiers
    with pytest.raises(ValidationError) as refused:
        program(world_a, eligible_tier_ids=[registered.pk])
    assert refused.value.message_dict["eligible_tiers"] == [
        "Registered is not eligible for rebates (Tiering → Tiers); a program may only list tiers that are."
    ]


def test_the_program_form_offers_only_rebate_eligible_tiers_and_refuses_others_by_name(
    world_a, tiers, client_for
):
    gold, registered = tiers
    admin = client_for(world_a.user(Role.ADMIN))

    form = admin.get("/t/alpha/rebates/new/").content.decode()
    assert f'value="{gold.pk}"' in form
    assert f'value="{registered.pk}"' not in form

    refused = admin.post(
        "/t/alpha/rebates/new/",
        {
            "name": "Resell",
            "period": services.current_quarter(world_a.tenant).label,
            "basis_metric": "revenue",
            "method": "marginal",
            "bands": "0, 1",
            "accelerator_attainment": "1.0",
            "eligible_tiers": [registered.pk],
        },
    )
    assert refused.status_code == 400
    assert "Registered is not eligible for rebates" in refused.content.decode()


def test_the_api_refuses_a_program_listing_a_tier_that_is_not_rebate_eligible(world_a, tiers, client_for):
    _, registered = tiers
    response = client_for(world_a.user(Role.ADMIN)).post(
        "/api/v1/t/alpha/rebate-programs/",
        json.dumps(
            {
                "name": "Resell",
                "period": services.current_quarter(world_a.tenant).label,
                "basis_metric": "revenue",
                "method": "marginal",
                "bands": [{"threshold": "0", "rate": "1"}],
                "eligible_tiers": [registered.pk],
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "Registered is not eligible for rebates" in response.json()["eligible_tiers"][0]


# --- MDF -------------------------------------------------------------------------------------


def fund(world, **kwargs):
    with tenant_context(world.tenant):
        return services.fund_create(
            access=world.access(Role.ADMIN),
            name="Pool",
            period=services.current_quarter(world.tenant).label,
            budget="100000",
            claim_deadline=timezone.localdate() + timedelta(days=30),
            **kwargs,
        )


def test_a_fund_listing_no_tiers_refuses_a_partner_whose_tier_is_not_mdf_eligible(world_a, tiers):
    _, registered = tiers
    partner = partner_in(world_a, registered, "Registered Partner")
    pool = fund(world_a)

    with tenant_context(world_a.tenant), pytest.raises(ValidationError) as refused:
        services.allocation_set(access=world_a.access(Role.MANAGER), fund=pool, partner=partner, amount="100")

    assert refused.value.message_dict["partner"] == [
        "Registered Partner's tier Registered is not eligible for MDF."
    ]


def test_a_fund_cannot_list_or_set_an_amount_for_a_tier_that_is_not_mdf_eligible(world_a, tiers):
    _, registered = tiers
    with pytest.raises(ValidationError, match="Registered is not eligible for MDF"):
        fund(world_a, eligible_tier_ids=[registered.pk])
    with pytest.raises(ValidationError, match="Registered is not eligible for MDF"):
        fund(world_a, tier_amounts={registered.pk: "1000"})


def test_the_fund_form_offers_only_mdf_eligible_tiers(world_a, tiers, client_for):
    gold, registered = tiers
    form = client_for(world_a.user(Role.ADMIN)).get("/t/alpha/mdf/funds/new/").content.decode()
    assert f'name="tier_amount_{gold.pk}"' in form
    assert f'name="tier_amount_{registered.pk}"' not in form
    assert f'value="{registered.pk}"' not in form


def test_the_jbp_allocation_skips_strategic_partners_whose_tier_is_not_mdf_eligible(
    world_a, stand_in_metrics
):
    with tenant_context(world_a.tenant):
        flagless = TierFactory(name="Strategic", rank=1, classification="strategic", mdf_eligible=False)
    partner = partner_in(world_a, flagless, "Big SI")
    stand_in_metrics["jbp_mdf_commitment"][partner.pk] = D("5000")
    pool = fund(world_a)

    with tenant_context(world_a.tenant):
        report = services.allocations_from_jbp(access=world_a.access(Role.MANAGER), fund=pool)
        assert not Allocation.objects.filter(fund=pool).exists()
    assert report.allocated == []
