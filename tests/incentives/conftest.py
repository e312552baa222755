"""Helpers for incentives tests: a fund with an allocation for ALPHA Partner One, requests and
claims made through the services, proof files, and stand-in JBP metrics."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

import prm.metrics
from incentives import services
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
from incentives.proof import blank_pdf
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.incentives.factories import (
    AllocationFactory,
    ClaimFactory,
    FundFactory,
    FundRequestFactory,
    PayoutFactory,
    ProofDocumentFactory,
    RebateAccrualFactory,
    RebateProgramFactory,
    RebateStatementFactory,
    join_eligible_tier,
)

PDF = blank_pdf()


def pdf(name: str = "invoice.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def current_period(tenant) -> str:
    return services.current_quarter(tenant).label


@pytest.fixture(autouse=True)
def _partners_in_an_eligible_tier(request):
    """The worlds' partners are in a tier eligible for MDF and rebates, as a real program's are."""
    for name in ("world_a", "world_b"):
        if name in request.fixturenames:
            world = request.getfixturevalue(name)
            with tenant_context(world.tenant):
                join_eligible_tier(world.partner, world.other_partner)


def make_fund(world, *, budget="50000", allocate="10000", deadline_days=30, partner=None):
    """A fund of the current quarter with an allocation for the world's partner (whose tier is
    made MDF eligible if it has none)."""
    with tenant_context(world.tenant):
        join_eligible_tier(partner or world.partner)
        fund = services.fund_create(
            access=world.access(Role.ADMIN),
            name="Field marketing",
            period=current_period(world.tenant),
            budget=budget,
            claim_deadline=timezone.localdate() + timedelta(days=deadline_days),
        )
        allocation = services.allocation_set(
            access=world.access(Role.MANAGER), fund=fund, partner=partner or world.partner, amount=allocate
        )
    return fund, allocation


def request_fields(amount="1000", **extra):
    today = timezone.localdate()
    return {
        "activity_type": "webinar",
        "title": "Spring webinar",
        "description": "Webinar on the data platform",
        "starts_on": today,
        "ends_on": today + timedelta(days=1),
        "requested_amount": amount,
        "expected_leads": 20,
        "expected_pipeline": "50000",
        **extra,
    }


def submit_request(world, allocation, amount="1000", role=Role.PARTNER_USER):
    with tenant_context(world.tenant):
        return services.fund_request_submit(
            access=world.access(role), allocation=allocation, fields=request_fields(amount)
        )


def approved_request(world, allocation, amount="1000"):
    request = submit_request(world, allocation, amount)
    with tenant_context(world.tenant):
        return services.fund_request_approve(access=world.access(Role.MANAGER), request=request)


def submitted_claim(world, allocation, amount="1000", cost="1200"):
    request = approved_request(world, allocation, amount)
    with tenant_context(world.tenant):
        return services.claim_submit(
            access=world.access(Role.PARTNER_USER),
            request=request,
            fields={"actual_cost": cost, "amount": amount, "leads": 12, "pipeline_sourced": "30000"},
            files=[pdf()],
        )


@pytest.fixture
def stand_in_metrics():
    """Register stand-ins for the JBP metrics (when the jbp app has not) and restore the catalog."""
    saved = dict(prm.metrics._CATALOG)
    values: dict[str, dict[int, Decimal]] = {"jbp_mdf_commitment": {}, "jbp_revenue_attainment": {}}

    def metric(key, unit):
        return prm.metrics.Metric(key, key, unit, lambda tenant, ids, period: dict(values[key]))

    prm.metrics._CATALOG["jbp_mdf_commitment"] = metric("jbp_mdf_commitment", prm.metrics.Unit.MONEY)
    prm.metrics._CATALOG["jbp_revenue_attainment"] = metric("jbp_revenue_attainment", prm.metrics.Unit.RATIO)
    yield values
    prm.metrics._CATALOG.clear()
    prm.metrics._CATALOG.update(saved)


def incentive_objects(tenant, partner) -> dict[type, int]:
    """One of every incentive row for ``partner`` (named after it), for the isolation matrix."""
    with tenant_context(tenant):
        fund = FundFactory(
            name=f"{partner.name} Fund", budget=1000, allocated=100, committed=100, claimed=100, paid=50
        )
        allocation = AllocationFactory(
            fund=fund, partner=partner, allocated=100, committed=100, claimed=100, paid=50
        )
        request = FundRequestFactory(
            allocation=allocation,
            title=f"{partner.name} Event",
            description="x",
            requested_amount=100,
            approved_amount=100,
            status="settled",
        )
        claim = ClaimFactory(
            request=request,
            actual_cost=100,
            amount=100,
            approved_amount=100,
            paid_amount=50,
            status="approved",
            notes=f"{partner.name} claim",
        )
        proof = ProofDocumentFactory(claim=claim, original_name=f"{partner.name}.pdf")
        payout = PayoutFactory(claim=claim, amount=50, reference=f"{partner.name} AP-1")
        program = RebateProgramFactory(name=f"{partner.name} Rebate")
        accrual = RebateAccrualFactory(
            program=program, partner=partner, lines=[{"text": f"{partner.name} line", "amount": "1.00"}]
        )
        statement = RebateStatementFactory(program=program, partner=partner, status="approved")
    return {
        Fund: fund.pk,
        Allocation: allocation.pk,
        FundRequest: request.pk,
        Claim: claim.pk,
        ProofDocument: proof.pk,
        Payout: payout.pk,
        RebateProgram: program.pk,
        RebateAccrual: accrual.pk,
        RebateStatement: statement.pk,
    }
