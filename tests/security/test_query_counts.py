"""Every list page and list endpoint runs the same number of queries whatever the data size.

Routes come from the URL conf and the OpenAPI schema, so new lists are counted automatically:
``grow`` adds rows of the model of every list endpoint (through the tests' factories), and a list
endpoint whose rows did not grow fails, naming the model to teach ``grow`` about.
"""

from __future__ import annotations

import importlib
import itertools
from datetime import date, timedelta
from functools import cache

import factory
import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone

from jbp.models import PlanExport
from pipeline.models import VendorOpportunity
from prm import audit
from prm.permissions import Role
from prm.tenancy import tenant_context
from reporting.models import ReportExport
from tests.conftest import build_world
from tests.jbp.factories import PlanFactory
from tests.partners.factories import PartnerFactory
from tests.pipeline.factories import AccountFactory
from tests.prm.factories import ApiKeyFactory, InvitationFactory, MembershipFactory, TenantOwnedFactory
from tests.tiering.factories import ScoreRunFactory
from tiering.models import ManualRating, ScoreRun, ScoreSnapshot

from .routes import ApiOperation, tenant_api_operations, tenant_page_routes

LIST_PAGES = [r for r in tenant_page_routes() if not r.object_kwargs]
LIST_ENDPOINTS = [op for op in tenant_api_operations() if op.method == "get" and not op.has_object]
FACTORY_MODULES = [
    f"tests.{app}.factories" for app in ("prm", "partners", "pipeline", "tiering", "jbp", "incentives")
]


# Rows some list endpoints show that no other test needed a factory for.
class ReportExportFactory(TenantOwnedFactory):
    class Meta:
        model = ReportExport

    kind = ReportExport.Kind.DASHBOARD
    period = "FY2026-Q2"
    status = ReportExport.Status.DONE  # a finished export links its download (the reported case)
    finished_at = factory.LazyFunction(timezone.now)


class PlanExportFactory(TenantOwnedFactory):
    class Meta:
        model = PlanExport

    plan = factory.LazyAttribute(lambda o: PlanFactory(tenant=o.tenant, partner=o.partner))
    requested_by_label = "test"
    status = PlanExport.Status.DONE

    class Params:
        tenant = None
        partner = None


class VendorOpportunityFactory(TenantOwnedFactory):
    class Meta:
        model = VendorOpportunity

    account = factory.LazyAttribute(lambda o: AccountFactory(tenant=o.tenant))
    name = factory.Sequence(lambda n: f"Vendor opportunity {n}")

    class Params:
        tenant = None
        partner = None


@cache
def factories() -> dict[type[Model], type[factory.django.DjangoModelFactory]]:
    """Every test factory by the model it makes."""
    found: dict[type[Model], type[factory.django.DjangoModelFactory]] = {}
    modules = [importlib.import_module(name) for name in FACTORY_MODULES]
    for value in [*(vars(m).values() for m in modules), globals().values()]:
        for obj in value:
            if isinstance(obj, type) and issubclass(obj, factory.django.DjangoModelFactory):
                model = obj._meta.model
                if isinstance(model, type) and issubclass(model, Model):
                    found.setdefault(model, obj)
    return found


def listed_model(operation: ApiOperation) -> type[Model] | None:
    """The model a list endpoint lists (None for an endpoint that is not a viewset's list)."""
    view = resolve(operation.url("x")).func
    cls = getattr(view, "cls", None)
    if (getattr(view, "actions", None) or {}).get("get") != "list":
        return None
    return getattr(cls, "model", None)


