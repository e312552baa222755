"""Migration operations for PostgreSQL row-level security.

Every tenant-owned table gets ``ENABLE`` and ``FORCE ROW LEVEL SECURITY`` and one policy that
compares ``tenant_id`` with the transaction-local setting ``app.tenant_id``. With the setting
unset the comparison is NULL and no row is visible or writable: the policy fails closed.
On other databases (SQLite, the embedded default) the operations do nothing.

Below them, the two database roles: migrations run as the owner, the app as a role that owns nothing.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connections, migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState

POLICY = "tenant_isolation"
TENANT_EXPR = "NULLIF(current_setting('app.tenant_id', true), '')::bigint"


def enable_rls_sql(table: str) -> list[str]:
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS {POLICY} ON "{table}"',
        f'CREATE POLICY {POLICY} ON "{table}" USING (tenant_id = {TENANT_EXPR}) '
        f"WITH CHECK (tenant_id = {TENANT_EXPR})",
    ]


def disable_rls_sql(table: str) -> list[str]:
    return [
        f'DROP POLICY IF EXISTS {POLICY} ON "{table}"',
        f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
    ]


class EnableRowLevelSecurity(migrations.operations.base.Operation):
    """Turn on tenant row-level security for one model's table (PostgreSQL only)."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def _run(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        to_state: ProjectState,
        statements: Callable[[str], list[str]],
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        for sql in statements(model._meta.db_table):
            schema_editor.execute(sql)

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        self._run(app_label, schema_editor, to_state, enable_rls_sql)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        self._run(app_label, schema_editor, from_state, disable_rls_sql)

    def describe(self) -> str:
        return f"Enable tenant row-level security on {self.model_name}"

    def deconstruct(self) -> tuple[str, list[str], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.model_name], {})

    @property
    def migration_name_fragment(self) -> str:
        return f"rls_{self.model_name.lower()}"


# --- roles: the owner migrates, the runtime role only reads and writes rows --------------------
#
# Row-level security binds every role but a table's owner can switch it off (``NO FORCE``), so the
# web and the workers connect as a role that owns nothing and holds only row privileges; the owner
# role (``DATABASE_OWNER_URL``) creates and alters the tables when ``migrate`` runs.

RUNTIME_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"


def owner_credentials() -> dict[str, Any] | None:
    """The owner role's user and password when ``DATABASE_OWNER_URL`` is set, else None."""
    owner: dict[str, Any] | None = getattr(settings, "PRM_DATABASE_OWNER", None)
    return owner


@contextmanager
def connected_as(alias: str, credentials: dict[str, Any]) -> Iterator[None]:
    """Connect ``alias`` with other credentials for the duration; the previous ones come back after."""
    connection = connections[alias]
    saved = {key: connection.settings_dict.get(key) for key in credentials}
    connection.close()
    connection.settings_dict.update(credentials)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def grant_runtime_role(alias: str, runtime_user: str) -> None:
    """Give ``runtime_user`` row privileges on every table and sequence, now and for tables the
    owner creates later; never ownership, so it cannot alter a table or its security."""
    connection = connections[alias]
    role = connection.ops.quote_name(runtime_user)
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        cursor.execute(f"GRANT {RUNTIME_PRIVILEGES} ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}")
        cursor.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {RUNTIME_PRIVILEGES} ON TABLES TO {role}"
        )
        cursor.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}"
        )
