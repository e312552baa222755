"""The audit trail: one call records who changed what, with the state before and after."""

from __future__ import annotations

from typing import Any

from django.db import models

from .access import TenantAccess
from .models import AuditEvent


def record(
    *,
    access: TenantAccess | None,
    verb: str,
    target: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    partner_id: int | None = None,
) -> AuditEvent:
    """Append an audit event in the current tenant. Call it inside the service's transaction."""
    event: AuditEvent = AuditEvent.objects.create(
        actor=access.user if access else None,
        actor_label=access.actor_label if access else "system",
        verb=verb,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:300],
        partner_id=partner_id,
        before=before or {},
        after=after or {},
    )
    return event


def record_by_system(
    *,
    verb: str,
    target: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    partner_id: int | None = None,
) -> AuditEvent:
    """Append an audit event for work no caller asked for (a nightly job, the failure it records):
    no person, actor "system". Call it inside the job's transaction."""
    return record(access=None, verb=verb, target=target, before=before, after=after, partner_id=partner_id)


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The named fields of ``obj`` as JSON-safe values, for before/after."""
    values: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        values[name] = value if isinstance(value, str | int | float | bool | type(None)) else str(value)
    return values
