"""Core pages: home and tenant picker, members and invitations, API keys, audit, health."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import queries, services
from .access import TenantAccess, TenantRequest
from .forms import AcceptInvitationForm, ApiKeyForm, InvitationForm, RoleAndPartnerForm
from .models import Invitation, Tenant, User, partner_model
from .overview import widgets_for
from .periods import fiscal_quarter_of, month_label
from .permissions import ROLES_PARTNER_ADMIN_MAY_GRANT, Perm, Role
from .tenancy import tenant_context
from .ui import any_member, apply_service_errors, paginate, require_perm, run_service


def home(request: HttpRequest) -> HttpResponse:
    """Send a signed-in user to their tenant, or to the picker when they have several."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    memberships = list(queries.memberships_of(cast(User, request.user)))
    if len(memberships) == 1:
        return redirect("tenant_home", tenant_slug=memberships[0].tenant.slug)
    return redirect("tenant_picker")


@login_required
def tenant_picker(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required lets only signed-in users through
    return render(request, "prm/tenant_picker.html", {"memberships": queries.memberships_of(user)})


@any_member
def tenant_home(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """Staff land on the program overview; partner roles on their portal."""
    if request.access.is_partner:
        return redirect("portal:home", tenant_slug=tenant_slug)
    return render(
        request,
        "prm/tenant_home.html",
        {
            "widgets": widgets_for(request),
            "recent_events": queries.audit_events(request.access)[:8]
            if request.access.can(Perm.VIEW_AUDIT)
            else [],
            "fiscal_start_label": month_label(request.tenant.fiscal_year_start_month),
            "current_quarter": fiscal_quarter_of(
                timezone.localdate(), request.tenant.fiscal_year_start_month
            ),
        },
    )


# --- members ---------------------------------------------------------------------------------


@require_perm(Perm.MANAGE_MEMBERS)
def members(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _token = services.invitation_create(
                access=request.access,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                partner_id=form.cleaned_data["partner_id"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("members", tenant_slug=tenant_slug)
    return render(
        request,
        "prm/members.html",
        {
            "page": paginate(request, queries.members(request.access)),
            "invitations": paginate(
                request, queries.invitations(request.access, pending_only=True), param="invitations_page"
            ),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@require_perm(Perm.MANAGE_MEMBERS)
def member_edit(request: TenantRequest, tenant_slug: str, member_id: int) -> HttpResponse:
    membership = queries.access_member(request.access, member_id)
    form = RoleAndPartnerForm(
        request.POST or None, initial={"role": membership.role, "partner": membership.partner_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_change_role(
                access=request.access,
                membership=membership,
                role=form.cleaned_data["role"],
                partner_id=form.cleaned_data["partner_id"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{membership.user} is now {membership.get_role_display()}.")
            return redirect("members", tenant_slug=tenant_slug)
    return render(
        request,
        "prm/member_edit.html",
        {"membership": membership, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@require_perm(Perm.MANAGE_MEMBERS)
def member_set_active(request: TenantRequest, tenant_slug: str, member_id: int, active: bool) -> HttpResponse:
    membership = queries.access_member(request.access, member_id)
    service = services.membership_reactivate if active else services.membership_deactivate
    try:
        service(access=request.access, membership=membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        verb = "reactivated" if active else "deactivated"
        messages.success(request, f"{membership.user} {verb}.")
    return redirect("members", tenant_slug=tenant_slug)


@require_POST
@any_member  # admins revoke any invitation, partner admins their company's (checked below)
def invitation_revoke(request: TenantRequest, tenant_slug: str, invitation_id: int) -> HttpResponse:
    if not (request.access.can(Perm.MANAGE_MEMBERS) or request.access.can(Perm.INVITE_COLLEAGUES)):
        raise Http404
    invitation = queries.access_invitation(request.access, invitation_id)
    try:
        services.invitation_revoke(access=request.access, invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Invitation for {invitation.email} revoked.")
    if request.access.is_partner:
        return redirect("portal:team", tenant_slug=tenant_slug)
    return redirect("members", tenant_slug=tenant_slug)


# --- API keys --------------------------------------------------------------------------------


@never_cache  # the page may carry a new key's secret
@require_perm(Perm.MANAGE_API_KEYS)
def api_keys(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    new_key, new_secret = None, None
    if request.method == "POST" and form.is_valid():
        try:
            new_key, new_secret = services.api_key_create(
                access=request.access,
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                partner_id=form.cleaned_data["partner_id"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            form = ApiKeyForm()
    return render(
        request,
        "prm/api_keys.html",
        {
            "keys": paginate(request, queries.api_keys(request.access)),
            "form": form,
            "new_secret": new_secret,
            "new_key": new_key,
        },
        status=400 if form.errors else 200,
    )


@require_POST
@require_perm(Perm.MANAGE_API_KEYS)
def api_key_revoke(request: TenantRequest, tenant_slug: str, api_key_id: int) -> HttpResponse:
    key = queries.access_api_key(request.access, api_key_id)
    try:
        services.api_key_revoke(access=request.access, key=key)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"API key “{key.name}” revoked.")
    return redirect("api_keys", tenant_slug=tenant_slug)


@require_perm(Perm.VIEW_AUDIT)
def audit_log(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    return render(
        request, "prm/audit_log.html", {"page": paginate(request, queries.audit_events(request.access), 50)}
    )


# --- portal team (partner admins invite colleagues) ------------------------------------------


@require_perm(Perm.USE_PORTAL)
def portal_team(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    access = request.access
    may_invite = access.can(Perm.INVITE_COLLEAGUES)
    # Least privilege first: "Partner user" is the default choice.
    roles = sorted(
        ((value, label) for value, label in Role.choices if value in ROLES_PARTNER_ADMIN_MAY_GRANT),
        key=lambda choice: choice[0] != Role.PARTNER_USER,
    )
    form = InvitationForm(request.POST or None, roles=roles, fixed_partner=_own_partner(access))
    if request.method == "POST":
        if not may_invite:
            raise Http404
        if form.is_valid():
            try:
                invitation, _token = services.invitation_create(
                    access=access,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    partner_id=access.partner_id,
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("portal:team", tenant_slug=tenant_slug)
    return render(
        request,
        "portal/team.html",
        {
            "colleagues": paginate(request, queries.members(access).filter(is_active=True)),
            "invitations": paginate(
                request,
                queries.invitations(access, pending_only=True) if may_invite else Invitation.objects.none(),
                param="invitations_page",
            ),
            "form": form if may_invite else None,
        },
        status=400 if form.errors else 200,
    )


def _own_partner(access: TenantAccess) -> Model:
    return partner_model()._default_manager.get(pk=access.require_partner(), tenant_id=access.tenant.pk)


# --- invitations (outside any membership: the token is the key) --------------------------------


@never_cache
def invitation_accept(request: HttpRequest, tenant_slug: str, token: str) -> HttpResponse:
    # An unknown tenant and an unknown token look the same: the link reveals nothing.
    tenant = Tenant.objects.filter(slug=tenant_slug, is_active=True).first()
    if tenant is None:
        return render(request, "prm/invitation_invalid.html", status=404)
    with tenant_context(tenant):
        invitation = queries.usable_invitation(token=token)
        if invitation is None:
            return render(request, "prm/invitation_invalid.html", status=404)
        existing_user = User.objects.filter(email=invitation.email).first()
        if request.user.is_authenticated:
            return _accept_as_signed_in(request, tenant, invitation, request.user)
        if existing_user is not None:
            messages.info(
                request, f"Sign in as {invitation.email} to accept the invitation to {tenant.name}."
            )
            return redirect(f"{reverse('account_login')}?next={request.path}")
        form = AcceptInvitationForm(request.POST or None, email=invitation.email)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            accepted = run_service(
                form,
                lambda: services.invitation_accept_as_new_user(
                    invitation=invitation,
                    full_name=data.get("full_name", ""),
                    password=None if data.get("use_codes") else data["password1"],
                ),
            )
            if accepted is not None:
                login(request, accepted[0], backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"Welcome to {tenant.name}.")
                return redirect("tenant_home", tenant_slug=tenant.slug)
        return render(
            request,
            "prm/invitation_accept.html",
            {"invitation": invitation, "invited_tenant": tenant, "form": form},
            status=400 if form.errors else 200,
        )


def _accept_as_signed_in(
    request: HttpRequest, tenant: Tenant, invitation: Invitation, user: User
) -> HttpResponse:
    if request.method != "POST":
        return render(
            request,
            "prm/invitation_accept.html",
            {"invitation": invitation, "invited_tenant": tenant, "form": None},
        )
    try:
        services.invitation_accept(invitation=invitation, user=user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("home")
    messages.success(request, f"You joined {tenant.name}.")
    return redirect("tenant_home", tenant_slug=tenant.slug)


# --- health ----------------------------------------------------------------------------------


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {type(error).__name__}"
    if settings.REDIS_URL:
        try:
            from .celery import app  # the broker client, needed only when a broker is configured

            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = "ok"
        except Exception as error:
            checks["broker"] = f"error: {type(error).__name__}"
    else:
        checks["broker"] = "not configured (tasks run in-process)"
    healthy = all(v == "ok" or v.startswith("not configured") for v in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)