def grow_model(model: type[Model], world) -> None:
    """One more row of ``model`` in the world's tenant, of its first partner when it has one."""
    maker = factories().get(model)
    assert maker is not None, (
        f"no factory makes {model.__name__}: add one to tests/<app>/factories.py (or here) so its list "
        "endpoint is counted with more rows"
    )
    with tenant_context(world.tenant):  # factories take the tenant of their sub-rows from it
        kwargs = {"tenant": world.tenant, **distinct_fields(model)}
        has_partner = any(f.name == "partner" for f in model._meta.get_fields())
        if not has_partner and "partner" not in maker._meta.parameters:
            maker(**kwargs)
            return
        if model not in ONE_PER_PARTNER:
            try:  # the first partner's, so its users' lists grow too…
                with transaction.atomic():
                    maker(**kwargs, partner=world.partner)
                return
            except IntegrityError:  # …unless a partner has one at most (a plan per fiscal year)
                pass
        maker(**kwargs, partner=PartnerFactory(tenant=world.tenant))


# Rows a factory replaces rather than adds for the same partner.
ONE_PER_PARTNER = {ManualRating}
_days = itertools.count(1)


def distinct_fields(model: type[Model]) -> dict:
    """Values that keep a new row from colliding with the last one (one score run per day)."""
    if model is ScoreRun:
        return {"run_on": date(2020, 1, 1) + timedelta(days=next(_days))}
    if model is ScoreSnapshot:
        return {"run": ScoreRunFactory(**distinct_fields(ScoreRun))}
    return {}


def grow(world, n: int) -> None:
    """Add ``n`` more rows of every kind, for the tenant and for its first partner."""
    tenant = world.tenant
    models = {m for op in LIST_ENDPOINTS if (m := listed_model(op)) is not None}
    for i in range(n):
        partner = PartnerFactory(tenant=tenant)
        MembershipFactory(tenant=tenant, role=Role.MANAGER)
        MembershipFactory(tenant=tenant, role=Role.PARTNER_USER, partner=world.partner)
        MembershipFactory(tenant=tenant, role=Role.PARTNER_USER, partner=partner)
        InvitationFactory(
            tenant=tenant, role=Role.PARTNER_USER, partner=world.partner, email=f"grow{i}-{n}@x.example"
        )
        ApiKeyFactory(tenant=tenant)
        with tenant_context(tenant):
            audit.record(access=None, verb="test.grow", target=partner, partner_id=world.partner.pk)
        for model in sorted(models, key=lambda m: m._meta.label):
            if model._meta.label not in GROWN_ABOVE:
                grow_model(model, world)


# Models the loop above already grows (and whose factories need more than a tenant and partner).
GROWN_ABOVE = {"partners.Partner", "prm.Membership", "prm.Invitation", "prm.AuditEvent"}


def count_queries(client: Client, url: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len(queries)


@pytest.fixture
def world(db):
    return build_world("alpha", "ALPHA")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_constant_queries(world, user, url: str, *, rows_must_grow: bool = False) -> None:
    client = _client(user)
    grow(world, 1)
    small_response, small = count_queries(client, url)
    grow(world, 8)
    large_response, large = count_queries(client, url)
    assert small_response.status_code == large_response.status_code
    assert large == small, f"{url}: {small} queries with little data, {large} with more"
    if rows_must_grow:
        assert large_response.status_code == 200, large_response.content[:300]
        before, after = small_response.json()["count"], large_response.json()["count"]
        assert after > before > 0, f"{url}: {before} rows, then {after}: teach grow() to add its rows"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PARTNER_ADMIN])
@pytest.mark.parametrize("route", LIST_PAGES, ids=str)
def test_list_pages_run_a_constant_number_of_queries(world, route, role):
    assert_constant_queries(world, world.user(role), route.url("alpha", {}))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PARTNER_ADMIN])
@pytest.mark.parametrize("operation", LIST_ENDPOINTS, ids=str)
def test_list_endpoints_run_a_constant_number_of_queries(world, operation, role):
    """With one row of the listed model, then with many (the staff caller must see them grow)."""
    rows_must_grow = role == Role.ADMIN and listed_model(operation) is not None
    assert_constant_queries(
        world, world.user(role), operation.url("alpha") + "?page_size=200", rows_must_grow=rows_must_grow
    )
