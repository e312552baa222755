"""The plan metrics of the catalog, against numbers worked out by hand, and the attainment
statuses the executive dashboard reads.

The world's tenant has a January fiscal year, so FY2026-Q2 is April to June 2026. ALPHA Partner
One signs a plan committing 1,000 / 2,000 / 3,000 / 4,000 revenue in Q1–Q4 (10,000 for the year),
with a whole-year vendor MDF commitment of 8,000 and a Q2 one of 500. It books 600 in February
and 2,500 in May. ALPHA Partner Two has only a draft plan.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import prm.metrics
from jbp import queries
from partners.models import Partner
from prm.periods import parse_period
from prm.tenancy import tenant_context
from tests.jbp.factories import InvestmentFactory, PlanFactory, TargetFactory
from tests.partners.factories import PartnerFactory
from tests.pipeline.factories import AccountFactory, RevenueRecordFactory

from .helpers import YEAR


def book(world, partner, month: date, amount: str) -> None:
    RevenueRecordFactory(
        account=AccountFactory(tenant=world.tenant), partner=partner, period=month, amount=Decimal(amount)
    )


def signed_plan(partner, commitments=(1000, 2000, 3000, 4000)):
    """A signed plan with quarterly revenue commitments and a whole-year vendor MDF commitment of
    8,000: raw rows, as these tests read plans and do not take them through the workflow."""
    plan = PlanFactory(partner=partner, fiscal_year=YEAR, signed=True)
    for quarter, value in enumerate(commitments, start=1):
        TargetFactory(plan=plan, quarter=quarter, value=Decimal(value))
    InvestmentFactory(plan=plan, description="MDF", amount=Decimal(8000))
    return plan


@pytest.fixture
def plans(world_a):
    plan = signed_plan(world_a.partner)
    InvestmentFactory(plan=plan, description="Q2 event", quarter=2, amount=Decimal(500))
    draft = PlanFactory(partner=world_a.other_partner, fiscal_year=YEAR)
    for quarter, value in enumerate((1000, 2000, 3000, 4000), start=1):
        TargetFactory(plan=draft, quarter=quarter, value=Decimal(value))
    book(world_a, world_a.partner, date(2026, 2, 1), "600")
    book(world_a, world_a.partner, date(2026, 5, 1), "2500")
    book(world_a, world_a.other_partner, date(2026, 5, 1), "9999")
    return plan


def compute(world, key: str, label: str) -> dict:
    ids = [world.partner.pk, world.other_partner.pk]
    with tenant_context(world.tenant):
        return prm.metrics.get(key).compute(
            tenant=world.tenant, partner_ids=ids, period=parse_period(label, 1)
        )


@pytest.mark.parametrize(
    ("label", "one", "two"),
    [
        ("FY2026-Q1", Decimal("0.6000"), None),  # 600 / 1,000
        ("FY2026-Q2", Decimal("1.2500"), None),  # 2,500 / 2,000
        ("FY2026-Q3", Decimal("0.0000"), None),  # nothing booked yet / 3,000
        ("FY2026", Decimal("0.3100"), None),  # 3,100 / 10,000
        ("FY2027", None, None),  # no plan for that year
    ],
)
def test_revenue_attainment_is_catalog_revenue_over_the_signed_commitments(world_a, plans, label, one, two):
    values = compute(world_a, "jbp_revenue_attainment", label)
    assert values == {world_a.partner.pk: one, world_a.other_partner.pk: two}


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("FY2026-Q1", Decimal("2000.00")),  # 8,000 / 4
        ("FY2026-Q2", Decimal("2500.00")),  # 8,000 / 4 + 500
        ("FY2026", Decimal("8500.00")),  # 8,000 + 500
    ],
)
def test_mdf_commitment_counts_quarterly_and_whole_year_commitments(world_a, plans, label, expected):
    values = compute(world_a, "jbp_mdf_commitment", label)
    assert values == {world_a.partner.pk: expected, world_a.other_partner.pk: Decimal("0.00")}


def test_signed_is_one_for_an_active_plan_of_the_periods_year_only(world_a, plans):
    assert compute(world_a, "jbp_signed", "FY2026-Q3") == {world_a.partner.pk: 1, world_a.other_partner.pk: 0}
    assert compute(world_a, "jbp_signed", "FY2027-Q1") == {world_a.partner.pk: 0, world_a.other_partner.pk: 0}


@pytest.mark.parametrize("key", ["jbp_signed", "jbp_revenue_attainment", "jbp_mdf_commitment"])
def test_each_plan_metric_reads_all_partners_in_a_fixed_number_of_queries(world_a, plans, key):
    for i in range(5):
        PartnerFactory(tenant=world_a.tenant, name=f"Extra {i}")
    with tenant_context(world_a.tenant):
        ids = list(Partner.objects.values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as captured:
            prm.metrics.get(key).compute(
                tenant=world_a.tenant, partner_ids=ids, period=parse_period("FY2026", 1)
            )
    assert len(captured) <= 2


def test_the_plan_page_shows_actuals_from_the_catalog(world_a, plans):
    with tenant_context(world_a.tenant):
        view = queries.plan_view(plans)
        q2 = next(r for r in view.rows if r.target.quarter == 2)
        assert (q2.target.value, q2.actual, q2.attainment) == (
            Decimal(2000),
            Decimal("2500.00"),
            Decimal("1.2500"),
        )
        assert view.totals["revenue_actual"] == Decimal("3100.00")
        assert view.lines[1].mdf_committed == Decimal("2500.00")


def test_attainment_status_uses_the_pro_rated_commitment(world_a, plans):
    """FY2026-Q2 on 16 May: 46 of 91 days gone, so the pro-rated Q2 commitment is 2,000 × 46/91.
    Partner One: 2,500 → pace 2.4728, on track. Behind: 500 → 0.4946. At risk: 750 → 0.7418."""
    behind, at_risk = (
        PartnerFactory(tenant=world_a.tenant, name="Behind Co"),
        PartnerFactory(tenant=world_a.tenant, name="Risky Co"),
    )
    for partner, amount in ((behind, "500"), (at_risk, "750")):
        signed_plan(partner)
        book(world_a, partner, date(2026, 5, 1), amount)
    with tenant_context(world_a.tenant):
        rows = queries.plan_attainment_statuses(
            tenant=world_a.tenant, period=parse_period("FY2026-Q2", 1), today=date(2026, 5, 16)
        )
    by_name = {r.partner_name: (r.pace, r.status, r.attainment) for r in rows}
    assert by_name == {
        "ALPHA Partner One": (Decimal("2.4728"), "on_track", Decimal("1.2500")),
        "Behind Co": (Decimal("0.4946"), "behind", Decimal("0.2500")),
        "Risky Co": (Decimal("0.7418"), "at_risk", Decimal("0.3750")),
    }
