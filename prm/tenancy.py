"""The tenant of the moment, and how code enters and leaves it.

One context variable holds the current tenant. ``tenant_context`` sets it for a block and, on
PostgreSQL, also sets ``app.tenant_id`` transaction-locally so row-level security policies see
the same tenant as the ORM. Leaving the block restores both, even inside an outer transaction
(a test's, or a nested context's): a released savepoint would otherwise keep the setting alive.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.db import connections, transaction

if TYPE_CHECKING:
    from .models import Tenant

_current_tenant: ContextVar[Tenant | None] = ContextVar("prm_current_tenant", default=None)

# Third-party apps whose models hold no tenant data (users, sessions, schedules). Our own apps
# declare each model through its base class (TenantOwnedModel or GlobalModel); tests check both.
GLOBAL_THIRD_PARTY_APPS = frozenset(
    {
        "auth",
        "contenttypes",
        "sessions",
        "account",
        "mfa",
        "django_celery_beat",
    }
)


class TenantNotSet(RuntimeError):
    """Raised when tenant-scoped data is touched with no tenant in context."""


def get_current_tenant() -> Tenant | None:
    return _current_tenant.get()


def require_current_tenant() -> Tenant:
    tenant = _current_tenant.get()
    if tenant is None:
        raise TenantNotSet(
            "No tenant is set. Enter `tenant_context(tenant)` or use the model's `all_tenants` "
            "manager for deliberate cross-tenant work."
        )
    return tenant


def _set_db_tenant(tenant_id: int | None, using: str) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('app.tenant_id', %s, true)",
            ["" if tenant_id is None else str(tenant_id)],
        )


@contextmanager
def tenant_context(tenant: Tenant, *, using: str = "default") -> Iterator[Tenant]:
    """Run a block as ``tenant``: ORM scoping and, on PostgreSQL, row-level security.

    The block runs in a transaction (a savepoint when one is open already), because the
    database setting is transaction-local by design: it can never leak into the next request
    served by the same pooled connection.
    """
    previous = _current_tenant.get()
    token = _current_tenant.set(tenant)
    try:
        with transaction.atomic(using=using):
            _set_db_tenant(tenant.pk, using)
            yield tenant
            # Only on a normal exit: after an error the savepoint rollback restores the setting,
            # and a statement on an aborted transaction would hide the original error.
            if not connections[using].needs_rollback:
                _set_db_tenant(previous.pk if previous else None, using)
    finally:
        _current_tenant.reset(token)
