"""Every write of the API works with an API key, generated from the OpenAPI schema.

An API key acts for its tenant (and partner) with its role, as a member of that role would. For
every POST, PUT, PATCH and DELETE operation this test calls the endpoint with a key of a role
allowed to do it and a minimal valid body (``WRITES``), and expects a success, or a 403 saying
that a person must act (claim decisions: the four-eyes rule compares people). Never a 400 about
a field the caller did not send (``requested_by``…), never a 500.

An operation missing from ``WRITES`` fails with a message naming it: a new endpoint gets its row.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from incentives import services as incentives
from incentives.models import RebateProgram, RebateStatement
from jbp import services as jbp
from jbp.models import Investment, Side
from partners.models import Tier
from pipeline import services as pipeline
from pipeline.models import DealRegistration
from prm import closing
from prm.access import TenantAccess
from prm.models import AuditEvent
from prm.permissions import PARTNER_ROLES, Role
from prm.services import api_key_create_by_operator, invitation_create
from prm.tenancy import tenant_context
from reporting.models import ReportExport
from tests.conftest import TenantWorld
from tests.incentives.conftest import PDF, make_fund, request_fields, submit_request, submitted_claim
from tests.incentives.factories import join_eligible_tier
from tests.jbp.helpers import draft, signed
from tests.partners.factories import CertificationFactory, ContactFactory
from tests.pipeline.factories import AccountFactory
from tests.prm.factories import quarters_ago
from tiering import services as tiering
from tiering.models import TierChangeProposal

from .routes import ApiOperation, tenant_api_operations

WRITE_OPERATIONS = [op for op in tenant_api_operations() if op.method in {"post", "put", "patch", "delete"}]
PERSON_MUST_ACT = "not by an API key"


class Setup:
    """The ALPHA world a write runs in, with the rows it needs made by people through services."""

    def __init__(self, world: TenantWorld) -> None:
        self.world = world
        self.tenant = world.tenant
        self.partner = world.partner

    def as_(self, role: str) -> TenantAccess:
        return self.world.access(role)

    def fund(self):
        return make_fund(self.world)

    def claim(self):
        _fund, allocation = self.fund()
        return submitted_claim(self.world, allocation)

    def approved_claim(self):
        claim = self.claim()
        with tenant_context(self.tenant):
            return incentives.claim_approve(access=self.as_(Role.FINANCE), claim=claim)

    def registration(self, *, approved: bool = False) -> DealRegistration:
        with tenant_context(self.tenant):
            registration = pipeline.registration_submit(
                access=self.as_(Role.PARTNER_USER),
                account_name="Initech",
                account_domain="initech.example",
                fields={
                    "opportunity_name": "Initech platform",
                    "products": "Platform",
                    "amount": "25000",
                    "expected_close_date": timezone.localdate() + timedelta(days=60),
                },
            )
            if approved:
                registration = pipeline.registration_approve(
                    access=self.as_(Role.MANAGER), registration=registration
                )
        return registration

    def shared_plan(self):
        plan = draft(self.world)
        with tenant_context(self.tenant):
            return jbp.plan_share(access=self.as_(Role.MANAGER), plan=plan)

    def tier(self) -> Tier:
        with tenant_context(self.tenant):
            return Tier.objects.create(name="Gold", rank=30, classification="tactical")

    def proposal(self) -> TierChangeProposal:
        tier = self.tier()
        with tenant_context(self.tenant):
            return tiering.tier_proposal_create(
                access=self.as_(Role.MANAGER), partner=self.partner, to_tier=tier, reason="Grew fast"
            )

    def rebate_program(self) -> RebateProgram:
        with tenant_context(self.tenant):
            return incentives.rebate_program_create(
                access=self.as_(Role.ADMIN),
                name="Resell",
                period=incentives.current_quarter(self.tenant).previous().label,
                basis_metric="revenue",
                method="marginal",
                bands=[{"threshold": "0", "rate": "1.5"}],
            )

    def statement(self, *, approved: bool = False) -> RebateStatement:
        program = self.rebate_program()
        with tenant_context(self.tenant):
            statement = RebateStatement.objects.create(
                program=program, partner=self.partner, basis=1000, amount=15
            )
            if approved:
                statement = incentives.rebate_statement_approve(
                    access=self.as_(Role.FINANCE), statement=statement
                )
        return statement


Body = Any  # a JSON object, or a list for bulk endpoints
Made = tuple[int | None, Body]


@dataclass(frozen=True)
class Write:
    """One write: the key's role, and what to set up (as people) for it: the object in ``{id}``
    (None for a collection) and the body."""

    role: str
    make: Callable[[Setup], Made]
    multipart: bool = False
    person_only: bool = False  # a person must act: a key gets a 403 saying so


def body(values: Body) -> Callable[[Setup], Made]:
    return lambda s: (None, values)


def today() -> str:
    return timezone.localdate().isoformat()


def _registration_body(s: Setup) -> Made:
    return None, {
        "account_name": "Globex",
        "account_domain": "globex.example",
        "opportunity_name": "Globex rollout",
        "products": "Platform",
        "amount": "12000",
        "expected_close_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
    }


def _mdf_request_body(s: Setup) -> Made:
    _fund, allocation = s.fund()
    fields = {k: str(v) for k, v in request_fields("1000").items()}
    return None, {**fields, "allocation": allocation.pk}


def _claim_body(s: Setup) -> Made:
    _fund, allocation = s.fund()
    request = submit_request(s.world, allocation)
    with tenant_context(s.tenant):
        request = incentives.fund_request_approve(access=s.as_(Role.MANAGER), request=request)
    return None, {
        "request": request.pk,
        "actual_cost": "900",
        "proof": [SimpleUploadedFile("invoice.pdf", PDF, content_type="application/pdf")],
    }


def _submitted_request(s: Setup) -> int:
    _fund, allocation = s.fund()
    return submit_request(s.world, allocation).pk


def _plan_of_partner(s: Setup) -> int:
    return draft(s.world).pk


def _closed_quarter(s: Setup) -> Made:
    quarter = quarters_ago(1)
    with tenant_context(s.tenant):
        closing.period_close(access=s.as_(Role.FINANCE), quarter=quarter.label, note="")
    return None, {"quarter": quarter.label, "reason": "Late credit note"}


def _merge(s: Setup) -> Made:
    with tenant_context(s.tenant):
        duplicate, survivor = AccountFactory(tenant=s.tenant), AccountFactory(tenant=s.tenant)
    return duplicate.pk, {"into": survivor.pk}


def _member(role: str) -> Callable[[Setup], int]:
    return lambda s: s.world.members[role].pk


def _deactivated_member(s: Setup) -> Made:
    member = s.world.members[Role.EXECUTIVE]
    with tenant_context(s.tenant):
        from prm.services import membership_deactivate

        membership_deactivate(access=s.as_(Role.ADMIN), membership=member)
    return member.pk, {}


def _invitation(s: Setup) -> Made:
    with tenant_context(s.tenant):
        invitation, _token = invitation_create(
            access=s.as_(Role.ADMIN), email="new@alpha.example", role=Role.MANAGER, partner_id=None
        )
    return invitation.pk, {}


def _proposal_for_decision(s: Setup) -> Made:
    return s.proposal().pk, {"reason": "Agreed"}


def _plan_child(kind: str) -> Callable[[Setup], Made]:
    def make(s: Setup) -> Made:
        plan = draft(s.world)
        with tenant_context(s.tenant):
            if kind == "target":
                return plan.targets.first().pk, {"value": "1500"}
            if kind == "investment":
                return plan.investments.first().pk, {"description": "More MDF"}
            activity = jbp.activity_save(
                access=s.as_(Role.MANAGER),
                plan=plan,
                fields={"name": "Webinar", "type": "webinar", "quarter": 1, "owner_name": "Ana"},
            )
            return activity.pk, {"name": "Two webinars"}

    return make


def _action_item(s: Setup) -> Made:
    plan = signed(s.world)
    with tenant_context(s.tenant):
        review = jbp.review_record(
            access=s.as_(Role.MANAGER),
            plan=plan,
            fields={
                "quarter": 1,
                "held_on": timezone.localdate(),
                "vendor_attendees": "V",
                "partner_attendees": "P",
            },
            action_items=[
                jbp.NewActionItem(
                    title="Send the deck", owner_side="vendor", owner_name="Ana", due_on=timezone.localdate()
                )
            ],
        )
        return review.action_items.first().pk, {}


def _review_body(s: Setup) -> Made:
    plan = signed(s.world)
    return None, {
        "plan": plan.pk,
        "quarter": 1,
        "held_on": today(),
        "vendor_attendees": "Ana",
        "partner_attendees": "Bo",
    }


def _past_signed_plan(s: Setup) -> Made:
    return signed(s.world, year=timezone.localdate().year - 2).pk, {}


def _partner_approved_plan(s: Setup) -> Made:
    plan = s.shared_plan()
    with tenant_context(s.tenant):
        jbp.plan_partner_approve(access=s.as_(Role.PARTNER_ADMIN), plan=plan)
    return plan.pk, {}


WRITES: dict[str, Write] = {
    # core
    "POST /api/v1/t/{tenant_slug}/members/{id}/role/": Write(
        Role.ADMIN, lambda s: (_member(Role.FINANCE)(s), {"role": Role.MANAGER})
    ),
    "POST /api/v1/t/{tenant_slug}/members/{id}/deactivate/": Write(
        Role.ADMIN, lambda s: (_member(Role.EXECUTIVE)(s), {})
    ),
    "POST /api/v1/t/{tenant_slug}/members/{id}/reactivate/": Write(Role.ADMIN, _deactivated_member),
    "POST /api/v1/t/{tenant_slug}/invitations/": Write(
        Role.ADMIN, body({"email": "someone@alpha.example", "role": Role.FINANCE})
    ),
    "POST /api/v1/t/{tenant_slug}/invitations/{id}/revoke/": Write(Role.ADMIN, _invitation),
    "POST /api/v1/t/{tenant_slug}/fiscal-quarters/close/": Write(
        Role.FINANCE, lambda s: (None, {"quarter": quarters_ago(1).label})
    ),
    "POST /api/v1/t/{tenant_slug}/fiscal-quarters/reopen/": Write(Role.FINANCE, _closed_quarter),
    "PATCH /api/v1/t/{tenant_slug}/fiscal-quarters/late-entries/": Write(
        Role.FINANCE, body({"late_entries": "adjust"})
    ),
    # partners
    "POST /api/v1/t/{tenant_slug}/partners/": Write(Role.MANAGER, body({"name": "Contoso"})),
    "PATCH /api/v1/t/{tenant_slug}/partners/{id}/": Write(
        Role.PARTNER_ADMIN, lambda s: (s.partner.pk, {"description": "We resell the platform."})
    ),
    "POST /api/v1/t/{tenant_slug}/partners/{id}/status/": Write(
        Role.MANAGER, lambda s: (s.partner.pk, {"status": "suspended", "reason": "Stopped selling"})
    ),
    "POST /api/v1/t/{tenant_slug}/partners/{id}/archive/": Write(Role.MANAGER, lambda s: (s.partner.pk, {})),
    "POST /api/v1/t/{tenant_slug}/partners/{id}/restore/": Write(Role.MANAGER, lambda s: (_archived(s), {})),
    "POST /api/v1/t/{tenant_slug}/contacts/": Write(
        Role.PARTNER_ADMIN, body({"name": "Dana", "email": "dana@partner.example"})
    ),
    "PATCH /api/v1/t/{tenant_slug}/contacts/{id}/": Write(
        Role.PARTNER_ADMIN, lambda s: (_contact(s), {"title": "Sales lead"})
    ),
    "POST /api/v1/t/{tenant_slug}/contacts/{id}/archive/": Write(Role.MANAGER, lambda s: (_contact(s), {})),
    "POST /api/v1/t/{tenant_slug}/contacts/{id}/restore/": Write(
        Role.MANAGER, lambda s: (_contact(s, archived=True), {})
    ),
    "POST /api/v1/t/{tenant_slug}/certifications/": Write(
        Role.MANAGER,
        lambda s: (None, {"partner": s.partner.pk, "name": "Platform expert", "earned_on": today()}),
    ),
    "PATCH /api/v1/t/{tenant_slug}/certifications/{id}/": Write(
        Role.PARTNER_ADMIN, lambda s: (_certification(s), {"level": "Expert"})
    ),
    "POST /api/v1/t/{tenant_slug}/certifications/{id}/archive/": Write(
        Role.PARTNER_ADMIN, lambda s: (_certification(s), {})
    ),
    "POST /api/v1/t/{tenant_slug}/certifications/{id}/restore/": Write(
        Role.MANAGER, lambda s: (_certification(s, archived=True), {})
    ),
    # tiering
    "PATCH /api/v1/t/{tenant_slug}/tiers/{id}/": Write(
        Role.ADMIN, lambda s: (s.tier().pk, {"benefits": "Leads"})
    ),
    "POST /api/v1/t/{tenant_slug}/ratings/": Write(
        Role.MANAGER, lambda s: (None, {"partner": s.partner.pk, "key": "fit_to_icp", "value": 4})
    ),
    "POST /api/v1/t/{tenant_slug}/score-runs/": Write(Role.ADMIN, body({})),
    "POST /api/v1/t/{tenant_slug}/scorecards/": Write(Role.ADMIN, lambda s: (None, _scorecard(s))),
    "POST /api/v1/t/{tenant_slug}/scorecards/what-if/": Write(Role.ADMIN, body({})),
    "POST /api/v1/t/{tenant_slug}/tier-proposals/": Write(
        Role.MANAGER, lambda s: (None, {"partner": s.partner.pk, "to_tier": s.tier().pk, "reason": "Grew"})
    ),
    "POST /api/v1/t/{tenant_slug}/tier-proposals/{id}/approve/": Write(
        Role.EXECUTIVE, _proposal_for_decision
    ),
    "POST /api/v1/t/{tenant_slug}/tier-proposals/{id}/reject/": Write(Role.ADMIN, _proposal_for_decision),
    # pipeline
    "POST /api/v1/t/{tenant_slug}/registrations/": Write(Role.PARTNER_USER, _registration_body),
    "POST /api/v1/t/{tenant_slug}/registrations/precheck/": Write(
        Role.PARTNER_USER, body({"account_name": "Globex", "account_domain": "globex.example"})
    ),
    "POST /api/v1/t/{tenant_slug}/registrations/{id}/approve/": Write(
        Role.MANAGER, lambda s: (s.registration().pk, {})
    ),
    "POST /api/v1/t/{tenant_slug}/registrations/{id}/reject/": Write(
        Role.MANAGER, lambda s: (s.registration().pk, {"reason": "Direct deal"})
    ),
    "POST /api/v1/t/{tenant_slug}/registrations/{id}/assign-rep/": Write(
        Role.MANAGER, lambda s: (s.registration(approved=True).pk, {"user_id": s.world.user(Role.MANAGER).pk})
    ),
    "POST /api/v1/t/{tenant_slug}/registrations/{id}/close/": Write(
        Role.MANAGER, lambda s: (s.registration(approved=True).pk, {"won": False, "closed_on": today()})
    ),
    "POST /api/v1/t/{tenant_slug}/registrations/{id}/extend/": Write(
        Role.MANAGER, lambda s: (s.registration(approved=True).pk, {})
    ),
    "POST /api/v1/t/{tenant_slug}/registrations/{id}/request-extension/": Write(
        Role.PARTNER_USER, lambda s: (s.registration(approved=True).pk, {"reason": "Procurement is slow"})
    ),
    "POST /api/v1/t/{tenant_slug}/accounts/{id}/merge/": Write(Role.MANAGER, _merge),
    "POST /api/v1/t/{tenant_slug}/vendor-opportunities/": Write(
        Role.MANAGER, body({"name": "Umbrella renewal", "account_name": "Umbrella"})
    ),
    "PATCH /api/v1/t/{tenant_slug}/vendor-opportunities/{id}/": Write(
        Role.MANAGER, lambda s: (_vendor_opportunity(s), {"is_open": False})
    ),
    "POST /api/v1/t/{tenant_slug}/revenue-records/": Write(Role.MANAGER, lambda s: (None, _revenue_row(s))),
    "POST /api/v1/t/{tenant_slug}/revenue-records/bulk/": Write(
        Role.MANAGER, lambda s: (None, [_revenue_row(s)])
    ),
    # joint business plans
    "POST /api/v1/t/{tenant_slug}/plans/": Write(
        Role.MANAGER, lambda s: (None, {"partner": s.partner.pk, "fiscal_year": timezone.localdate().year})
    ),
    "PATCH /api/v1/t/{tenant_slug}/plans/{id}/": Write(
        Role.MANAGER, lambda s: (_plan_of_partner(s), {"summary": "Grow in DACH"})
    ),
    "POST /api/v1/t/{tenant_slug}/plans/{id}/share/": Write(
        Role.MANAGER, lambda s: (_plan_of_partner(s), {})
    ),
    "POST /api/v1/t/{tenant_slug}/plans/{id}/withdraw/": Write(
        Role.MANAGER, lambda s: (s.shared_plan().pk, {})
    ),
    "POST /api/v1/t/{tenant_slug}/plans/{id}/approve/": Write(
        Role.PARTNER_ADMIN, lambda s: (s.shared_plan().pk, {})
    ),
    "POST /api/v1/t/{tenant_slug}/plans/{id}/sign-off/": Write(Role.EXECUTIVE, _partner_approved_plan),
    "POST /api/v1/t/{tenant_slug}/plans/{id}/close/": Write(Role.MANAGER, _past_signed_plan),
    "POST /api/v1/t/{tenant_slug}/plans/{id}/comments/": Write(
        Role.PARTNER_ADMIN, lambda s: (s.shared_plan().pk, {"body": "Looks good"})
    ),
    "POST /api/v1/t/{tenant_slug}/plan-targets/": Write(
        Role.MANAGER,
        lambda s: (None, {"plan": _plan_of_partner(s), "kind": "pipeline", "quarter": 1, "value": "500"}),
    ),
    "PATCH /api/v1/t/{tenant_slug}/plan-targets/{id}/": Write(Role.MANAGER, _plan_child("target")),
    "POST /api/v1/t/{tenant_slug}/plan-investments/": Write(
        Role.MANAGER,
        lambda s: (
            None,
            {
                "plan": _plan_of_partner(s),
                "side": Side.PARTNER,
                "kind": Investment.Kind.MDF,
                "description": "Events",
                "amount": "2000",
            },
        ),
    ),
    "PATCH /api/v1/t/{tenant_slug}/plan-investments/{id}/": Write(Role.MANAGER, _plan_child("investment")),
    "POST /api/v1/t/{tenant_slug}/plan-activities/": Write(
        Role.MANAGER,
        lambda s: (
            None,
            {
                "plan": _plan_of_partner(s),
                "name": "Webinar",
                "type": "webinar",
                "quarter": 2,
                "owner_name": "Ana",
            },
        ),
    ),
    "PATCH /api/v1/t/{tenant_slug}/plan-activities/{id}/": Write(Role.MANAGER, _plan_child("activity")),
    "POST /api/v1/t/{tenant_slug}/plan-reviews/": Write(Role.MANAGER, _review_body),
    "POST /api/v1/t/{tenant_slug}/plan-action-items/{id}/complete/": Write(Role.MANAGER, _action_item),
    "POST /api/v1/t/{tenant_slug}/plan-exports/": Write(
        Role.PARTNER_USER, lambda s: (None, {"plan": signed(s.world).pk})
    ),
    # incentives
    "POST /api/v1/t/{tenant_slug}/mdf-funds/": Write(
        Role.ADMIN,
        lambda s: (
            None,
            {
                "name": "Events",
                "period": incentives.current_quarter(s.tenant).label,
                "budget": "20000",
                "claim_deadline": (timezone.localdate() + timedelta(days=60)).isoformat(),
            },
        ),
    ),
    "POST /api/v1/t/{tenant_slug}/mdf-funds/{id}/change/": Write(
        Role.ADMIN,
        lambda s: (
            (fund := s.fund()[0]).pk,
            {"budget": "60000", "claim_deadline": fund.claim_deadline.isoformat()},
        ),
    ),
    "POST /api/v1/t/{tenant_slug}/mdf-funds/{id}/allocate/": Write(
        Role.MANAGER, lambda s: (_fund_for_two(s), {"partner": s.world.other_partner.pk, "amount": "1000"})
    ),
    "POST /api/v1/t/{tenant_slug}/mdf-funds/{id}/apply-tier-rule/": Write(
        Role.ADMIN, lambda s: (_tier_rule_fund(s), {})
    ),
    "POST /api/v1/t/{tenant_slug}/mdf-funds/{id}/allocate-from-jbp/": Write(
        Role.ADMIN, lambda s: (_jbp_fund(s), {})
    ),
    "POST /api/v1/t/{tenant_slug}/mdf-requests/": Write(Role.PARTNER_USER, _mdf_request_body),
    "POST /api/v1/t/{tenant_slug}/mdf-requests/{id}/approve/": Write(
        Role.MANAGER, lambda s: (_submitted_request(s), {})
    ),
    "POST /api/v1/t/{tenant_slug}/mdf-requests/{id}/reject/": Write(
        Role.MANAGER, lambda s: (_submitted_request(s), {"reason": "Out of scope"})
    ),
    "POST /api/v1/t/{tenant_slug}/mdf-claims/": Write(Role.PARTNER_USER, _claim_body, multipart=True),
    "POST /api/v1/t/{tenant_slug}/mdf-claims/{id}/approve/": Write(
        Role.FINANCE, lambda s: (s.claim().pk, {}), person_only=True
    ),
    "POST /api/v1/t/{tenant_slug}/mdf-claims/{id}/reject/": Write(
        Role.FINANCE, lambda s: (s.claim().pk, {"reason": "No invoice"}), person_only=True
    ),
    "POST /api/v1/t/{tenant_slug}/mdf-claims/{id}/pay/": Write(
        Role.FINANCE, lambda s: (s.approved_claim().pk, {"reference": "AP-1", "paid_on": today()})
    ),
    "POST /api/v1/t/{tenant_slug}/rebate-programs/": Write(
        Role.ADMIN,
        lambda s: (
            None,
            {
                "name": "Resell",
                "period": incentives.current_quarter(s.tenant).previous().label,
                "basis_metric": "revenue",
                "method": "marginal",
                "bands": [{"threshold": "0", "rate": "1.5"}],
            },
        ),
    ),
    "POST /api/v1/t/{tenant_slug}/rebate-programs/{id}/accrue/": Write(
        Role.ADMIN, lambda s: (s.rebate_program().pk, {})
    ),
    "POST /api/v1/t/{tenant_slug}/rebate-programs/{id}/close/": Write(
        Role.FINANCE, lambda s: (_accrued_program(s), {})
    ),
    "POST /api/v1/t/{tenant_slug}/rebate-statements/{id}/approve/": Write(
        Role.FINANCE, lambda s: (s.statement().pk, {})
    ),
    "POST /api/v1/t/{tenant_slug}/rebate-statements/{id}/pay/": Write(
        Role.FINANCE, lambda s: (s.statement(approved=True).pk, {"reference": "AP-9", "paid_on": today()})
    ),
    # reporting
    "POST /api/v1/t/{tenant_slug}/reporting/exports/": Write(
        Role.PARTNER_USER, lambda s: (None, {"kind": ReportExport.Kind.QBR})
    ),
}


def _archived(s: Setup) -> int:
    from partners.services import partner_archive

    with tenant_context(s.tenant):
        partner_archive(access=s.as_(Role.MANAGER), partner=s.partner)
    return s.partner.pk


def _contact(s: Setup, *, archived: bool = False) -> int:
    with tenant_context(s.tenant):
        contact = ContactFactory(partner=s.partner)
        if archived:
            contact.archived_at = timezone.now()
            contact.save()
    return contact.pk


def _certification(s: Setup, *, archived: bool = False) -> int:
    with tenant_context(s.tenant):
        certification = CertificationFactory(partner=s.partner)
        if archived:
            certification.archived_at = timezone.now()
            certification.save()
    return certification.pk


def _scorecard(s: Setup) -> Body:
    from tiering.program import DEFAULT_CRITERIA

    return {"criteria": json.loads(json.dumps(DEFAULT_CRITERIA, default=str)), "note": "Weights as agreed"}


def _fund_for_two(s: Setup) -> int:
    fund = s.fund()[0]
    with tenant_context(s.tenant):
        join_eligible_tier(s.world.other_partner)
    return fund.pk


def _vendor_opportunity(s: Setup) -> int:
    with tenant_context(s.tenant):
        opportunity = pipeline.vendor_opportunity_create(
            access=s.as_(Role.MANAGER),
            account_name="Umbrella",
            account_domain="umbrella.example",
            fields={"name": "Umbrella renewal"},
        )
    return opportunity.pk


def _revenue_row(s: Setup) -> Body:
    with tenant_context(s.tenant):
        account = AccountFactory(tenant=s.tenant)
    return {
        "account": account.pk,
        "period": timezone.localdate().replace(day=1).isoformat(),
        "kind": "new",
        "amount": "1000",
    }


def _tier_rule_fund(s: Setup) -> int:
    with tenant_context(s.tenant):
        tier = join_eligible_tier(s.partner)
        fund = incentives.fund_create(
            access=s.as_(Role.ADMIN),
            name="Tier fund",
            period=incentives.current_quarter(s.tenant).label,
            budget="50000",
            claim_deadline=timezone.localdate() + timedelta(days=30),
            tier_amounts={tier.pk: "1000"},
        )
    return fund.pk


def _jbp_fund(s: Setup) -> int:
    signed(s.world)
    return s.fund()[0].pk


def _accrued_program(s: Setup) -> int:
    program = s.rebate_program()
    with tenant_context(s.tenant):
        incentives.rebate_accruals_compute(access=s.as_(Role.ADMIN), program=program)
    return program.pk


# --- the test --------------------------------------------------------------------------------------


def _key(world: TenantWorld, role: str) -> str:
    with tenant_context(world.tenant):
        _key, secret = api_key_create_by_operator(
            name=f"{role} integration",
            role=role,
            partner_id=world.partner.pk if role in PARTNER_ROLES else None,
        )
    return secret


def _call(operation: ApiOperation, write: Write, object_id: int | None, payload: Body, secret: str):
    url = operation.url("alpha", object_id)
    headers = {"Authorization": f"Bearer {secret}"}
    client = Client()
    if write.multipart:
        return getattr(client, operation.method)(url, data=payload, headers=headers)
    return getattr(client, operation.method)(
        url, data=json.dumps(payload), content_type="application/json", headers=headers
    )


def test_the_schema_has_writes_and_every_write_has_a_row():
    assert len(WRITE_OPERATIONS) >= 60
    missing = [str(op) for op in WRITE_OPERATIONS if str(op) not in WRITES]
    assert not missing, (
        "Write operations without a row in WRITES (tests/security/test_api_key_writes.py): give each "
        f"the role of a key that may do it and a minimal valid body: {missing}"
    )
    stale = sorted(set(WRITES) - {str(op) for op in WRITE_OPERATIONS})
    assert not stale, f"Rows in WRITES for operations the schema no longer has: {stale}"


@pytest.mark.parametrize("operation", WRITE_OPERATIONS, ids=str)
def test_an_api_key_performs_every_documented_write(world_a, operation, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    write = WRITES.get(str(operation))
    assert write is not None, f"{operation} has no row in WRITES: add the role of a key and a minimal body"
    object_id, payload = write.make(Setup(world_a))
    assert (object_id is not None) == operation.has_object, f"{operation}: the row must give the object id"
    secret = _key(world_a, write.role)
    with tenant_context(world_a.tenant):
        last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = _call(operation, write, object_id, payload, secret)
    answer = response.content.decode()
    if write.person_only:
        assert response.status_code == 403, f"{operation} must refuse an API key: {answer}"
        assert PERSON_MUST_ACT in response.json()["detail"], answer
        return
    assert response.status_code in {200, 201, 202, 204}, (
        f"{operation} with a {write.role} key answered {response.status_code}: {answer}"
    )
    with tenant_context(world_a.tenant):
        events = list(AuditEvent.objects.filter(pk__gt=last_event))
    # What the key did is on the record in its name (work queued on commit may be the system's).
    for event in events:
        assert event.actor_id is None, f"{operation}: {event} names a person"
        assert event.actor_label in {f"API key “{write.role} integration”", "system"}, event.actor_label
