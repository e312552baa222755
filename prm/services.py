"""Writes of the core: invitations, memberships and API keys.

Every function is one use case: keyword-only arguments, one transaction, a permission check
against the caller's ``TenantAccess``, and an audit event for every state change.
"""

from __future__ import annotations

import secrets

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from . import actors, audit
from .access import TenantAccess, require
from .models import (
    ApiKey,
    Invitation,
    Membership,
    Tenant,
    User,
    hash_secret,
    partner_model,
    validate_role_and_partner,
)
from .permissions import PARTNER_ROLES, ROLES_PARTNER_ADMIN_MAY_GRANT, Perm, Role
from .tenancy import require_current_tenant


def _check_partner_exists(partner_id: int | None) -> None:
    if (
        partner_id is not None
        and not partner_model()
        ._default_manager.filter(pk=partner_id, tenant=require_current_tenant())
        .exists()
    ):
        raise ValidationError({"partner": "Choose a partner of this tenant."})


def _require_may_grant(access: TenantAccess, role: str, partner_id: int | None) -> None:
    """Admins grant any role; partner admins grant partner roles within their own company only."""
    if access.can(Perm.MANAGE_MEMBERS):
        return
    if (
        access.can(Perm.INVITE_COLLEAGUES)
        and role in ROLES_PARTNER_ADMIN_MAY_GRANT
        and partner_id == access.partner_id
    ):
        return
    raise PermissionDenied("You may not grant this role.")


# --- invitations -----------------------------------------------------------------------------


@transaction.atomic
def invitation_create(
    *, access: TenantAccess, email: str, role: str, partner_id: int | None = None
) -> tuple[Invitation, str]:
    """Invite ``email`` to the tenant with ``role``; e-mails the link. Returns the invitation and
    its one-time token (only its hash is stored). A pending invitation to the same address is
    replaced, so "invite again" is how a lost e-mail is resent."""
    email = email.strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": "Choose a valid role."})
    validate_role_and_partner(role, partner_id)
    _require_may_grant(access, role, partner_id)
    _check_partner_exists(partner_id)
    existing = Membership.objects.filter(tenant=access.tenant, user__email=email).first()
    pending = list(
        Invitation.objects.select_for_update().filter(email=email, status=Invitation.Status.PENDING)
    )
    if not access.can(Perm.MANAGE_MEMBERS):
        # A partner admin may not reach anyone the vendor manages: active or deactivated
        # members, or someone else's pending invitation. One answer for all, so the portal
        # reveals nothing about who else works with the vendor.
        foreign_invitation = any(i.partner_id != access.partner_id for i in pending)
        if existing is not None or foreign_invitation:
            raise ValidationError(
                {"email": "This address cannot be invited from the portal. Ask your partner manager."}
            )
    elif existing is not None and existing.is_active:
        raise ValidationError({"email": "This person is already a member of this tenant."})

    for stale in pending:
        _invitation_close(access=access, invitation=stale, status=Invitation.Status.REVOKED)

    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        role=role,
        partner_id=partner_id,
        token_hash=hash_secret(token),
        **actors.by(access, "invited_by"),
        expires_at=Invitation.default_expiry(),
    )
    invitation.full_clean(exclude=["tenant"])
    invitation.save()
    audit.record(
        access=access,
        verb="invitation.created",
        target=invitation,
        after={"email": email, "role": role, "partner_id": partner_id},
        partner_id=partner_id,
    )
    from .tasks import send_invitation_email  # the task calls back into these services

    tenant_id = access.tenant.pk
    # robust: a mail or broker failure must not turn the committed invitation into an error page;
    # the admin can resend by inviting again.
    transaction.on_commit(
        lambda: send_invitation_email.delay(tenant_id=tenant_id, invitation_id=invitation.pk, token=token),
        robust=True,
    )
    return invitation, token


def _invitation_close(*, access: TenantAccess | None, invitation: Invitation, status: str) -> None:
    before = invitation.status
    invitation.status = status
    invitation.save(update_fields=["status", "updated_at"])
    audit.record(
        access=access,
        verb=f"invitation.{status}",
        target=invitation,
        before={"status": before},
        after={"status": status},
        partner_id=invitation.partner_id,
    )


