"""Staff pages of MDF: funds and their allocations, and the queue of fund requests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from partners import queries as partner_queries
from prm.access import TenantAccess, TenantRequest
from prm.periods import fiscal_year_of
from prm.permissions import Perm
from prm.ui import form_status, paginate, require_perm, run_action, run_service, selected_tab

from .. import queries, services
from ..forms import (
    AllocationForm,
    DecideRequestForm,
    FundEditForm,
    FundForm,
    ReasonForm,
)
from ..models import Claim, FundRequest

REQUEST_TABS = [
    ("submitted", "Waiting"),
    ("approved", "Approved"),
    ("settled", "Claimed"),
    ("rejected", "Rejected"),
    ("expired", "Expired"),
    ("all", "All"),
]


# --- funds -------------------------------------------------------------------------------------


@require_perm(Perm.VIEW_PROGRAM)
def fund_list(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    access = request.access
    period = services.current_quarter(request.tenant)
    page = paginate(request, queries.funds(access), per_page=20)
    return render(
        request,
        "incentives/fund_list.html",
        {
            "page": page,
            "period": period,
            "report": queries.liability(access, period),
            "roi": queries.roi_by_tier(
                access, fiscal_year_of(timezone.localdate(), request.tenant.fiscal_year_start_month)
            ),
            "roi_rule": queries.ROI_BY_TIER_RULE,
            "expiring": queries.expiring_approvals(access).count(),
            "waiting_requests": queries.fund_requests(access)
            .filter(status=FundRequest.Status.SUBMITTED)
            .count(),
            "waiting_claims": queries.claims(access).filter(status=Claim.Status.SUBMITTED).count(),
            "can_manage": access.can(Perm.MANAGE_PROGRAM),
        },
    )


@require_perm(Perm.MANAGE_PROGRAM)
def fund_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = FundForm(
        request.POST or None,
        tiers=partner_queries.tier_ladder(request.access),
        initial={"period": services.current_quarter(request.tenant).label},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fund = run_service(
            form,
            lambda: services.fund_create(
                access=request.access,
                name=data["name"],
                period=data["period"],
                budget=data["budget"],
                claim_deadline=data["claim_deadline"],
                eligible_tier_ids=[t.pk for t in data["eligible_tiers"]],
                tier_amounts=form.tier_amounts(),
            ),
        )
        if fund is not None:
            messages.success(request, f"Fund “{fund}” created. Allocate it to partners next.")
            return redirect("fund_detail", tenant_slug=tenant_slug, fund_id=fund.pk)
    return render(request, "incentives/fund_form.html", {"form": form}, status=form_status(form))


@require_perm(Perm.MANAGE_PROGRAM)
def fund_edit(request: TenantRequest, tenant_slug: str, fund_id: int) -> HttpResponse:
    fund = queries.access_fund(request.access, fund_id)
    form = FundEditForm(
        request.POST or None, initial={"budget": fund.budget, "claim_deadline": fund.claim_deadline}
    )
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: services.fund_update(
                access=request.access,
                fund=fund,
                budget=form.cleaned_data["budget"],
                claim_deadline=form.cleaned_data["claim_deadline"],
            ),
        )
        if done is not None:
            messages.success(request, "Fund updated.")
            return redirect("fund_detail", tenant_slug=tenant_slug, fund_id=fund.pk)
    return render(
        request, "incentives/fund_edit.html", {"form": form, "fund": fund}, status=form_status(form)
    )


def _allocation_partners(access: TenantAccess, fund: Any):
    partners = partner_queries.active_partners(access)
    tier_ids = [t.pk for t in fund.eligible_tiers.all()]
    return partners.filter(tier_id__in=tier_ids) if tier_ids else partners


@require_perm(Perm.VIEW_PROGRAM)
def fund_detail(
    request: TenantRequest, tenant_slug: str, fund_id: int, form: AllocationForm | None = None
) -> HttpResponse:
    access = request.access
    fund = queries.access_fund(access, fund_id)
    allocations = queries.allocations(access).filter(fund=fund).order_by("partner__name")
    tier_names = {str(t.pk): t.name for t in fund.eligible_tiers.all()}
    return render(
        request,
        "incentives/fund_detail.html",
        {
            "fund": fund,
            "page": paginate(request, allocations, per_page=50),
            "form": form or AllocationForm(partners=_allocation_partners(access, fund)),
            "can_allocate": access.can(Perm.DECIDE_MDF_REQUESTS),
            "can_manage": access.can(Perm.MANAGE_PROGRAM),
            "tier_rule": [(tier_names.get(k, k), v) for k, v in fund.tier_amounts.items()],
            "expiring": queries.expiring_approvals(access).filter(allocation__fund=fund)[:20],
            "suggestions": queries.fund_reallocation_suggestions(fund),
            "allocation_report": _last_report(request, fund.pk),
            "order_rule": services.ORDER_RULE,
            "fit_rule": services.FIT_RULE,
        },
        status=form_status(form),
    )


@require_POST
@require_perm(Perm.DECIDE_MDF_REQUESTS)
def fund_allocate(request: TenantRequest, tenant_slug: str, fund_id: int) -> HttpResponse:
    fund = queries.access_fund(request.access, fund_id)
    form = AllocationForm(request.POST, partners=_allocation_partners(request.access, fund))
    if form.is_valid():
        data = form.cleaned_data
        done = run_service(
            form,
            lambda: services.allocation_set(
                access=request.access,
                fund=fund,
                partner=data["partner"],
                amount=data["amount"],
                note=data["note"],
            ),
        )
        if done is not None:
            messages.success(
                request, f"{data['partner'].name} is allocated {data['amount']:,.2f} {fund.currency}."
            )
            return redirect("fund_detail", tenant_slug=tenant_slug, fund_id=fund.pk)
    return fund_detail.__wrapped__(request, tenant_slug, fund_id, form=form)  # type: ignore[attr-defined]


REPORT_KEY = "mdf_allocation_report"


@require_POST
@require_perm(Perm.DECIDE_MDF_REQUESTS)
def fund_apply_tier_rule(request: TenantRequest, tenant_slug: str, fund_id: int) -> HttpResponse:
    fund = queries.access_fund(request.access, fund_id)
    return _allocation_run(
        request, fund, lambda: services.allocations_apply_tier_rule(access=request.access, fund=fund)
    )


@require_POST
@require_perm(Perm.DECIDE_MDF_REQUESTS)
def fund_allocate_from_jbp(request: TenantRequest, tenant_slug: str, fund_id: int) -> HttpResponse:
    fund = queries.access_fund(request.access, fund_id)
    return _allocation_run(
        request, fund, lambda: services.allocations_from_jbp(access=request.access, fund=fund)
    )


def _allocation_run(
    request: TenantRequest, fund: Any, run: Callable[[], services.AllocationReport]
) -> HttpResponse:
    """Run a programmatic allocation; its report (allocated, left out and why) is shown once on
    the fund's page after the redirect."""
    reports: list[services.AllocationReport] = []
    if run_action(request, lambda: reports.append(run()), "Allocation run finished: what happened is below."):
        request.session[REPORT_KEY] = {"fund": fund.pk, **reports[0].as_dict()}
    return redirect("fund_detail", tenant_slug=request.tenant.slug, fund_id=fund.pk)


