"""Shared fixtures: a world of two tenants (plus a third, empty one), users of every role, and
helpers to act as them. Under CI=true any skipped test fails the run, except the PostgreSQL-only
tests on the embedded default (SQLite), which CI runs again on PostgreSQL where no skip is allowed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test import Client

from prm.access import TenantAccess
from prm.db import owner_credentials
from prm.models import Membership, Tenant
from prm.permissions import PARTNER_ROLES, Role
from prm.tenancy import tenant_context
from tests.partners.factories import PartnerFactory
from tests.prm.factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"


ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
NEEDS_POSTGRES = "needs PostgreSQL: set DATABASE_URL=postgres://… to run it"


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason=NEEDS_POSTGRES)
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.write_line(
            f"NOTE: {len(skipped)} test(s) skipped; see the reasons above (-ra). "
            "CI runs them all and fails on any skip.",
            yellow=True,
        )


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if not IN_CI or hasattr(session.config, "workerinput"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    # The embedded default cannot run PostgreSQL-only tests; CI's PostgreSQL run allows no skip.
    skipped = [report for report in skipped if NEEDS_POSTGRES not in str(report.longrepr)]
    if skipped:
        reporter.ensure_newline()
        reporter.write_line(
            f"CI=true: {len(skipped)} test(s) were skipped; nothing may be skipped in CI.", red=True
        )
        session.exitstatus = 1


@dataclass
class TenantWorld:
    """One tenant with a member of every role and two partner companies."""

    tenant: Tenant
    members: dict[str, Membership] = field(default_factory=dict)

    @property
    def partner(self):
        return self.members[Role.PARTNER_ADMIN].partner

    @property
    def other_partner(self):
        return self.members["other_partner_user"].partner

    def user(self, role: str):
        return self.members[role].user

    def access(self, role: str) -> TenantAccess:
        return TenantAccess.from_membership(self.members[role])


def build_world(slug: str, marker: str) -> TenantWorld:
    tenant = TenantFactory(slug=slug, name=f"{marker} Vendor")
    world = TenantWorld(tenant=tenant)
    partner = PartnerFactory(tenant=tenant, name=f"{marker} Partner One")
    other = PartnerFactory(tenant=tenant, name=f"{marker} Partner Two")
    for role in Role:
        world.members[role] = MembershipFactory(
            tenant=tenant,
            role=role,
            partner=partner if role in PARTNER_ROLES else None,
            user=UserFactory(email=f"{role.value.replace('_', '-')}@{slug}.example"),
        )
    world.members["other_partner_user"] = MembershipFactory(
        tenant=tenant, role=Role.PARTNER_USER, partner=other, user=UserFactory(email=f"other@{slug}.example")
    )
    return world


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """With ``DATABASE_OWNER_URL`` set, the test database is created and migrated by the owner
    role, as in production; the tests then run as the runtime role (see ``django_db_setup``)."""
    owner = owner_credentials()
    if owner is not None and ON_POSTGRES:
        _runtime_credentials.update({key: connection.settings_dict[key] for key in owner})
        connection.close()
        connection.settings_dict.update(owner)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Back to the runtime role once the owner has built the test database; the owner again to
    drop it at the end. The runtime role may also TRUNCATE here, for transactional tests' flush."""
    if not _runtime_credentials:
        yield
        return
    owner = {key: connection.settings_dict[key] for key in _runtime_credentials}
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        # migrate granted the row privileges; emptying tables between tests is a test-only need.
        role = connection.ops.quote_name(_runtime_credentials["USER"])
        cursor.execute(f"GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {role}")
    connection.close()
    connection.settings_dict.update(_runtime_credentials)
    yield
    connection.close()
    connection.settings_dict.update(owner)


_runtime_credentials: dict[str, str] = {}


@pytest.fixture
def world_a(db) -> TenantWorld:
    return build_world("alpha", "ALPHA")


@pytest.fixture
def world_b(db) -> TenantWorld:
    return build_world("bravo", "BRAVO")


@pytest.fixture
def client_for():
    """``client_for(user)``: a test client signed in as that user."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def in_tenant():
    """``with in_tenant(tenant):`` reads and writes as that tenant."""
    return tenant_context


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


__all__ = ["PASSWORD", "TenantWorld"]
