"""Partner portal pages: always built from the member's own partner.

Every object is looked up through ``queries`` with the member's access, which confines it to
the member's partner; a contact or certification of another partner is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from prm import queries as core_queries
from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import form_status, require_perm, run_service

from . import queries, services
from .forms import PortalProfileForm
from .pages import handle_certification_form, handle_contact_form, handle_set_archived


def _home(tenant_slug: str, anchor: str = "") -> str:
    return reverse("portal:home", args=[tenant_slug]) + anchor


@require_perm(Perm.USE_PORTAL)
def portal_home(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    access = request.access
    partner = queries.own_partner(access)
    return render(
        request,
        "portal/home.html",
        {
            "partner": partner,
            "contacts": queries.contacts(access, partner),
            "certifications": queries.certifications(access, partner),
            "colleague_count": core_queries.members(access).filter(is_active=True).count(),
            "can_edit": access.can(Perm.EDIT_OWN_PARTNER),
        },
    )


@require_perm(Perm.EDIT_OWN_PARTNER)
def portal_profile_edit(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    partner = queries.own_partner(request.access)
    form = PortalProfileForm(request.POST or None, request.FILES or None, instance=partner)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: services.partner_update_own_profile(
                access=request.access,
                partner=partner,
                fields=form.changed_fields(services.PORTAL_FIELDS),
                attributes=form.attribute_values(),
            ),
        )
        if done is not None:
            messages.success(request, "Your company profile is saved. The program team sees the change now.")
            return redirect(_home(tenant_slug))
    return render(
        request, "portal/profile_form.html", {"form": form, "partner": partner}, status=form_status(form)
    )


@require_perm(Perm.EDIT_OWN_PARTNER)
def portal_contact_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    partner = queries.own_partner(request.access)
    url = _home(tenant_slug, "#contacts")
    return handle_contact_form(request, partner, None, url, url)


@require_perm(Perm.EDIT_OWN_PARTNER)
def portal_contact_edit(request: TenantRequest, tenant_slug: str, contact_id: int) -> HttpResponse:
    contact = queries.access_contact(request.access, contact_id)
    url = _home(tenant_slug, "#contacts")
    return handle_contact_form(request, contact.partner, contact, url, url)


@require_POST
@require_perm(Perm.EDIT_OWN_PARTNER)
def portal_contact_archive(request: TenantRequest, tenant_slug: str, contact_id: int) -> HttpResponse:
    contact = queries.access_contact(request.access, contact_id)
    return handle_set_archived(
        request,
        lambda: services.contact_set_archived(access=request.access, contact=contact, archived=True),
        _home(tenant_slug, "#contacts"),
        f"{contact.name} removed from your contacts.",
    )


@require_perm(Perm.EDIT_OWN_PARTNER)
def portal_certification_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    partner = queries.own_partner(request.access)
    url = _home(tenant_slug, "#certifications")
    return handle_certification_form(request, partner, None, url, url)


@require_perm(Perm.EDIT_OWN_PARTNER)
def portal_certification_edit(
    request: TenantRequest, tenant_slug: str, certification_id: int
) -> HttpResponse:
    certification = queries.access_certification(request.access, certification_id)
    url = _home(tenant_slug, "#certifications")
    return handle_certification_form(request, certification.partner, certification, url, url)
