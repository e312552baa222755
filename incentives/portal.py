"""Partner portal pages of incentives, always built from the member's own partner: MDF balance,
requests and claims with their status, claiming with proof uploads, rebate accruals and
statements. Another partner's request, claim or statement is a 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from pipeline import queries as pipeline_queries
from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import form_status, paginate, require_perm, run_service

from . import queries, services
from .forms import ClaimForm, FundRequestForm
from .metrics import REBATE_FORECAST_RULE
from .models import Claim, FundRequest
from .pages import proof_response


@require_perm(Perm.USE_PORTAL)
def portal_mdf(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    access = request.access
    partner_id = access.require_partner()
    today = timezone.localdate()
    return render(
        request,
        "portal/mdf.html",
        {
            "balance": queries.partner_balance(access, partner_id),
            "allocations": queries.allocations(access)
            .filter(fund__claim_deadline__gte=today)
            .order_by("fund__claim_deadline")[:20],
            "page": paginate(request, queries.fund_requests(access).prefetch_related("claims"), per_page=25),
        },
    )


@require_perm(Perm.USE_PORTAL)
def portal_request_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    access = request.access
    allocations = (
        queries.allocations(access)
        .filter(fund__claim_deadline__gte=timezone.localdate())
        .order_by("fund__claim_deadline")
    )
    form = FundRequestForm(request.POST or None, allocations=allocations)
    if request.method == "POST" and form.is_valid():
        created = run_service(
            form,
            lambda: services.fund_request_submit(
                access=access, allocation=form.cleaned_data["allocation"], fields=form.request_fields()
            ),
        )
        if created is not None:
            messages.success(
                request, "Request submitted. Your partner manager decides on it; you see the answer here."
            )
            return redirect("portal:mdf_request_detail", tenant_slug=tenant_slug, mdf_request_id=created.pk)
    return render(
        request,
        "portal/mdf_request_form.html",
        {"form": form, "has_funds": allocations.exists()},
        status=form_status(form),
    )


@require_perm(Perm.USE_PORTAL)
def portal_request_detail(request: TenantRequest, tenant_slug: str, mdf_request_id: int) -> HttpResponse:
    access = request.access
    fund_request = queries.access_fund_request(access, mdf_request_id)
    claim: Claim | None = fund_request.claim
    claimable = (
        fund_request.status == FundRequest.Status.APPROVED
        and (claim is None or claim.status == Claim.Status.REJECTED)
        and timezone.localdate() <= fund_request.allocation.fund.claim_deadline
    )
    # Deals the activity could have sourced: registered since it started.
    registrations = pipeline_queries.registrations_since(
        access, access.require_partner(), fund_request.starts_on
    )
    initial: dict[str, Any] = {}
    if claim is not None:  # a resubmission starts from what was sent before
        initial = {
            "actual_cost": claim.actual_cost,
            "amount": claim.amount,
            "leads": claim.leads,
            "pipeline_sourced": claim.pipeline_sourced,
            "notes": claim.notes,
        }
    form = (
        ClaimForm(request.POST or None, request.FILES or None, registrations=registrations, initial=initial)
        if claimable
        else None
    )
    if form is not None and request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: services.claim_submit(
                access=access,
                request=fund_request,
                fields=form.claim_fields(),
                files=form.cleaned_data["proof"],
                registration_ids=form.registration_ids(),
            ),
        )
        if done is not None:
            messages.success(
                request, "Claim submitted with your proof of performance. Finance reviews it next."
            )
            return redirect(
                "portal:mdf_request_detail", tenant_slug=tenant_slug, mdf_request_id=fund_request.pk
            )
    context: dict[str, Any] = {"r": fund_request, "claim": claim, "form": form}
    if claim is not None:
        context["documents"] = list(claim.documents.all())
        context["payouts"] = list(claim.payouts.all())
    return render(request, "portal/mdf_request_detail.html", context, status=form_status(form))


@require_perm(Perm.USE_PORTAL)
def portal_proof_download(request: TenantRequest, tenant_slug: str, proof_id: int) -> FileResponse:
    return proof_response(request, proof_id)


@require_perm(Perm.USE_PORTAL)
def portal_rebates(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    access = request.access
    return render(
        request,
        "portal/rebates.html",
        {
            "accruals": queries.accruals(access).order_by("-program__starts_on")[:20],
            "statements": queries.statements(access).order_by("-program__starts_on")[:20],
            "forecast_rule": REBATE_FORECAST_RULE,
        },
    )


@require_perm(Perm.USE_PORTAL)
def portal_statement_detail(request: TenantRequest, tenant_slug: str, statement_id: int) -> HttpResponse:
    statement = queries.access_statement(request.access, statement_id)
    return render(request, "portal/rebate_statement.html", {"statement": statement})
