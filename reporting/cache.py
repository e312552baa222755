"""The reporting cache: computed figures per tenant, dropped when anything in the tenant changes.

Each tenant has a version stamp in the cache. Saving or deleting any tenant-owned row of the
tenant (a deal, a revenue record, a partner, a tier, an audit event — which every service that
writes in bulk records) replaces the stamp, once at once and once when the transaction commits,
so a figure computed from data that is about to change is never kept. Cached figures are stored
under the stamp of the moment, so a new stamp makes them unreachable. Keys also name the
database and the tenant's creation time, so test databases and recreated tenants never share
entries. A time limit (``REPORTING_CACHE_SECONDS``) bounds the age of a figure whatever happens.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from prm.models import AuditEvent, Tenant

T = TypeVar("T")
DEFAULT_SECONDS = 15 * 60


def _stamp_key(tenant_id: int) -> str:
    return f"reporting:{connection.settings_dict['NAME']}:{tenant_id}:stamp"


def seconds() -> int:
    return int(getattr(settings, "REPORTING_CACHE_SECONDS", DEFAULT_SECONDS))


def cached(tenant: Tenant, name: str, compute: Callable[[], T], *, fresh: bool = False) -> T:
    """``compute()``'s result for this tenant, from the cache while the tenant's data is unchanged.

    The result must have ``cached`` and ``computed_at`` attributes; ``cached`` says where it came from.
    """
    stamp = cache.get(_stamp_key(tenant.pk))
    if stamp is None:
        stamp = invalidate(tenant.pk)
    key = f"{_stamp_key(tenant.pk)}:{stamp}:{name}"
    if not fresh:
        found = cache.get(key)
        if found is not None:
            found.cached = True
            return found
    result = compute()
    result.cached = False  # type: ignore[attr-defined]
    if seconds() > 0:
        cache.set(key, result, seconds())
    return result


def invalidate(tenant_id: int) -> str:
    """Forget every cached figure of the tenant (by giving it a new stamp)."""
    stamp = str(time.time_ns())
    cache.set(_stamp_key(tenant_id), stamp, None)
    return stamp


def _changed(sender: type, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if sender is Tenant:
        # A new tenant may reuse the id of a removed one (SQLite test databases do): start afresh.
        if created:
            invalidate(instance.pk)
        return
    tenant_id = getattr(instance, "tenant_id", None)
    if tenant_id is None or _about_reporting(sender, instance):
        return
    invalidate(tenant_id)
    transaction.on_commit(lambda: invalidate(tenant_id))


def _about_reporting(sender: Any, instance: Any) -> bool:
    """Reporting's own rows (exports) and the audit events about them change no figure: asking for
    a PDF must not throw away the figures the PDF is about to be drawn from."""
    if sender._meta.app_label == "reporting":
        return True
    return sender is AuditEvent and str(instance.target_type).startswith("reporting.")


def connect() -> None:
    """Listen to saves and deletes of every model: tenant-owned rows (except reporting's own
    exports and their audit events, which change no figure) and new tenants."""
    post_save.connect(_changed, dispatch_uid="reporting-cache-save", weak=False)
    post_delete.connect(_changed, dispatch_uid="reporting-cache-delete", weak=False)
