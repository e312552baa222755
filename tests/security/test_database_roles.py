"""The app's database role owns nothing: it reads and writes rows under row-level security and
cannot switch that security off. The owner role (DATABASE_OWNER_URL) ran the migrations."""

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from partners.models import Partner

pytestmark = pytest.mark.postgres


@pytest.fixture
def two_roles():
    if settings.PRM_DATABASE_OWNER is None:
        pytest.skip("needs DATABASE_OWNER_URL: the owner role that runs migrations (see README)")
    return settings.PRM_DATABASE_OWNER["USER"]


def _tables_owned_by(user: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s", [user]
        )
        return [row[0] for row in cursor.fetchall()]


def test_the_runtime_role_owns_no_table_and_the_owner_owns_them_all(db, two_roles):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        runtime = cursor.fetchone()[0]

    assert runtime == settings.PRM_DATABASE_RUNTIME_USER != two_roles
    assert _tables_owned_by(runtime) == []
    assert "partners_partner" in _tables_owned_by(two_roles)


@pytest.mark.parametrize(
    "statement",
    [
        'ALTER TABLE "partners_partner" NO FORCE ROW LEVEL SECURITY',
        'ALTER TABLE "partners_partner" DISABLE ROW LEVEL SECURITY',
        'DROP POLICY tenant_isolation ON "partners_partner"',
        'ALTER TABLE "partners_partner" OWNER TO CURRENT_USER',
    ],
)
def test_the_runtime_role_cannot_switch_row_level_security_off(db, two_roles, statement):
    with (
        pytest.raises(DatabaseError, match="must be owner"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'partners_partner'"
        )
        assert cursor.fetchone() == (True, True)


def test_the_runtime_role_reads_and_writes_rows(world_a, in_tenant):

    with in_tenant(world_a.tenant):
        Partner.objects.filter(pk=world_a.partner.pk).update(description="written by the runtime role")
        assert Partner.objects.get(pk=world_a.partner.pk).description == "written by the runtime role"
