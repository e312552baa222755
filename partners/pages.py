"""The partner page as a whole: the profile's own parts and the sections other apps register.

A section whose form failed (a rating, a tier proposal) re-renders the whole page with its
errors through ``partner_page``, so the user stays where they were and sees what to fix.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render

from prm.access import TenantRequest
from prm.permissions import Perm

from . import queries
from .forms import NoteForm, StatusChangeForm
from .models import Partner
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