@transaction.atomic
def invitation_revoke(*, access: TenantAccess, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation; its link stops working."""
    _require_may_grant(access, invitation.role, invitation.partner_id)
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationError("Only a pending invitation can be revoked.")
    _invitation_close(access=access, invitation=invitation, status=Invitation.Status.REVOKED)
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Turn an invitation into a membership for ``user`` (whose e-mail must match).

    A deactivated member invited back gets the invited role again; the audit event records
    what the membership was before.
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)  # double submits
    if not invitation.is_usable:
        raise ValidationError("This invitation is no longer valid. Ask for a new one.")
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(f"This invitation is for {invitation.email}. Sign in with that address.")
    tenant = Tenant.objects.get(pk=invitation.tenant_id)
    membership = Membership.objects.filter(tenant=tenant, user=user).first()
    if membership is not None and membership.is_active:
        raise ValidationError("You are already a member of this tenant.")
    before = {} if membership is None else audit.snapshot(membership, ["role", "partner_id", "is_active"])
    if membership is None:
        membership = Membership(tenant=tenant, user=user)
    membership.role = invitation.role
    membership.partner_id = invitation.partner_id
    membership.is_active = True
    membership.deactivated_at = None
    actors.clear(membership, "deactivated_by")
    membership.full_clean()
    membership.save()
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["status", "accepted_at", "accepted_by", "updated_at"])
    acceptor = TenantAccess.from_membership(membership)
    audit.record(
        access=acceptor,
        verb="membership.rejoined" if before else "membership.joined",
        target=membership,
        before=before,
        after={
            **audit.snapshot(membership, ["role", "partner_id", "is_active"]),
            "invitation": invitation.pk,
        },
        partner_id=membership.partner_id,
    )
    return membership


@transaction.atomic
def invitation_accept_as_new_user(
    *, invitation: Invitation, full_name: str, password: str | None
) -> tuple[User, Membership]:
    """Create the invitee's account and accept. Opening the e-mailed link proved the address,
    so it counts as verified. ``password=None``: the person signs in with e-mailed codes."""
    if User.objects.filter(email=invitation.email).exists():
        raise ValidationError("An account with this address exists already. Sign in to accept.")
    user = User.objects.create_user(email=invitation.email, password=password, full_name=full_name)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user, invitation_accept(invitation=invitation, user=user)


@transaction.atomic
def invitation_expire_stale(*, tenant: Tenant) -> int:
    """Mark the tenant's pending invitations past their expiry as expired. Safe to run twice."""
    stale = list(Invitation.objects.filter(status=Invitation.Status.PENDING, expires_at__lte=timezone.now()))
    for invitation in stale:
        _invitation_close(access=None, invitation=invitation, status=Invitation.Status.EXPIRED)
    return len(stale)


# --- memberships -----------------------------------------------------------------------------


def _require_same_tenant(access: TenantAccess, membership: Membership) -> None:
    """Memberships are a global table (no row-level security): check the tenant explicitly."""
    if membership.tenant_id != access.tenant.pk:
        raise Http404


def _active_admin_count(tenant: Tenant) -> int:
    return Membership.objects.filter(tenant=tenant, role=Role.ADMIN, is_active=True).count()


def _refuse_losing_last_admin(membership: Membership) -> None:
    if membership.role != Role.ADMIN or not membership.is_active:
        return
    # Lock the tenant row: two admins demoting each other at once are serialised, and the second
    # sees the first one's change when it counts.
    Tenant.objects.select_for_update().filter(pk=membership.tenant_id).first()
    if _active_admin_count(membership.tenant) <= 1:
        raise ValidationError({"role": "The tenant must keep at least one active program admin."})


@transaction.atomic
def membership_change_role(
    *, access: TenantAccess, membership: Membership, role: str, partner_id: int | None = None
) -> Membership:
    """Give a member another role (and partner, for partner roles)."""
    require(access, Perm.MANAGE_MEMBERS)
    _require_same_tenant(access, membership)
    if role not in Role.values:
        raise ValidationError({"role": "Choose a valid role."})
    if role not in PARTNER_ROLES:
        partner_id = None
    validate_role_and_partner(role, partner_id)
    _check_partner_exists(partner_id)
    if role != Role.ADMIN:
        _refuse_losing_last_admin(membership)
    before = audit.snapshot(membership, ["role", "partner_id"])
    membership.role = role
    membership.partner_id = partner_id
    membership.full_clean()
    membership.save()
    audit.record(
        access=access,
        verb="membership.role_changed",
        target=membership,
        before=before,
        after=audit.snapshot(membership, ["role", "partner_id"]),
        partner_id=partner_id,
    )
    return membership


@transaction.atomic
def membership_deactivate(*, access: TenantAccess, membership: Membership) -> Membership:
    """Take away a member's access to the tenant. The user and their history stay."""
    require(access, Perm.MANAGE_MEMBERS)
    _require_same_tenant(access, membership)
    if not membership.is_active:
        raise ValidationError("This member is already deactivated.")
    if access.user is not None and membership.user_id == access.user.pk:
        raise ValidationError("You cannot deactivate yourself.")
    _refuse_losing_last_admin(membership)
    membership.is_active = False
    membership.deactivated_at = timezone.now()
    actors.stamp(membership, "deactivated_by", access)
    membership.save()
    audit.record(
        access=access,
        verb="membership.deactivated",
        target=membership,
        before={"is_active": True},
        after={"is_active": False},
        partner_id=membership.partner_id,
    )
    return membership


@transaction.atomic
def membership_reactivate(*, access: TenantAccess, membership: Membership) -> Membership:
    """Give a deactivated member their access back, with the role they had."""
    require(access, Perm.MANAGE_MEMBERS)
    _require_same_tenant(access, membership)
    if membership.is_active:
        raise ValidationError("This member is already active.")
    membership.is_active = True
    membership.deactivated_at = None
    actors.clear(membership, "deactivated_by")
    membership.save()
    audit.record(
        access=access,
        verb="membership.reactivated",
        target=membership,
        before={"is_active": False},
        after={"is_active": True},
        partner_id=membership.partner_id,
    )
    return membership


# --- API keys --------------------------------------------------------------------------------


@transaction.atomic
def api_key_create(
    *, access: TenantAccess, name: str, role: str, partner_id: int | None = None
) -> tuple[ApiKey, str]:
    """Create a key acting as ``role`` (program admins); returns it with the secret, which is
    never shown again."""
    require(access, Perm.MANAGE_API_KEYS)
    return _api_key_create(access, name=name, role=role, partner_id=partner_id)


@transaction.atomic
def api_key_create_by_operator(*, name: str, role: str, partner_id: int | None = None) -> tuple[ApiKey, str]:
    """The same for an operator at the command line (``manage.py create_api_key``): the server's
    shell is the authority; the audit trail names the system."""
    return _api_key_create(None, name=name, role=role, partner_id=partner_id)


def _api_key_create(
    access: TenantAccess | None, *, name: str, role: str, partner_id: int | None
) -> tuple[ApiKey, str]:
    if role not in Role.values:
        raise ValidationError({"role": "Choose a valid role."})
    validate_role_and_partner(role, partner_id)
    _check_partner_exists(partner_id)
    secret = ApiKey.generate_secret()
    key = ApiKey(
        name=name.strip(),
        role=role,
        partner_id=partner_id,
        key_prefix=secret[:12],
        key_hash=hash_secret(secret),
        created_by=access.user if access else None,
    )
    key.full_clean(exclude=["tenant"])
    key.save()
    audit.record(
        access=access,
        verb="api_key.created",
        target=key,
        after={"name": key.name, "role": role, "partner_id": partner_id, "prefix": key.key_prefix},
        partner_id=partner_id,
    )
    return key, secret


@transaction.atomic
def api_key_revoke(*, access: TenantAccess, key: ApiKey) -> ApiKey:
    """Revoke a key at once; requests using it get 401 from now on."""
    require(access, Perm.MANAGE_API_KEYS)
    if key.revoked_at is not None:
        raise ValidationError("This key is already revoked.")
    key.revoked_at = timezone.now()
    key.revoked_by = access.user
    key.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    audit.record(
        access=access, verb="api_key.revoked", target=key, before={"active": True}, after={"active": False}
    )
    return key
