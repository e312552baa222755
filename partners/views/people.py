"""Contacts and certifications of a partner: staff pages here, and the form handling that the
portal reuses for a partner admin's own company."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import require_perm

from .. import queries, services
from ..pages import handle_certification_form, handle_contact_form, handle_set_archived


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
