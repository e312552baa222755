"""Reads of the core that pages and the API share. Each takes the caller's access.

``access_*`` helpers return the same 404 for "does not exist" and "not yours".
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from .access import TenantAccess
from .models import ApiKey, AuditEvent, Invitation, Membership, User, hash_secret


def members(access: TenantAccess) -> QuerySet[Membership]:
    """Members visible to the caller: all for staff, own company's colleagues for partners."""
    qs = Membership.objects.filter(tenant=access.tenant).select_related(
        "user", "partner", "deactivated_by", "deactivated_by_key"
    )
    if access.is_partner:
        qs = qs.filter(partner_id=access.require_partner())
    return qs.order_by("-is_active", "user__email")


def access_member(access: TenantAccess, member_id: int) -> Membership:
    membership = members(access).filter(pk=member_id).first()
    if membership is None:
        raise Http404
    return membership


def invitations(access: TenantAccess, *, pending_only: bool = False) -> QuerySet[Invitation]:
    qs = Invitation.objects.select_related("partner", "invited_by", "invited_by_key")
    if access.is_partner:
        qs = qs.filter(partner_id=access.partner_id)
    if pending_only:
        qs = qs.filter(status=Invitation.Status.PENDING)
    return qs


def access_invitation(access: TenantAccess, invitation_id: int) -> Invitation:
    invitation = invitations(access).filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404
    return invitation


def usable_invitation(*, token: str) -> Invitation | None:
    """The usable invitation for ``token`` in the current tenant, or None."""
    invitation = Invitation.objects.select_related("partner").filter(token_hash=hash_secret(token)).first()
    return invitation if invitation is not None and invitation.is_usable else None


def memberships_of(user: User) -> QuerySet[Membership]:
    """The user's active memberships in active tenants, for the picker and the switcher."""
    return (
        Membership.objects.filter(user=user, is_active=True, tenant__is_active=True)
        .select_related("tenant", "partner")
        .order_by("tenant__name")
    )


def api_keys(access: TenantAccess) -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("partner", "created_by", "revoked_by").order_by(
        "revoked_at", "-created_at"
    )


def access_api_key(access: TenantAccess, key_id: int) -> ApiKey:
    key = api_keys(access).filter(pk=key_id).first()
    if key is None:
        raise Http404
    return key


def audit_events(access: TenantAccess) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.select_related("actor", "partner")
    if access.is_partner:
        qs = qs.filter(partner_id=access.partner_id)
    return qs
