"""Isolation for every route, generated from the URL conf and the OpenAPI schema.

Logged into tenant ALPHA, every object of tenant BRAVO is 404 (pages and API, any method);
BRAVO's URLs are 404 for ALPHA's members and 401 for ALPHA's API keys; a partner user never
sees or touches another partner's rows. New routes join these tests automatically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pytest
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from jbp.models import ActionItem, Activity, Investment, Plan, PlanExport, Review, Target
from partners.models import ImportJob, Tier
from pipeline.models import Account, DealRegistration, RevenueImport, RevenueRecord, VendorOpportunity
from prm.models import ApiKey, AuditEvent, Invitation, Membership
from prm.permissions import Role
from prm.services import api_key_create_by_operator
from prm.tenancy import tenant_context
from reporting.models import ReportExport
from tests.conftest import TenantWorld, build_world
from tests.incentives.conftest import incentive_objects
from tests.partners.factories import CertificationFactory, ContactFactory
from tests.prm.factories import ApiKeyFactory, InvitationFactory
from tiering.models import (
    ManualRating,
    PortfolioReview,
    Scorecard,
    ScoreRun,
    ScoreSnapshot,
    TierChange,
    TierChangeProposal,
)

from .routes import OBJECT_KWARGS, tenant_api_operations, tenant_page_routes

PAGE_ROUTES = tenant_page_routes()
OBJECT_PAGE_ROUTES = [r for r in PAGE_ROUTES if r.object_kwargs]
API_OPERATIONS = tenant_api_operations()
API_OBJECT_OPERATIONS = [op for op in API_OPERATIONS if op.has_object]
API_LIST_OPERATIONS = [op for op in API_OPERATIONS if not op.has_object and op.method == "get"]
PARTNER_ROLES = [Role.PARTNER_ADMIN, Role.PARTNER_USER]

# Text that only rows of BRAVO, or of ALPHA's second partner, contain.
FOREIGN_TENANT_MARKER = "BRAVO"
OTHER_PARTNER_MARKERS = ("ALPHA Partner Two", "other@alpha.example")


@dataclass
class IsolationWorld:
    a: TenantWorld
    b: TenantWorld
    objects: dict[str, dict[type, int]]  # scope → model → id
    keys: dict[str, str]  # which key → secret

    def ids(self, scope: str, kwarg_names: list[str]) -> dict[str, int]:
        ids = {}
        for name in kwarg_names:
            assert name in OBJECT_KWARGS, (
                f"URL argument <{name}> is new: add it to OBJECT_KWARGS in tests/security/routes.py"
            )
            ids[name] = self.object_id(scope, OBJECT_KWARGS[name])
        return ids

    def object_id(self, scope: str, model: type) -> int:
        assert model in self.objects[scope], (
            f"No {scope} {model.__name__} in the isolation world: create one in `iso` "
            "(tests/security/test_isolation_matrix.py)"
        )
        return self.objects[scope][model]

    def bravo_fingerprint(self) -> tuple:
        """Everything a request could change in BRAVO, to prove nothing did."""
        with tenant_context(self.b.tenant):
            return (
                AuditEvent.objects.count(),
                tuple(Invitation.objects.order_by("pk").values_list("status", flat=True)),
                tuple(ApiKey.objects.order_by("pk").values_list("revoked_at", flat=True)),
                tuple(
                    Membership.objects.filter(tenant=self.b.tenant)
                    .order_by("pk")
                    .values_list("role", "is_active", "partner_id")
                ),
            )


def _world_objects(world: TenantWorld, partner) -> dict[type, int]:
    tenant = world.tenant
    member = (
        world.members["other_partner_user"] if partner == world.other_partner else world.members[Role.MANAGER]
    )
    invitation = InvitationFactory(tenant=tenant, role=Role.PARTNER_USER, partner=partner)
    key = ApiKeyFactory(tenant=tenant, role=Role.PARTNER_USER, partner=partner)
    with tenant_context(tenant):
        event = AuditEvent.objects.create(
            actor_label="seed",
            verb="test.event",
            target_type="partners.partner",
            target_id=str(partner.pk),
            target_repr=partner.name,
            partner=partner,
        )
    # Named after their partner, so a list that leaks them shows the markers the tests look for.
    contact = ContactFactory(partner=partner, name=f"{partner.name} Contact")
    certification = CertificationFactory(partner=partner, name=f"{partner.name} Certification")
    with tenant_context(tenant):
        import_job = ImportJob.objects.create(
            kind=ImportJob.Kind.PARTNERS,
            file="imports/seed.csv",
            original_filename=f"{tenant.name} partners.csv",
        )
    with tenant_context(tenant):
        account = Account.objects.create(
            name=f"{partner.name} Customer", domain=f"customer-{partner.pk}.example"
        )
        registration = DealRegistration.objects.create(
            partner=partner,
            account=account,
            opportunity_name=f"{partner.name} Deal",
            products="Suite",
            amount=1000,
            currency=tenant.currency,
            amount_reporting=1000,
            expected_close_date=timezone.localdate(),
            submitted_at=timezone.now(),
        )
        vendor_opportunity = VendorOpportunity.objects.create(
            account=account, name=f"{partner.name} Vendor Deal"
        )
        revenue_record = RevenueRecord.objects.create(
            account=account,
            partner=partner,
            period=timezone.localdate().replace(day=1),
            kind=RevenueRecord.Kind.NEW,
            amount=1000,
            currency=tenant.currency,
            amount_reporting=1000,
            reference=f"{partner.name} invoice",
        )
        revenue_import = RevenueImport.objects.create(
            filename=f"{partner.name} revenue.csv", content="account_domain\n"
        )
        report_export = ReportExport.objects.create(
            kind=ReportExport.Kind.QBR,
            period="FY2026-Q1",
            partner=partner,
            status=ReportExport.Status.DONE,
            content=b"%PDF-1.7 " + partner.name.encode(),
        )
        plan_objects = _plan_objects(partner)
    tiering = _tiering_objects(world, partner)
    incentives = incentive_objects(tenant, partner)
    return {
        **tiering,
        Membership: member.pk,
        Invitation: invitation.pk,
        ApiKey: key.pk,
        AuditEvent: event.pk,
        type(partner): partner.pk,
        type(contact): contact.pk,
        type(certification): certification.pk,
        ImportJob: import_job.pk,
        Account: account.pk,
        DealRegistration: registration.pk,
        VendorOpportunity: vendor_opportunity.pk,
        RevenueRecord: revenue_record.pk,
        RevenueImport: revenue_import.pk,
        ReportExport: report_export.pk,
        **plan_objects,
        **incentives,
    }


def _plan_objects(partner) -> dict[type, int]:
    """A signed plan of the partner with one of everything hanging off it (named after the partner)."""
    today = timezone.localdate()
    plan = Plan.objects.create(
        partner=partner, fiscal_year=today.year, title=f"{partner.name} Plan", status=Plan.Status.ACTIVE
    )
    target = Target.objects.create(
        plan=plan, kind=Target.Kind.REVENUE, metric_key="revenue", quarter=1, value=1000
    )
    investment = Investment.objects.create(
        plan=plan, side="partner", kind=Investment.Kind.MDF, description=f"{partner.name} MDF", amount=100
    )
    activity = Activity.objects.create(
        plan=plan, name=f"{partner.name} Webinar", type=Activity.Type.WEBINAR, quarter=1, owner_name="Owner"
    )
    review = Review.objects.create(
        plan=plan,
        quarter=1,
        held_on=today,
        vendor_attendees="V",
        partner_attendees="P",
        notes=f"{partner.name} notes",
    )
    item = ActionItem.objects.create(
        plan=plan,
        review=review,
        title=f"{partner.name} action",
        owner_side="partner",
        owner_name="Owner",
        due_on=today,
    )
    export = PlanExport.objects.create(plan=plan, requested_by_label=f"{partner.name} requester")
    return {
        Plan: plan.pk,
        Target: target.pk,
        Investment: investment.pk,
        Activity: activity.pk,
        Review: review.pk,
        ActionItem: item.pk,
        PlanExport: export.pk,
    }


def _tiering_objects(world: TenantWorld, partner) -> dict[type, int]:
    """One row of every tiering model for ``partner`` (tier names carry the tenant, not the partner)."""
    n = 1 if partner == world.partner else 2
    with tenant_context(world.tenant):
        tier = Tier.objects.create(
            name=f"{world.tenant.name} tier {n}", rank=10 + n, classification="tactical"
        )
        card = Scorecard.objects.create(version=n, is_active=n == 1)
        run = ScoreRun.objects.create(run_on=date(2020, 1, n), period_label="FY2020-Q1", scorecard=card)
        snapshot = ScoreSnapshot.objects.create(
            run=run, partner=partner, run_on=run.run_on, scorecard=card, score=50
        )
        rating = ManualRating.objects.create(
            partner=partner, key="fit_to_icp", value=3, comment=f"{partner.name} rating"
        )
        proposal = TierChangeProposal.objects.create(
            partner=partner, to_tier=tier, direction="promotion", reason=f"{partner.name} proposal"
        )
        change = TierChange.objects.create(
            partner=partner, to_tier=tier, changed_at=timezone.now(), reason="seed"
        )
        review = PortfolioReview.objects.create(fiscal_year=f"FY202{n}")
    return {Tier: tier.pk, Scorecard: card.pk, ScoreRun: run.pk, ScoreSnapshot: snapshot.pk, ManualRating: rating.pk,
            TierChangeProposal: proposal.pk, TierChange: change.pk, PortfolioReview: review.pk}  # fmt: skip


def isolation_world() -> IsolationWorld:
    """ALPHA and BRAVO, each with one of every object for its first partner ("own", "foreign"),
    ALPHA's second partner's too ("other_partner"), and an admin and a partner API key of ALPHA."""
    a, b = build_world("alpha", "ALPHA"), build_world("bravo", "BRAVO")
    objects = {
        "own": _world_objects(a, a.partner),
        "foreign": _world_objects(b, b.partner),
        "other_partner": _world_objects(a, a.other_partner),
    }
    with tenant_context(a.tenant):
        _, admin_key = api_key_create_by_operator(name="alpha admin", role=Role.ADMIN)
        _, partner_key = api_key_create_by_operator(
            name="alpha partner", role=Role.PARTNER_ADMIN, partner_id=a.partner.pk
        )
    return IsolationWorld(a=a, b=b, objects=objects, keys={"admin": admin_key, "partner": partner_key})


@pytest.fixture
def iso(db) -> IsolationWorld:
    return isolation_world()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _send(client: Client, method: str, url: str, **headers):
    if method in {"get", "delete"}:
        return getattr(client, method)(url, headers=headers)
    return getattr(client, method)(url, data=json.dumps({}), content_type="application/json", headers=headers)


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


# --- pages -----------------------------------------------------------------------------------


def test_the_url_conf_has_tenant_pages_to_check():
    assert len(PAGE_ROUTES) >= 8
    assert len(OBJECT_PAGE_ROUTES) >= 4


@pytest.mark.parametrize("route", PAGE_ROUTES, ids=str)
def test_pages_of_another_tenant_are_404_for_a_member_of_this_one(iso, route):
    client = _client(iso.a.user(Role.ADMIN))
    before = iso.bravo_fingerprint()
    url = route.url("bravo", iso.ids("foreign", route.object_kwargs))
    for method in ("get", "post"):
        assert _send(client, method, url).status_code == 404, f"{method.upper()} {url}"
    assert iso.bravo_fingerprint() == before


@pytest.mark.parametrize("route", PAGE_ROUTES, ids=str)
def test_anonymous_visitors_get_the_same_answer_for_real_and_unknown_tenants(iso, route):
    client = Client()
    real = client.get(route.url("bravo", iso.ids("foreign", route.object_kwargs)))
    unknown = client.get(route.url("no-such-tenant", iso.ids("foreign", route.object_kwargs)))
    assert real.status_code == unknown.status_code == 302
    assert real["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("route", OBJECT_PAGE_ROUTES, ids=str)
def test_objects_of_another_tenant_are_404_under_ones_own_tenant(iso, route):
    client = _client(iso.a.user(Role.ADMIN))
    before = iso.bravo_fingerprint()
    foreign_url = route.url("alpha", iso.ids("foreign", route.object_kwargs))
    own_url = route.url("alpha", iso.ids("own", route.object_kwargs))
    for method in ("get", "post"):
        status = _send(client, method, foreign_url).status_code
        if status in {403, 405}:
            # The route refuses this role or method for every object alike (checked on a safe
            # GET of one's own object), so the answer says nothing about the foreign object.
            assert method == "post" or client.get(own_url).status_code == status
            assert method == "get" or _send(client, "get", foreign_url).status_code in {403, 405}
        else:
            assert status == 404, f"{method.upper()} {foreign_url} answered {status}"
    assert iso.bravo_fingerprint() == before


@pytest.mark.parametrize("role", PARTNER_ROLES)
@pytest.mark.parametrize("route", PAGE_ROUTES, ids=str)
def test_partner_users_never_see_or_touch_another_partners_rows(iso, route, role):
    client = _client(iso.a.user(role))
    url = route.url("alpha", iso.ids("other_partner", route.object_kwargs))
    response = client.get(url, follow=True)
    if route.object_kwargs:
        assert response.status_code in {403, 404, 405}, f"GET {url} answered {response.status_code}"
        assert client.post(url).status_code in {403, 404, 405}
    body = response.content.decode()
    for marker in OTHER_PARTNER_MARKERS:
        assert marker not in body, f"GET {url} shows {marker!r} to {role}"


# --- API -------------------------------------------------------------------------------------


def test_the_schema_has_tenant_endpoints_to_check():
    assert len(API_OBJECT_OPERATIONS) >= 5
    assert len(API_LIST_OPERATIONS) >= 4


def _model_of(operation) -> type:
    view = resolve(operation.url("alpha", 1)).func
    model = getattr(getattr(view, "cls", None), "model", None)
    assert model is not None, f"{operation}: the viewset must name its `model`"
    return model


@pytest.mark.parametrize("operation", API_OPERATIONS, ids=str)
def test_api_of_another_tenant_is_404_for_members_and_401_for_keys(iso, operation):
    before = iso.bravo_fingerprint()
    object_id = iso.object_id("foreign", _model_of(operation)) if operation.has_object else None
    url = operation.url("bravo", object_id)
    assert _send(_client(iso.a.user(Role.ADMIN)), operation.method, url).status_code == 404
    response = _send(Client(), operation.method, url, **_bearer(iso.keys["admin"]))
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or revoked API key."}
    assert iso.bravo_fingerprint() == before


@pytest.mark.parametrize("operation", API_OBJECT_OPERATIONS, ids=str)
def test_api_objects_of_another_tenant_are_404_under_ones_own_tenant(iso, operation):
    before = iso.bravo_fingerprint()
    url = operation.url("alpha", iso.object_id("foreign", _model_of(operation)))
    assert _send(_client(iso.a.user(Role.ADMIN)), operation.method, url).status_code == 404
    assert _send(Client(), operation.method, url, **_bearer(iso.keys["admin"])).status_code == 404
    assert iso.bravo_fingerprint() == before


@pytest.mark.parametrize("operation", API_LIST_OPERATIONS, ids=str)
def test_api_lists_never_include_another_tenants_rows(iso, operation):
    for response in (
        _send(_client(iso.a.user(Role.ADMIN)), "get", operation.url("alpha")),
        _send(Client(), "get", operation.url("alpha"), **_bearer(iso.keys["admin"])),
    ):
        assert response.status_code == 200, operation
        assert FOREIGN_TENANT_MARKER not in response.content.decode()


@pytest.mark.parametrize("operation", API_OBJECT_OPERATIONS, ids=str)
def test_api_partner_callers_get_nothing_of_another_partner(iso, operation):
    url = operation.url("alpha", iso.object_id("other_partner", _model_of(operation)))
    for client, headers in (
        (_client(iso.a.user(Role.PARTNER_USER)), {}),
        (_client(iso.a.user(Role.PARTNER_ADMIN)), {}),
        (Client(), _bearer(iso.keys["partner"])),
    ):
        status = _send(client, operation.method, url, **headers).status_code
        assert status in {403, 404, 405}, f"{operation} answered {status}"


@pytest.mark.parametrize("operation", API_LIST_OPERATIONS, ids=str)
def test_api_lists_never_show_partner_callers_another_partners_rows(iso, operation):
    for client, headers in (
        (_client(iso.a.user(Role.PARTNER_USER)), {}),
        (Client(), _bearer(iso.keys["partner"])),
    ):
        body = _send(client, "get", operation.url("alpha"), **headers).content.decode()
        for marker in (*OTHER_PARTNER_MARKERS, FOREIGN_TENANT_MARKER):
            assert marker not in body, f"{operation} shows {marker!r} to a partner caller"
