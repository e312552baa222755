"""The partner's own QBR in the portal: the same pack as the staff page, for the member's own
partner only (taken from the membership, never from the URL)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from partners import queries as partner_queries
from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import require_perm

from . import exports, queries
from .models import ReportExport
from .pages import download_response, qbr_csv, qbr_page


@require_perm(Perm.USE_PORTAL)
def portal_qbr(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    partner = partner_queries.own_partner(request.access)
    return qbr_page(request, partner, portal=True)


@require_perm(Perm.USE_PORTAL)
def portal_qbr_csv(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    return qbr_csv(request, partner_queries.own_partner(request.access))


@require_POST
@require_perm(Perm.USE_PORTAL)
def portal_qbr_pdf(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    partner = partner_queries.own_partner(request.access)
    period = queries.period_from(request.access, request.POST.get("period"))
    exports.export_request(
        access=request.access, kind=ReportExport.Kind.QBR, period=period, partner_id=partner.pk
    )
    messages.success(
        request, f"Your QBR pack for {period.label} is being prepared; it appears below when ready."
    )
    return redirect(
        reverse("portal:qbr", kwargs={"tenant_slug": tenant_slug}) + f"?period={period.label}#exports"
    )


@require_perm(Perm.USE_PORTAL)
def portal_export_download(request: TenantRequest, tenant_slug: str, report_export_id: int) -> HttpResponse:
    return download_response(queries.access_export(request.access, report_export_id))
