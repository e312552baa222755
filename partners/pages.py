"""The partner page as a whole: the profile's own parts and the sections other apps register.

A section whose form failed (a rating, a tier proposal) re-renders the whole page with its
errors through ``partner_page``, so the user stays where they were and sees what to fix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import form_status, run_service

from . import queries, services
from .forms import CertificationForm, ContactForm, NoteForm, StatusChangeForm
from .models import Certification, Contact, Partner
from .sections import sections_for


def partner_page_context(request: TenantRequest, partner: Partner, **forms: Any) -> dict[str, Any]:
    """What the partner page shows; ``forms`` replace the page's own forms (status, note) with bound ones."""
    access = request.access
    can_edit = access.can(Perm.MANAGE_PARTNERS)
    return {
        "partner": partner,
        "can_edit": can_edit,
        "contacts": queries.contacts(access, partner, include_archived=True),
        "certifications": queries.certifications(access, partner),
        "timeline": queries.timeline(access, partner),
        "status_form": forms.get("status_form")
        or (StatusChangeForm(partner=partner) if can_edit and not partner.is_archived else None),
        "note_form": forms.get("note_form") or NoteForm(),
        "sections": sections_for(request, partner),
    }


def partner_page(
    request: TenantRequest,
    partner: Partner,
    *,
    status: int = 200,
    section_data: dict[str, dict[str, Any]] | None = None,
    **forms: Any,
) -> HttpResponse:
    """The partner page; ``section_data`` replaces a registered section's context by its key."""
    context = partner_page_context(request, partner, **forms)
    for item in context["sections"]:
        if section_data and item["section"].key in section_data:
            item["data"] = section_data[item["section"].key]
    return render(request, "partners/partner_detail.html", context, status=status)


# --- contact and certification forms: the same flow on staff pages and in the portal -----------


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
