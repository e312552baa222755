"""The MDF ROI by tier and the rebate forecast leave some rows out on purpose; the rule is stated
in the metric's definition (and the catalog API) and next to the figure on each page showing it,
and the computation keeps to it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

import prm.metrics
from incentives import services
from incentives.metrics import MDF_ROI_RULE, REBATE_FORECAST_RULE
from incentives.queries import ROI_BY_TIER_RULE
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.pipeline.factories import DealRegistrationFactory


def test_the_definitions_state_which_rows_are_left_out():
    assert prm.metrics.get("mdf_roi").definition == MDF_ROI_RULE
    assert "Partners paid no MDF from those funds are left out" in MDF_ROI_RULE
    assert prm.metrics.get("rebate_forecast").definition == REBATE_FORECAST_RULE
    assert "before the accrual day (overdue) or after the period's end are left out" in REBATE_FORECAST_RULE
    assert "Partners paid no MDF, and archived partners, are left out" in ROI_BY_TIER_RULE


def test_the_catalog_api_gives_the_rule(world_a, client_for):
    catalog = client_for(world_a.user(Role.MANAGER)).get("/api/v1/t/alpha/metrics/catalog/").json()
    rows = catalog["results"] if isinstance(catalog, dict) else catalog
    definitions = {row["key"]: row["definition"] for row in rows}
    assert definitions["rebate_forecast"] == REBATE_FORECAST_RULE
    assert definitions["mdf_roi"] == MDF_ROI_RULE


def test_the_pages_state_the_rule_next_to_the_figure(world_a, client_for):
    manager = client_for(world_a.user(Role.MANAGER))
    with tenant_context(world_a.tenant):
        partner = world_a.partner
        from tests.incentives.factories import AllocationFactory, FundFactory

        quarter = services.current_quarter(world_a.tenant)
        fund = FundFactory(period=quarter.label, starts_on=quarter.start, ends_on=quarter.end, budget=1000)
        AllocationFactory(fund=fund, partner=partner, allocated=100, committed=100, claimed=100, paid=100)

    funds = manager.get("/t/alpha/mdf/").content.decode()
    rebates = manager.get("/t/alpha/rebates/").content.decode()
    portal = client_for(world_a.user(Role.PARTNER_USER)).get("/t/alpha/portal/rebates/").content.decode()

    assert ROI_BY_TIER_RULE.replace("'", "&#x27;") in funds
    for page in (rebates, portal):
        assert REBATE_FORECAST_RULE.replace("'", "&#x27;") in page


def test_the_forecast_leaves_out_registrations_expected_to_close_before_the_accrual_day(world_a):
    today = timezone.localdate()
    period = services.current_quarter(world_a.tenant)
    common = {
        "partner": world_a.partner,
        "status": "approved",
        "stage": "commit",
        "amount_reporting": Decimal("1000"),
    }
    with tenant_context(world_a.tenant):
        DealRegistrationFactory(expected_close_date=today, **common)  # counts: 800
        DealRegistrationFactory(expected_close_date=period.end, **common)  # counts: 800
        if today > period.start:
            DealRegistrationFactory(expected_close_date=today - timedelta(days=1), **common)  # overdue
        DealRegistrationFactory(expected_close_date=period.end + timedelta(days=1), **common)  # next period
        weighted = services.open_pipeline_weighted([world_a.partner.pk], period, today)
    assert weighted == {world_a.partner.pk: Decimal("1600.00")}
