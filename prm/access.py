"""Who is acting, in which tenant, with which role: resolved once per request.

``TenantAccess`` is built by the tenant middleware from a membership (session) or an API key
(bearer token), and is the only thing views, the API and services consult for permissions and
for the partner scope of partner roles. ``TenantRequest`` is the type of a page request that
carries them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from .permissions import PARTNER_ROLES, Perm, Role, role_has_perm

if TYPE_CHECKING:
    from .models import ApiKey, Membership, Tenant, User


@dataclass(frozen=True)
class TenantAccess:
    tenant: Tenant
    role: str
    partner_id: int | None
    user: User | None = None
    membership: Membership | None = None
    api_key: ApiKey | None = None

    @classmethod
    def from_membership(cls, membership: Membership) -> TenantAccess:
        return cls(
            tenant=membership.tenant,
            role=membership.role,
            partner_id=membership.partner_id,
            user=membership.user,
            membership=membership,
        )

    @classmethod
    def from_api_key(cls, key: ApiKey, tenant: Tenant) -> TenantAccess:
        return cls(tenant=tenant, role=key.role, partner_id=key.partner_id, api_key=key)

    @classmethod
    def program_reader(cls, tenant: Tenant) -> TenantAccess:
        """Read-only access to the whole program, for work a worker does after a member was
        authorised to ask for it (rendering a requested export). It has the executive's role:
        it reads everything and may change nothing; it is never built from a request."""
        return cls(tenant=tenant, role=Role.EXECUTIVE, partner_id=None)

    @property
    def is_partner(self) -> bool:
        return self.role in PARTNER_ROLES

    @property
    def is_staff(self) -> bool:
        return not self.is_partner

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def actor_label(self) -> str:
        if self.api_key is not None:
            return f"API key “{self.api_key.name}”"
        return str(self.user) if self.user is not None else "system"

    def can(self, perm: Perm | str) -> bool:
        return role_has_perm(self.role, perm)

    def require_partner(self) -> int:
        """The partner this access is confined to; 404 for staff on partner-only routes."""
        if self.partner_id is None:
            raise Http404
        return self.partner_id


_current_access: ContextVar[TenantAccess | None] = ContextVar("prm_current_access", default=None)


def current_access() -> TenantAccess | None:
    """Who is acting in the request being served (set by the tenant middleware), else ``None``.

    Forms and serializers read it to scope the rows a field may reference (``prm.references``),
    so a form built without being handed the caller still offers only what the caller may name.
    """
    return _current_access.get()


@contextmanager
def acting_as(access: TenantAccess) -> Iterator[TenantAccess]:
    """Run a block as ``access`` (the tenant middleware does, around every tenant request)."""
    token = _current_access.set(access)
    try:
        yield access
    finally:
        _current_access.reset(token)


class TenantRequest(HttpRequest):
    """A page request under ``/t/<slug>/``, as the tenant middleware hands it to the view.

    For type annotations only (view signatures): at run time it is the plain ``HttpRequest`` on
    which the middleware has set ``tenant`` and ``access``.
    """

    tenant: Tenant
    access: TenantAccess


def require(access: TenantAccess | None, perm: Perm) -> None:
    """The one permission check of every service: refuse unless ``access`` holds ``perm``.

    No access (``None``) is refused too: work without a caller (a nightly job) goes through a
    service entry point of its own, never through a missing permission check.
    """
    if access is None:
        raise PermissionDenied("This action needs a signed-in member or an API key.")
    if not access.can(perm):
        raise PermissionDenied(f"Your role ({access.role_label}) may not do this.")
