"""Every list page and list endpoint runs the same number of queries whatever the data size.

Routes come from the URL conf and the OpenAPI schema, so new lists are counted automatically.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from prm import audit
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.conftest import build_world
from tests.partners.factories import PartnerFactory
from tests.prm.factories import ApiKeyFactory, InvitationFactory, MembershipFactory

from .routes import tenant_api_operations, tenant_page_routes

LIST_PAGES = [r for r in tenant_page_routes() if not r.object_kwargs]
LIST_ENDPOINTS = [op for op in tenant_api_operations() if op.method == "get" and not op.has_object]


def grow(world, n: int) -> None:
    """Add ``n`` more rows of every kind, for the tenant and for its first partner."""
    tenant = world.tenant
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


def count_queries(client: Client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response.status_code, len(queries)


@pytest.fixture
def world(db):
    return build_world("alpha", "ALPHA")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_constant_queries(world, user, url: str) -> None:
    client = _client(user)
    grow(world, 2)
    status, small = count_queries(client, url)
    grow(world, 12)
    status_large, large = count_queries(client, url)
    assert status == status_large
    assert large == small, f"{url}: {small} queries with little data, {large} with more"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PARTNER_ADMIN])
@pytest.mark.parametrize("route", LIST_PAGES, ids=str)
def test_list_pages_run_a_constant_number_of_queries(world, route, role):
    assert_constant_queries(world, world.user(role), route.url("alpha", {}))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PARTNER_ADMIN])
@pytest.mark.parametrize("operation", LIST_ENDPOINTS, ids=str)
def test_list_endpoints_run_a_constant_number_of_queries(world, operation, role):
    assert_constant_queries(world, world.user(role), operation.url("alpha") + "?page_size=200")
