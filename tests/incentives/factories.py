"""Factories for MDF and rebate rows. Raw rows with whatever ledger numbers a test gives: no
ledger postings, audit events or e-mail (the services in ``tests/incentives/conftest.py`` do
those, and the tests of the money flows use them)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from incentives.models import (
    Allocation,
    Claim,
    Fund,
    FundRequest,
    Payout,
    ProofDocument,
    RebateAccrual,
    RebateProgram,
    RebateStatement,
)
from partners.models import Tier
from prm.tenancy import get_current_tenant
from tests.partners.factories import PartnerFactory
from tests.prm.factories import TenantOwnedFactory

Q1_2026 = {
    "period": "FY2026-Q1",
    "starts_on": datetime.date(2026, 1, 1),
    "ends_on": datetime.date(2026, 3, 31),
}


class FundFactory(TenantOwnedFactory):
    """A fund of FY2026-Q1 in the tenant's currency, claims due in a month."""

    class Meta:
        model = Fund

    name = factory.Sequence(lambda n: f"Fund {n}")
    period = Q1_2026["period"]
    starts_on = Q1_2026["starts_on"]
    ends_on = Q1_2026["ends_on"]
    budget = Decimal(1000)
    tenant = factory.LazyFunction(get_current_tenant)
    currency = factory.LazyAttribute(lambda o: o.tenant.currency)
    claim_deadline = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))


class AllocationFactory(TenantOwnedFactory):
    """An allocation of ``fund`` to ``partner`` (in the fund's tenant)."""

    class Meta:
        model = Allocation

    fund = factory.SubFactory(FundFactory)
    tenant = factory.LazyAttribute(lambda o: o.fund.tenant)
    partner = factory.SubFactory(PartnerFactory, tenant=factory.SelfAttribute("..tenant"))
    allocated = Decimal(100)


class FundRequestFactory(TenantOwnedFactory):
    """A submitted request on ``allocation``, by the allocation's partner, for an event today."""

    class Meta:
        model = FundRequest

    allocation = factory.SubFactory(AllocationFactory)
    tenant = factory.LazyAttribute(lambda o: o.allocation.tenant)
    partner = factory.LazyAttribute(lambda o: o.allocation.partner)
    activity_type = "event"
    title = factory.Sequence(lambda n: f"Activity {n}")
    description = "An activity"
    starts_on = factory.LazyFunction(timezone.localdate)
    ends_on = factory.LazyFunction(timezone.localdate)
    requested_amount = Decimal(100)
    submitted_at = factory.LazyFunction(timezone.now)


class ClaimFactory(TenantOwnedFactory):
    """A submitted claim on ``request``, by the request's partner."""

    class Meta:
        model = Claim

    request = factory.SubFactory(FundRequestFactory)
    tenant = factory.LazyAttribute(lambda o: o.request.tenant)
    partner = factory.LazyAttribute(lambda o: o.request.partner)
    actual_cost = Decimal(100)
    amount = Decimal(100)
    submitted_at = factory.LazyFunction(timezone.now)


class ProofDocumentFactory(TenantOwnedFactory):
    """A stored proof file of ``claim`` (the row only: no file is written)."""

    class Meta:
        model = ProofDocument

    claim = factory.SubFactory(ClaimFactory)
    tenant = factory.LazyAttribute(lambda o: o.claim.tenant)
    file = "mdf-proof/seed.pdf"
    original_name = factory.Sequence(lambda n: f"proof-{n}.pdf")
    content_type = "application/pdf"
    size = 10


class PayoutFactory(TenantOwnedFactory):
    """A payout of ``claim`` to the claim's partner, paid today."""

    class Meta:
        model = Payout

    claim = factory.SubFactory(ClaimFactory)
    tenant = factory.LazyAttribute(lambda o: o.claim.tenant)
    partner = factory.LazyAttribute(lambda o: o.claim.partner)
    amount = Decimal(100)
    reference = factory.Sequence(lambda n: f"AP-{n}")
    paid_on = factory.LazyFunction(timezone.localdate)


class RebateProgramFactory(TenantOwnedFactory):
    """A rebate program of FY2026-Q1 on revenue, in the tenant's currency, with no bands."""

    class Meta:
        model = RebateProgram

    name = factory.Sequence(lambda n: f"Rebate {n}")
    period = Q1_2026["period"]
    starts_on = Q1_2026["starts_on"]
    ends_on = Q1_2026["ends_on"]
    basis_metric = "revenue"
    tenant = factory.LazyFunction(get_current_tenant)
    currency = factory.LazyAttribute(lambda o: o.tenant.currency)


class RebateAccrualFactory(TenantOwnedFactory):
    """An accrual of ``program`` for ``partner`` as of today."""

    class Meta:
        model = RebateAccrual

    program = factory.SubFactory(RebateProgramFactory)
    tenant = factory.LazyAttribute(lambda o: o.program.tenant)
    partner = factory.SubFactory(PartnerFactory, tenant=factory.SelfAttribute("..tenant"))
    as_of = factory.LazyFunction(timezone.localdate)
    basis = Decimal(10)
    amount = Decimal(1)


class RebateStatementFactory(TenantOwnedFactory):
    """A draft statement of ``program`` for ``partner``."""

    class Meta:
        model = RebateStatement

    program = factory.SubFactory(RebateProgramFactory)
    tenant = factory.LazyAttribute(lambda o: o.program.tenant)
    partner = factory.SubFactory(PartnerFactory, tenant=factory.SelfAttribute("..tenant"))
    basis = Decimal(10)
    amount = Decimal(1)


def join_eligible_tier(*partners) -> Tier:
    """Put untiered ``partners`` in a "Member" tier eligible for MDF and rebates (made once per
    tenant): incentives only reach partners whose tier is eligible (``incentives.eligibility``)."""
    tenant = partners[0].tenant
    tier = Tier.all_tenants.filter(tenant=tenant, name="Member").first() or Tier.all_tenants.create(
        tenant=tenant,
        name="Member",
        rank=90,
        classification="tactical",
        mdf_eligible=True,
        rebate_eligible=True,
    )
    for partner in partners:
        if partner.tier_id is None:
            type(partner).all_tenants.filter(pk=partner.pk).update(tier=tier)
            partner.tier = tier
    return tier
