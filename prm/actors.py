"""Who did it: the person, or the API key that acted for its tenant.

A "by" column (``requested_by``, ``decided_by``, …) is a nullable user foreign key with a sibling
``<name>_key`` (``prm.models.actor_key_field``) naming the API key when a key acted. Services fill
both from the caller with ``stamp`` (or ``by`` when creating a row); pages, the API and e-mails
name the actor with ``actor_name``: the person, or “API key “CRM sync””, as the audit trail does.

A few actions need a person (a four-eyes rule compares people; a note is signed by its author):
they call ``require_person``, which refuses an API key with a 403 that says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from django.db import models

    from .access import TenantAccess
    from .models import User


def key_field_name(field: str) -> str:
    """The name of the API-key sibling of the "by" column ``field``."""
    return f"{field}_key"


def by(access: TenantAccess | None, field: str) -> dict[str, Any]:
    """Keyword arguments that record ``access`` as the actor in ``field`` (for a new row)."""
    return {
        field: access.user if access is not None else None,
        key_field_name(field): access.api_key if access is not None else None,
    }


def stamp(obj: models.Model, field: str, access: TenantAccess | None) -> list[str]:
    """Record ``access`` as the actor in ``field`` of ``obj``; returns the columns set (for
    ``update_fields``)."""
    for name, value in by(access, field).items():
        setattr(obj, name, value)
    return [field, key_field_name(field)]


def clear(obj: models.Model, field: str) -> list[str]:
    """Forget the actor in ``field`` of ``obj`` (a decision undone); returns the columns set."""
    return stamp(obj, field, None)


def has_actor(obj: models.Model, field: str) -> bool:
    """Whether someone (a person or an API key) is recorded in ``field``."""
    return (
        getattr(obj, f"{field}_id", None) is not None
        or getattr(obj, f"{key_field_name(field)}_id", None) is not None
    )


def actor_name(obj: models.Model, field: str) -> str:
    """Who is recorded in ``field`` of ``obj``, as shown: the person, the API key, or ""."""
    if getattr(obj, f"{field}_id", None) is not None:
        return str(getattr(obj, field))
    if getattr(obj, f"{key_field_name(field)}_id", None) is not None:
        return f"API key “{getattr(obj, key_field_name(field)).name}”"
    return ""


def require_person(access: TenantAccess, message: str) -> User:
    """The person acting; an API key is refused where a person must act, with ``message`` saying
    who and why (a 403 in the API). Phrase it "… by a person …, not by an API key: <why>." """
    if access.api_key is not None or access.user is None:
        raise PermissionDenied(message)
    return access.user
