"""PostgreSQL row-level security: the database itself keeps tenants apart, whatever the ORM does."""

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.db.utils import DatabaseError

from prm.models import TenantOwnedModel
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.conftest import build_world
from tests.partners.factories import PartnerFactory
from tests.prm.factories import TenantFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _raw(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


@pytest.fixture
def two_tenants():
    alpha, bravo = TenantFactory(slug="alpha"), TenantFactory(slug="bravo")
    PartnerFactory(tenant=alpha, name="Alpha One")
    PartnerFactory(tenant=alpha, name="Alpha Two")
    PartnerFactory(tenant=bravo, name="Bravo One")
    return alpha, bravo


def test_the_app_connects_as_a_role_that_row_level_security_applies_to():
    [(superuser, bypass)] = _raw("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    assert (superuser, bypass) == (False, False)


def test_every_tenant_owned_table_has_forced_row_level_security_and_a_policy():
    tables = sorted(m._meta.db_table for m in apps.get_models() if issubclass(m, TenantOwnedModel))
    rows = _raw(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, count(p.polname) "
        "FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid "
        "WHERE c.relname = ANY(%s) GROUP BY c.relname, c.relrowsecurity, c.relforcerowsecurity",
        [tables],
    )
    assert sorted(rows) == [(table, True, True, 1) for table in tables]


def test_raw_sql_with_no_tenant_set_sees_zero_rows(two_tenants):
    assert _raw("SELECT count(*) FROM partners_partner") == [(0,)]


def test_raw_sql_inside_a_tenant_sees_only_that_tenants_rows(two_tenants):
    alpha, bravo = two_tenants
    with tenant_context(alpha):
        rows = _raw("SELECT name, tenant_id FROM partners_partner ORDER BY name")
    assert rows == [("Alpha One", alpha.pk), ("Alpha Two", alpha.pk)]
    with tenant_context(bravo):
        assert _raw("SELECT name FROM partners_partner") == [("Bravo One",)]


def test_a_write_into_another_tenant_is_refused_by_the_database(two_tenants):
    alpha, bravo = two_tenants
    with tenant_context(alpha):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            _raw(
                "INSERT INTO partners_partner (tenant_id, name, status, created_at, updated_at) "
                "VALUES (%s, 'Smuggled', 'active', now(), now())",
                [bravo.pk],
            )
        # Updating or deleting another tenant's rows touches nothing.
        assert (
            _raw("UPDATE partners_partner SET name = 'Renamed' WHERE tenant_id = %s RETURNING id", [bravo.pk])
            == []
        )
    with tenant_context(bravo):
        assert _raw("SELECT name FROM partners_partner") == [("Bravo One",)]


def test_the_setting_is_cleared_when_the_tenant_context_ends(two_tenants):
    alpha, _ = two_tenants
    with tenant_context(alpha):
        assert _raw("SELECT current_setting('app.tenant_id', true)") == [(str(alpha.pk),)]
    assert _raw("SELECT NULLIF(current_setting('app.tenant_id', true), '')") == [(None,)]


def test_a_request_leaves_no_tenant_setting_on_the_connection(client):
    world = build_world("alpha", "ALPHA")
    client.force_login(world.user(Role.ADMIN))
    assert client.get("/t/alpha/partners/").status_code == 200
    assert _raw("SELECT NULLIF(current_setting('app.tenant_id', true), '')") == [(None,)]
    assert _raw("SELECT count(*) FROM partners_partner") == [(0,)]
