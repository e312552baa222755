"""The MDF ledger: budget ≥ allocated ≥ committed ≥ claimed ≥ paid, per fund and per partner,
through every step, under concurrency, with the four-eyes rule and the claim deadline."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from incentives import services
from incentives.models import Allocation, Claim, Fund, FundRequest, Payout
from prm.access import TenantAccess
from prm.models import AuditEvent
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.partners.factories import PartnerFactory, TierFactory
from tests.prm.factories import MembershipFactory, UserFactory

from .conftest import approved_request, make_fund, pdf, request_fields, submit_request, submitted_claim

D = Decimal


def ledger(obj):
    with tenant_context(obj.tenant):
        obj.refresh_from_db()
    return (obj.allocated, obj.committed, obj.claimed, obj.paid)


def second_finance(world):
    membership = MembershipFactory(
        tenant=world.tenant, role=Role.FINANCE, user=UserFactory(email="fin2@alpha.example")
    )
    return TenantAccess.from_membership(membership)


def test_a_partner_goes_from_allocation_to_payout_and_the_ledger_follows_every_step(world_a):
    fund, allocation = make_fund(world_a, budget="50000", allocate="10000")
    assert ledger(fund) == (D("10000"), 0, 0, 0)
    claim = submitted_claim(world_a, allocation, amount="4000", cost="4500")
    assert ledger(allocation) == (D("10000"), D("4000"), 0, 0)
    with tenant_context(world_a.tenant):
        services.claim_approve(access=world_a.access(Role.FINANCE), claim=claim, amount="3500")
        assert ledger(allocation) == (D("10000"), D("3500"), D("3500"), 0)  # 500 went back to the allocation
        services.payout_record(
            access=world_a.access(Role.FINANCE), claim=claim, reference="AP-1", paid_on=timezone.localdate()
        )
        assert ledger(allocation) == ledger(fund) == (D("10000"), D("3500"), D("3500"), D("3500"))
        claim.refresh_from_db()
        assert claim.status == Claim.Status.PAID
        assert claim.request.status == FundRequest.Status.SETTLED
        verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {
        "mdf.allocation_set",
        "mdf.request_approved",
        "mdf.claim_approved",
        "mdf.payout_recorded",
    } <= verbs


def test_allocations_never_exceed_the_budget_and_never_drop_below_what_is_committed(world_a):
    fund, allocation = make_fund(world_a, budget="15000", allocate="10000")
    with (
        tenant_context(world_a.tenant),
        pytest.raises(ValidationError, match=r"Only 5,000\.00 of the fund is left"),
    ):
        services.allocation_set(
            access=world_a.access(Role.MANAGER), fund=fund, partner=world_a.other_partner, amount="6000"
        )
    approved_request(world_a, allocation, "3000")
    with tenant_context(world_a.tenant):
        with pytest.raises(ValidationError, match=r"3,000\.00 committed already"):
            services.allocation_set(
                access=world_a.access(Role.MANAGER), fund=fund, partner=world_a.partner, amount="2000"
            )
        with pytest.raises(ValidationError, match=r"less than the 10,000\.00 already allocated"):
            services.fund_update(
                access=world_a.access(Role.ADMIN),
                fund=fund,
                budget="9000",
                claim_deadline=fund.claim_deadline,
            )


def test_a_request_beyond_the_available_allocation_is_refused(world_a):
    _fund, allocation = make_fund(world_a, allocate="2000")
    with pytest.raises(ValidationError, match=r"Only 2,000\.00"):
        submit_request(world_a, allocation, "2500")
    first, second = submit_request(world_a, allocation, "1500"), submit_request(world_a, allocation, "1500")
    with tenant_context(world_a.tenant):
        services.fund_request_approve(access=world_a.access(Role.MANAGER), request=first)
        with pytest.raises(ValidationError) as error:
            services.fund_request_approve(access=world_a.access(Role.MANAGER), request=second)
    assert "Only 500.00" in str(error.value)
    with tenant_context(world_a.tenant):
        partial = services.fund_request_approve(
            access=world_a.access(Role.MANAGER),
            request=second,
            amount="500",
            reason="Only the rest of the pool",
        )
    assert partial.approved_amount == D("500.00")
    assert ledger(allocation)[1] == D("2000.00")


def test_a_partial_approval_needs_a_reason_and_a_rejection_too(world_a):
    _fund, allocation = make_fund(world_a)
    request = submit_request(world_a, allocation, "1000")
    with tenant_context(world_a.tenant):
        with pytest.raises(ValidationError, match="Say why only part"):
            services.fund_request_approve(access=world_a.access(Role.MANAGER), request=request, amount="400")
        with pytest.raises(ValidationError, match="Say why the request is rejected"):
            services.fund_request_reject(access=world_a.access(Role.MANAGER), request=request, reason=" ")
        rejected = services.fund_request_reject(
            access=world_a.access(Role.MANAGER), request=request, reason="Off-strategy"
        )
    assert rejected.status == FundRequest.Status.REJECTED


def test_only_managers_decide_requests_and_only_finance_approves_claims(world_a):
    _fund, allocation = make_fund(world_a)
    request = submit_request(world_a, allocation)
    with tenant_context(world_a.tenant):
        for role in (Role.FINANCE, Role.EXECUTIVE, Role.PARTNER_ADMIN):
            with pytest.raises(PermissionDenied):
                services.fund_request_approve(access=world_a.access(role), request=request)
    claim = submitted_claim(world_a, allocation)
    with tenant_context(world_a.tenant):
        for role in (Role.MANAGER, Role.ADMIN, Role.PARTNER_ADMIN):
            with pytest.raises(PermissionDenied):
                services.claim_approve(access=world_a.access(role), claim=claim)


def test_four_eyes_whoever_requested_or_approved_the_activity_may_not_approve_its_claim(world_a):
    _fund, allocation = make_fund(world_a)
    # A finance member who files the request on the partner's behalf… is refused by role; so make
    # a user who is finance in this tenant AND approved the request as a manager in another way:
    # the same person approving the request (manager) then, promoted, approving the claim.
    request = submit_request(world_a, allocation)
    manager_membership = world_a.members[Role.MANAGER]
    with tenant_context(world_a.tenant):
        services.fund_request_approve(access=world_a.access(Role.MANAGER), request=request)
        claim = services.claim_submit(
            access=world_a.access(Role.PARTNER_USER),
            request=request,
            fields={"actual_cost": "900"},
            files=[pdf()],
        )
        promoted = TenantAccess(
            tenant=world_a.tenant, role=Role.FINANCE, partner_id=None, user=manager_membership.user
        )
        with pytest.raises(PermissionDenied, match="Four-eyes"):
            services.claim_approve(access=promoted, claim=claim)
        requester = TenantAccess(
            tenant=world_a.tenant, role=Role.FINANCE, partner_id=None, user=world_a.user(Role.PARTNER_USER)
        )
        with pytest.raises(PermissionDenied, match="Four-eyes"):
            services.claim_reject(access=requester, claim=claim, reason="no")
        approved = services.claim_approve(access=second_finance(world_a), claim=claim)
    assert approved.status == Claim.Status.APPROVED
    assert approved.approved_amount == D(
        "900.00"
    )  # the claim defaults to the actual cost when below the approval


def test_a_rejected_claim_can_be_resubmitted_before_the_deadline(world_a):
    _fund, allocation = make_fund(world_a)
    claim = submitted_claim(world_a, allocation, amount="1000", cost="1000")
    with tenant_context(world_a.tenant):
        services.claim_reject(
            access=world_a.access(Role.FINANCE), claim=claim, reason="The invoice is unreadable"
        )
        again = services.claim_submit(
            access=world_a.access(Role.PARTNER_USER),
            request=claim.request,
            fields={"actual_cost": "1000", "amount": "1000"},
            files=[pdf("invoice-clear.pdf")],
        )
        assert again.pk == claim.pk
        assert again.status == Claim.Status.SUBMITTED
        assert again.documents.count() == 2
        assert again.rejection_reason == ""


def test_claims_are_refused_after_the_deadline_and_unclaimed_approvals_expire_back_to_the_allocation(world_a):
    fund, allocation = make_fund(world_a, deadline_days=5)
    request = approved_request(world_a, allocation, "2500")
    pending = submitted_claim(
        world_a, allocation, "1000", "1000"
    )  # a claim waiting for finance keeps its money
    later = timezone.localdate() + timedelta(days=6)
    with tenant_context(world_a.tenant):
        assert services.fund_requests_expire(tenant=world_a.tenant, today=timezone.localdate()) == 0
        assert services.fund_requests_expire(tenant=world_a.tenant, today=later) == 1
        request.refresh_from_db()
        assert request.status == FundRequest.Status.EXPIRED
        assert ledger(allocation) == (D("10000"), D("1000"), 0, 0)
        assert ledger(fund)[1] == D("1000")
        pending.request.refresh_from_db()
        assert pending.request.status == FundRequest.Status.APPROVED
        assert AuditEvent.objects.filter(verb="mdf.request_expired").count() == 1
        Fund.objects.filter(pk=fund.pk).update(claim_deadline=timezone.localdate() - timedelta(days=1))
        other = FundRequest.objects.create(
            allocation=allocation,
            partner=world_a.partner,
            submitted_at=timezone.now(),
            status="approved",
            approved_amount=0,
            **{k: v for k, v in request_fields("10").items() if k != "requested_amount"},
            requested_amount=10,
        )
        with pytest.raises(ValidationError, match="claim deadline"):
            services.claim_submit(
                access=world_a.access(Role.PARTNER_USER),
                request=other,
                fields={"actual_cost": "10"},
                files=[pdf()],
            )


def test_a_claim_is_never_paid_twice(world_a):
    _fund, allocation = make_fund(world_a)
    claim = submitted_claim(world_a, allocation, "1000", "1000")
    finance = world_a.access(Role.FINANCE)
    with tenant_context(world_a.tenant):
        services.claim_approve(access=finance, claim=claim)
        services.payout_record(
            access=finance, claim=claim, reference="AP-7", paid_on=timezone.localdate(), amount="600"
        )
        with pytest.raises(ValidationError, match=r"Only 400\.00 of this claim is unpaid"):
            services.payout_record(
                access=finance, claim=claim, reference="AP-8", paid_on=timezone.localdate(), amount="500"
            )
        with pytest.raises(ValidationError, match="recorded already"):
            services.payout_record(
                access=finance, claim=claim, reference="AP-7", paid_on=timezone.localdate()
            )
        services.payout_record(access=finance, claim=claim, reference="AP-9", paid_on=timezone.localdate())
        with pytest.raises(ValidationError, match="paid in full"):
            services.payout_record(
                access=finance, claim=claim, reference="AP-10", paid_on=timezone.localdate()
            )
        assert sum(p.amount for p in Payout.objects.all()) == D("1000.00")


def test_tier_rule_allocates_each_eligible_partner_while_the_pool_lasts(world_a):
    with tenant_context(world_a.tenant):
        gold = TierFactory(name="Gold", rank=1, mdf_eligible=True)
        silver = TierFactory(name="Silver", rank=2, mdf_eligible=True)
        p1 = PartnerFactory(name="Gold One", tier=gold)
        p2 = PartnerFactory(name="Gold Two", tier=gold)
        p3 = PartnerFactory(name="Silver One", tier=silver)
        PartnerFactory(name="Untiered")
        fund = services.fund_create(
            access=world_a.access(Role.ADMIN),
            name="Q fund",
            period=services.current_quarter(world_a.tenant).label,
            budget="25000",
            claim_deadline=timezone.localdate() + timedelta(days=30),
            tier_amounts={gold.pk: "10000", silver.pk: "4000"},
        )
        report = services.allocations_apply_tier_rule(access=world_a.access(Role.MANAGER), fund=fund)
        assert {line.partner_id: line.amount for line in report.allocated} == {
            p1.pk: D("10000"),
            p2.pk: D("10000"),
            p3.pk: D("4000"),
        }
        fund.refresh_from_db()
        assert fund.unallocated == D("1000.00")
        with pytest.raises(ValidationError, match="not one this fund lists"):
            services.allocation_set(
                access=world_a.access(Role.MANAGER), fund=fund, partner=world_a.partner, amount="1"
            )


def test_strategic_partners_get_their_jbp_mdf_commitment(world_a, stand_in_metrics):
    with tenant_context(world_a.tenant):
        strategic = TierFactory(name="Strategic", rank=1, classification="strategic", mdf_eligible=True)
        partner = PartnerFactory(name="Big SI", tier=strategic)
        stand_in_metrics["jbp_mdf_commitment"][partner.pk] = D("12000.00")
        fund = services.fund_create(
            access=world_a.access(Role.ADMIN),
            name="Strategic fund",
            period=services.current_quarter(world_a.tenant).label,
            budget="50000",
            claim_deadline=timezone.localdate() + timedelta(days=30),
        )
        report = services.allocations_from_jbp(access=world_a.access(Role.MANAGER), fund=fund)
        made = list(Allocation.objects.filter(fund=fund))
    assert [(line.partner_id, line.amount) for line in report.allocated] == [(partner.pk, D("12000.00"))]
    assert [(a.partner_id, a.allocated, a.source) for a in made] == [
        (partner.pk, D("12000.00"), Allocation.Source.JBP)
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_approvals_never_commit_more_than_the_allocation():
    """Twelve managers approve twelve requests of 1,000 at once against an allocation of 5,000:
    exactly five are approved, the rest are refused, and the committed total is 5,000."""
    from tests.conftest import build_world

    world = build_world("alpha", "ALPHA")
    _fund, allocation = make_fund(world, budget="20000", allocate="5000")
    requests = [submit_request(world, allocation, "1000") for _ in range(12)]
    manager = world.access(Role.MANAGER)
    barrier = threading.Barrier(len(requests))
    outcomes: list[str] = []
    lock = threading.Lock()

    def approve(request):
        try:
            barrier.wait()
            with tenant_context(world.tenant):
                services.fund_request_approve(access=manager, request=request)
            result = "approved"
        except ValidationError:
            result = "refused"
        finally:
            connection.close()  # each thread had its own connection
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=approve, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes).count("approved") == 5
    assert outcomes.count("refused") == 7
    with tenant_context(world.tenant):
        allocation.refresh_from_db()
        fund = Fund.objects.get()
        assert allocation.committed == fund.committed == D("5000.00")
        assert FundRequest.objects.filter(status="approved").count() == 5


def test_a_suspended_partner_cannot_request_funds(world_a):
    _fund, allocation = make_fund(world_a)
    with tenant_context(world_a.tenant):
        type(world_a.partner).objects.filter(pk=world_a.partner.pk).update(status="suspended")
    with pytest.raises(ValidationError, match="suspended partner cannot request funds"):
        submit_request(world_a, allocation)


def test_strategic_allocation_reads_the_real_jbp_metric_when_the_plan_is_signed(world_a):
    """Against the jbp app's own catalog metric: the vendor's MDF for the quarter in a signed plan."""
    from jbp.models import Investment, Plan, Side

    quarter = services.current_quarter(world_a.tenant)
    with tenant_context(world_a.tenant):
        strategic = TierFactory(name="Strategic", rank=1, classification="strategic", mdf_eligible=True)
        partner = PartnerFactory(name="Big SI", tier=strategic)
        plan = Plan.objects.create(
            partner=partner,
            fiscal_year=quarter.fiscal_year,
            title="Big SI plan",
            status=sorted(Plan.SIGNED)[0],
        )
        Investment.objects.create(
            plan=plan,
            side=Side.VENDOR,
            kind=Investment.Kind.MDF,
            description="Events",
            quarter=quarter.quarter,
            amount=Decimal("9000"),
        )
        Investment.objects.create(
            plan=plan,
            side=Side.VENDOR,
            kind=Investment.Kind.MDF,
            description="Year pool",
            quarter=None,
            amount=Decimal("4000"),
        )  # a quarter of it counts: 1,000
        fund = services.fund_create(
            access=world_a.access(Role.ADMIN),
            name="Strategic fund",
            period=quarter.label,
            budget="50000",
            claim_deadline=timezone.localdate() + timedelta(days=30),
        )
        report = services.allocations_from_jbp(access=world_a.access(Role.MANAGER), fund=fund)
    assert [(line.partner_id, line.amount) for line in report.allocated] == [(partner.pk, D("10000.00"))]
