"""Which rows a caller may reference: the one rule behind every related field of the API
(``prm.api``) and every model choice of a page form (``prm.forms``).

A field that names another row (a plan's owner, a certification's contact, a claim's fund
request) accepts only:

- a **user** who is an active member of the caller's tenant; for a field declared a staff field,
  an active staff member; for a partner caller, an active member of the caller's own partner;
- a **tenant-owned row** of the caller's tenant; for a partner caller, when the row belongs to a
  partner (a contact, a plan, an allocation, a plan's target), only a row of the caller's partner;
- the caller's own tenant, or a membership in it.

Any other model is refused until a rule for it is added here: a reference nobody thought about
fails closed. A row outside the rule gets the same answer as a row that does not exist.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.db.models import QuerySet

from .access import TenantAccess, current_access
from .models import Membership, Tenant, TenantOwnedModel, User, partner_model
from .permissions import PARTNER_ROLES
from .tenancy import get_current_tenant

# How many foreign keys away from its partner a partner-owned row may be (a claim: its fund
# request, that request's allocation, the allocation's partner).
_PARTNER_PATH_DEPTH = 3


def referable(
    queryset: QuerySet[Any], *, access: TenantAccess | None = None, staff: bool = False
) -> QuerySet[Any]:
    """``queryset`` narrowed to the rows the caller may reference (see the module docstring).

    ``access`` defaults to the caller of the request being served; with no caller, the rows of the
    current tenant; with no tenant either, none.
    """
    access = access if access is not None else current_access()
    tenant = access.tenant if access is not None else get_current_tenant()
    model = queryset.model
    if tenant is None:
        return queryset.none()
    if issubclass(model, User):
        members = Membership.objects.filter(tenant_id=tenant.pk, is_active=True)
        if access is not None and access.is_partner:
            members = members.filter(partner_id=access.require_partner())
        elif staff:
            members = members.exclude(role__in=sorted(PARTNER_ROLES))
        return queryset.filter(pk__in=members.values("user_id"))
    if issubclass(model, Tenant):
        return queryset.filter(pk=tenant.pk)
    if issubclass(model, Membership | TenantOwnedModel):
        queryset = queryset.filter(tenant_id=tenant.pk)
    else:
        raise ImproperlyConfigured(
            f"No rule says which {model._meta.label} rows a caller may reference: add one to "
            "prm.references.referable before a field refers to them."
        )
    if access is not None and access.is_partner:
        lookup = partner_lookup(model)
        if lookup is not None:
            queryset = queryset.filter(**{lookup: access.require_partner()})
    return queryset


@cache
def partner_lookup(model: type[models.Model]) -> str | None:
    """The lookup from a row of ``model`` to the partner it belongs to (``"pk"`` for partners,
    ``"plan__partner"`` for a plan's target), or ``None`` for rows of the whole program (tiers,
    funds, accounts). The shortest path over foreign keys wins."""
    partner = partner_model()
    if issubclass(model, partner):
        return "pk"
    paths: list[tuple[str, type[models.Model]]] = [("", model)]
    for _ in range(_PARTNER_PATH_DEPTH):
        next_paths = []
        for prefix, current in paths:
            for field in _owning_keys(current):
                lookup = f"{prefix}{field.name}"
                if field.related_model is partner:
                    return lookup
                next_paths.append((f"{lookup}__", field.related_model))
        paths = next_paths
    return None


def _owning_keys(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    """Foreign keys that may lead to an owning partner: to tenant-owned rows, not to the tenant
    itself nor to users (who are global)."""
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey)
        and field.name != "tenant"
        and isinstance(field.related_model, type)
        and (issubclass(field.related_model, TenantOwnedModel) or field.related_model is partner_model())
    ]


def check_user_references(tenant: Tenant, users: dict[str, Any], *, staff: bool = False) -> None:
    """Services' own check (under the forms' and serializers'): each named user (an id, a user
    or ``None``) is an active member of ``tenant`` (a staff member when ``staff``); raises a
    ``ValidationError`` naming the fields that are not, with one message whatever the reason."""
    ids = {name: getattr(user, "pk", user) for name, user in users.items() if user is not None}
    if not ids:
        return
    members = Membership.objects.filter(tenant_id=tenant.pk, is_active=True, user_id__in=set(ids.values()))
    if staff:
        members = members.exclude(role__in=sorted(PARTNER_ROLES))
    known = set(members.values_list("user_id", flat=True))
    who = "an active staff member" if staff else "an active member"
    errors = {name: f"Choose {who} of this program." for name, pk in ids.items() if pk not in known}
    if errors:
        raise ValidationError(errors)
