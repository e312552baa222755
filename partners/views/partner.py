"""One partner: its page, create and edit, lifecycle status, archive, notes and logo."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import any_member, form_status, require_perm, run_service

from .. import queries, services
from ..forms import NoteForm, PartnerForm, StatusChangeForm
from ..pages import partner_page

PARTNER_PAGE = "partner_detail"


@require_perm(Perm.VIEW_PROGRAM)
def partner_detail(request: TenantRequest, tenant_slug: str, partner_id: int) -> HttpResponse:
    partner = queries.access_partner(request.access, partner_id)
    return partner_page(request, partner)


@require_perm(Perm.MANAGE_PARTNERS)
def partner_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = PartnerForm(request.POST or None, request.FILES or None, staff=queries.staff_users(request.access))
    if request.method == "POST" and form.is_valid():
        partner = run_service(
            form,
            lambda: services.partner_create(
                access=request.access,
                fields=form.changed_fields(services.STAFF_FIELDS),
                attributes=form.attribute_values(),
            ),
        )
        if partner is not None:
            messages.success(request, f"{partner.name} added to the program as a prospect.")
            return redirect(PARTNER_PAGE, tenant_slug=tenant_slug, partner_id=partner.pk)
    return render(
        request, "partners/partner_form.html", {"form": form, "partner": None}, status=form_status(form)
    )


@require_perm(Perm.MANAGE_PARTNERS)
def partner_edit(request: TenantRequest, tenant_slug: str, partner_id: int) -> HttpResponse:
    partner = queries.access_partner(request.access, partner_id)
    if partner.is_archived:
        messages.error(request, "This partner is archived. Restore it before changing it.")
        return redirect(PARTNER_PAGE, tenant_slug=tenant_slug, partner_id=partner.pk)
    form = PartnerForm(
        request.POST or None,
        request.FILES or None,
        instance=partner,
        staff=queries.staff_users(request.access),
    )
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: services.partner_update(
                access=request.access,
                partner=partner,
                fields=form.changed_fields(services.STAFF_FIELDS),
                attributes=form.attribute_values(),
            ),
        )
        if done is not None:
            messages.success(request, f"{partner.name} saved.")
            return redirect(PARTNER_PAGE, tenant_slug=tenant_slug, partner_id=partner.pk)
    return render(
        request, "partners/partner_form.html", {"form": form, "partner": partner}, status=form_status(form)
    )


@require_POST
@require_perm(Perm.MANAGE_PARTNERS)
def partner_status(request: TenantRequest, tenant_slug: str, partner_id: int) -> HttpResponse:
    partner = queries.access_partner(request.access, partner_id)
    form = StatusChangeForm(request.POST, partner=partner)
    if form.is_valid():
        before = partner.get_status_display()
        done = run_service(
            form,
            lambda: services.partner_change_status(
                access=request.access,
                partner=partner,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            ),
        )
        if done is not None:
            messages.success(request, f"{partner.name}: {before} → {partner.get_status_display()}.")
            return redirect(PARTNER_PAGE, tenant_slug=tenant_slug, partner_id=partner.pk)
    return partner_page(request, partner, status=400, status_form=form)


@require_POST
@require_perm(Perm.MANAGE_PARTNERS)
def partner_set_archived(
    request: TenantRequest, tenant_slug: str, partner_id: int, archived: bool
) -> HttpResponse:
    partner = queries.access_partner(request.access, partner_id)
    service = services.partner_archive if archived else services.partner_restore
    try:
        service(access=request.access, partner=partner)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{partner.name} {'archived' if archived else 'restored'}.")
    return redirect(PARTNER_PAGE, tenant_slug=tenant_slug, partner_id=partner.pk)


@require_POST
@require_perm(Perm.VIEW_PROGRAM)
def partner_add_note(request: TenantRequest, tenant_slug: str, partner_id: int) -> HttpResponse:
    partner = queries.access_partner(request.access, partner_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        note = run_service(
            form,
            lambda: services.partner_add_note(
                access=request.access, partner=partner, body=form.cleaned_data["body"]
            ),
        )
        if note is not None:
            messages.success(request, "Note added to the timeline.")
            return redirect(reverse(PARTNER_PAGE, args=[tenant_slug, partner.pk]) + "#timeline")
    return partner_page(request, partner, status=400, note_form=form)


@any_member
def partner_logo(request: TenantRequest, tenant_slug: str, partner_id: int) -> HttpResponseBase:
    """The partner's logo, to members who may see the partner (staff, or the partner itself)."""
    if not (request.access.can(Perm.VIEW_PROGRAM) or request.access.can(Perm.USE_PORTAL)):
        raise Http404
    partner = queries.access_partner(request.access, partner_id)
    if not partner.logo:
        raise Http404
    response = FileResponse(partner.logo.open("rb"))
    response["Cache-Control"] = "private, max-age=3600"
    return response
