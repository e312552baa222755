"""Contacts and certifications of a partner: staff pages here, and the form handling that the
portal reuses for a partner admin's own company."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import form_status, require_perm, run_service

from .. import queries, services
from ..forms import CertificationForm, ContactForm
from ..models import Certification, Contact, Partner


def handle_contact_form(
    request: TenantRequest, partner: Partner, contact: Contact | None, done_url: str, cancel_url: str
) -> HttpResponse:
    form = ContactForm(request.POST or None, instance=contact, partner=partner)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in ContactForm.Meta.fields}
        if contact is None:
            saved = run_service(
                form, lambda: services.contact_create(access=request.access, partner=partner, fields=fields)
            )
        else:
            saved = run_service(
                form, lambda: services.contact_update(access=request.access, contact=contact, fields=fields)
            )
        if saved is not None:
            messages.success(request, f"Contact {saved.name} saved.")
            return redirect(done_url)
    return render(
        request,
        "partners/contact_form.html",
        {"form": form, "partner": partner, "contact": contact, "cancel_url": cancel_url},
        status=form_status(form),
    )


def handle_certification_form(
    request: TenantRequest,
    partner: Partner,
    certification: Certification | None,
    done_url: str,
    cancel_url: str,
) -> HttpResponse:
    form = CertificationForm(request.POST or None, instance=certification, partner=partner)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in CertificationForm.Meta.fields}
        if certification is None:
            saved = run_service(
                form,
                lambda: services.certification_create(access=request.access, partner=partner, fields=fields),
            )
        else:
            saved = run_service(
                form,
                lambda: services.certification_update(
                    access=request.access, certification=certification, fields=fields
                ),
            )
        if saved is not None:
            messages.success(request, f"Certification {saved} saved.")
            return redirect(done_url)
    return render(
        request,
        "partners/certification_form.html",
        {"form": form, "partner": partner, "certification": certification, "cancel_url": cancel_url},
        status=form_status(form),
    )


def handle_set_archived(
    request: TenantRequest, call: Callable[[], object], done: str, label: str
) -> HttpResponse:
    try:
        call()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, label)
    return redirect(done)


def _partner_url(tenant_slug: str, partner_id: int, anchor: str) -> str:
    return reverse("partner_detail", args=[tenant_slug, partner_id]) + anchor


# --- staff pages -------------------------------------------------------------------------------


@require_perm(Perm.MANAGE_PARTNERS)
def contact_create(request: TenantRequest, tenant_slug: str, partner_id: int) -> HttpResponse:
    partner = queries.access_partner(request.access, partner_id)
    url = _partner_url(tenant_slug, partner.pk, "#contacts")
    return handle_contact_form(request, partner, None, url, url)


@require_perm(Perm.MANAGE_PARTNERS)
def contact_edit(request: TenantRequest, tenant_slug: str, contact_id: int) -> HttpResponse:
    contact = queries.access_contact(request.access, contact_id)
    url = _partner_url(tenant_slug, contact.partner_id, "#contacts")
    return handle_contact_form(request, contact.partner, contact, url, url)


@require_POST
@require_perm(Perm.MANAGE_PARTNERS)
def contact_set_archived(
    request: TenantRequest, tenant_slug: str, contact_id: int, archived: bool
) -> HttpResponse:
    contact = queries.access_contact(request.access, contact_id)
    return handle_set_archived(
        request,
        lambda: services.contact_set_archived(access=request.access, contact=contact, archived=archived),
        _partner_url(tenant_slug, contact.partner_id, "#contacts"),
        f"{contact.name} {'archived' if archived else 'restored'}.",
    )


@require_perm(Perm.MANAGE_PARTNERS)
def certification_create(request: TenantRequest, tenant_slug: str, partner_id: int) -> HttpResponse:
    partner = queries.access_partner(request.access, partner_id)
    url = _partner_url(tenant_slug, partner.pk, "#certifications")
    return handle_certification_form(request, partner, None, url, url)


@require_perm(Perm.MANAGE_PARTNERS)
def certification_edit(request: TenantRequest, tenant_slug: str, certification_id: int) -> HttpResponse:
    certification = queries.access_certification(request.access, certification_id)
    url = _partner_url(tenant_slug, certification.partner_id, "#certifications")
    return handle_certification_form(request, certification.partner, certification, url, url)


@require_POST
@require_perm(Perm.MANAGE_PARTNERS)
def certification_archive(request: TenantRequest, tenant_slug: str, certification_id: int) -> HttpResponse:
    certification = queries.access_certification(request.access, certification_id)
    return handle_set_archived(
        request,
        lambda: services.certification_set_archived(
            access=request.access, certification=certification, archived=True
        ),
        _partner_url(tenant_slug, certification.partner_id, "#certifications"),
        f"{certification} removed from the partner's record (kept in the audit trail).",
    )