def _last_report(request: TenantRequest, fund_id: int) -> dict[str, Any] | None:
    report = request.session.get(REPORT_KEY)
    if report and report.get("fund") == fund_id:
        del request.session[REPORT_KEY]
        return report
    return None


# --- requests ----------------------------------------------------------------------------------


@require_perm(Perm.VIEW_PROGRAM)
def request_queue(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    status = selected_tab(request, REQUEST_TABS)
    qs = queries.fund_requests(request.access).order_by("submitted_at", "pk")
    if status != "all":
        qs = qs.filter(status=status)
    return render(
        request,
        "incentives/request_queue.html",
        {
            "page": paginate(request, qs, per_page=25),
            "tabs": REQUEST_TABS,
            "current": status,
        },
    )


@require_perm(Perm.VIEW_PROGRAM)
def request_detail(
    request: TenantRequest, tenant_slug: str, mdf_request_id: int, **forms: Any
) -> HttpResponse:
    fund_request = queries.access_fund_request(request.access, mdf_request_id)
    claim = fund_request.claim
    return render(
        request,
        "incentives/request_detail.html",
        {
            "r": fund_request,
            "claim": claim,
            "approve_form": forms.get("approve_form") or DecideRequestForm(),
            "reject_form": forms.get("reject_form") or ReasonForm(),
            "can_decide": request.access.can(Perm.DECIDE_MDF_REQUESTS)
            and fund_request.status == FundRequest.Status.SUBMITTED,
        },
        status=400 if forms else 200,
    )


@require_POST
@require_perm(Perm.DECIDE_MDF_REQUESTS)
def request_approve(request: TenantRequest, tenant_slug: str, mdf_request_id: int) -> HttpResponse:
    fund_request = queries.access_fund_request(request.access, mdf_request_id)
    form = DecideRequestForm(request.POST)
    if form.is_valid():
        done = run_service(
            form,
            lambda: services.fund_request_approve(
                access=request.access,
                request=fund_request,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"] or "",
            ),
        )
        if done is not None:
            messages.success(request, f"Approved {done.approved_amount:,.2f} for “{done.title}”.")
            return redirect("mdf_request_queue", tenant_slug=tenant_slug)
    return request_detail.__wrapped__(request, tenant_slug, mdf_request_id, approve_form=form)  # type: ignore[attr-defined]


@require_POST
@require_perm(Perm.DECIDE_MDF_REQUESTS)
def request_reject(request: TenantRequest, tenant_slug: str, mdf_request_id: int) -> HttpResponse:
    fund_request = queries.access_fund_request(request.access, mdf_request_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        done = run_service(
            form,
            lambda: services.fund_request_reject(
                access=request.access, request=fund_request, reason=form.cleaned_data["reason"]
            ),
        )
        if done is not None:
            messages.success(request, f"Rejected “{done.title}”.")
            return redirect("mdf_request_queue", tenant_slug=tenant_slug)
    return request_detail.__wrapped__(request, tenant_slug, mdf_request_id, reject_form=form)  # type: ignore[attr-defined]
