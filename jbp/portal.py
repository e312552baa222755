"""Partner portal pages of joint business plans: always built from the member's own partner.

Plans are read through ``queries`` with the member's access, which confines them to the
member's partner and hides drafts: another partner's plan is a 404. The portal renders the
same templates as the staff pages, with the partner's actions.
"""

from __future__ import annotations

from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import paginate, require_perm

from . import pages, queries, services

NS = "portal:"


@require_perm(Perm.USE_PORTAL)
def portal_plan_list(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    access = request.access
    page = paginate(request, queries.plan_list(access))
    return render(
        request,
        "jbp/portal_plan_list.html",
        {
            "page": page,
            "items": list(queries.my_action_items(access)[:20]),
        },
    )


@require_perm(Perm.USE_PORTAL)
def portal_plan_detail(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    plan = queries.access_plan(request.access, plan_id)
    return render(request, "jbp/plan_detail.html", pages.detail_context(request, plan, ns=NS))


@require_perm(Perm.APPROVE_OWN_PLAN)
def portal_investment_edit(
    request: TenantRequest, tenant_slug: str, plan_id: int, investment_id: int | None = None
) -> HttpResponse:
    return pages.investment_form(request, plan_id, investment_id, ns=NS)


@require_POST
@require_perm(Perm.APPROVE_OWN_PLAN)
def portal_plan_approve(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    plan = queries.access_plan(request.access, plan_id)
    return pages.do_transition(
        request,
        plan,
        services.plan_partner_approve,
        "Approved for your company. The vendor's executive sponsor signs next.",
        NS,
    )


@require_POST
@require_perm(Perm.USE_PORTAL)
def portal_comment_add(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    return pages.add_comment(request, queries.access_plan(request.access, plan_id), ns=NS)


@require_perm(Perm.USE_PORTAL)
def portal_plan_versions(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    return pages.versions_page(request, queries.access_plan(request.access, plan_id), ns=NS)


@require_perm(Perm.USE_PORTAL)
def portal_review_detail(
    request: TenantRequest, tenant_slug: str, plan_id: int, plan_review_id: int
) -> HttpResponse:
    return pages.review_page(request, queries.access_plan(request.access, plan_id), plan_review_id, ns=NS)


@require_POST
@require_perm(Perm.USE_PORTAL)
def portal_action_item_done(
    request: TenantRequest, tenant_slug: str, plan_id: int, action_item_id: int
) -> HttpResponse:
    return pages.complete_item(request, queries.access_plan(request.access, plan_id), action_item_id, ns=NS)


@require_POST
@require_perm(Perm.USE_PORTAL)
def portal_export_request(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    return pages.request_export(request, queries.access_plan(request.access, plan_id), ns=NS)


@require_perm(Perm.USE_PORTAL)
def portal_export_status(
    request: TenantRequest, tenant_slug: str, plan_id: int, export_id: int
) -> HttpResponse:
    return pages.export_status(request, queries.access_plan(request.access, plan_id), export_id, ns=NS)


@require_perm(Perm.USE_PORTAL)
def portal_export_download(
    request: TenantRequest, tenant_slug: str, plan_id: int, export_id: int
) -> FileResponse:
    return pages.export_download(queries.access_plan(request.access, plan_id), export_id)
