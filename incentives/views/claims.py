"""Staff pages of MDF claims and payouts (with the accounts-payable export)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from prm.access import TenantRequest
from prm.csvfile import SafeWriter
from prm.permissions import Perm
from prm.ui import paginate, require_perm, run_service, selected_tab

from .. import queries, services
from ..forms import (
    ApproveClaimForm,
    PayoutForm,
    ReasonForm,
)
from ..models import Claim
from ..pages import proof_response

CLAIM_TABS = [
    ("submitted", "Waiting for finance"),
    ("approved", "Approved, unpaid"),
    ("paid", "Paid"),
    ("rejected", "Rejected"),
    ("all", "All"),
]


# --- claims and payouts ------------------------------------------------------------------------


@require_perm(Perm.VIEW_PROGRAM)
def claim_queue(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    status = selected_tab(request, CLAIM_TABS)
    qs = queries.claims(request.access).order_by("submitted_at", "pk")
    if status != "all":
        qs = qs.filter(status=status)
    return render(
        request,
        "incentives/claim_queue.html",
        {
            "page": paginate(request, qs, per_page=25),
            "tabs": CLAIM_TABS,
            "current": status,
        },
    )


@require_perm(Perm.VIEW_PROGRAM)
def claim_detail(request: TenantRequest, tenant_slug: str, claim_id: int, **forms: Any) -> HttpResponse:
    access = request.access
    claim = queries.access_claim(access, claim_id)
    user_id = access.user.pk if access.user else None
    conflicted = user_id in {
        claim.request.requested_by_id,
        claim.request.decided_by_id,
        claim.submitted_by_id,
    }
    return render(
        request,
        "incentives/claim_detail.html",
        {
            "claim": claim,
            "r": claim.request,
            "approve_form": forms.get("approve_form") or ApproveClaimForm(),
            "reject_form": forms.get("reject_form") or ReasonForm(),
            "payout_form": forms.get("payout_form") or PayoutForm(),
            "can_decide": access.can(Perm.APPROVE_MONEY)
            and claim.status == Claim.Status.SUBMITTED
            and not conflicted,
            "four_eyes_blocked": access.can(Perm.APPROVE_MONEY)
            and claim.status == Claim.Status.SUBMITTED
            and conflicted,
            "can_pay": access.can(Perm.APPROVE_MONEY) and claim.status == Claim.Status.APPROVED,
        },
        status=400 if forms else 200,
    )


def _claim_action(
    request: TenantRequest,
    tenant_slug: str,
    claim_id: int,
    form: Any,
    name: str,
    service: Callable[[Claim, dict[str, Any]], Any],
    success: Callable[[Any], str],
) -> HttpResponse:
    claim = queries.access_claim(request.access, claim_id)
    if form.is_valid():
        try:
            done = run_service(form, lambda: service(claim, form.cleaned_data))
        except PermissionDenied as error:
            form.add_error(None, str(error))
            done = None
        if done is not None:
            messages.success(request, success(done))
            return redirect("mdf_claim_detail", tenant_slug=tenant_slug, claim_id=claim.pk)
    return claim_detail.__wrapped__(request, tenant_slug, claim_id, **{name: form})  # type: ignore[attr-defined]


@require_POST
@require_perm(Perm.APPROVE_MONEY)
def claim_approve(request: TenantRequest, tenant_slug: str, claim_id: int) -> HttpResponse:
    return _claim_action(
        request,
        tenant_slug,
        claim_id,
        ApproveClaimForm(request.POST),
        "approve_form",
        lambda claim, data: services.claim_approve(access=request.access, claim=claim, amount=data["amount"]),
        lambda claim: f"Claim approved: {claim.approved_amount:,.2f} is owed to {claim.partner.name}.",
    )


@require_POST
@require_perm(Perm.APPROVE_MONEY)
def claim_reject(request: TenantRequest, tenant_slug: str, claim_id: int) -> HttpResponse:
    return _claim_action(
        request,
        tenant_slug,
        claim_id,
        ReasonForm(request.POST),
        "reject_form",
        lambda claim, data: services.claim_reject(access=request.access, claim=claim, reason=data["reason"]),
        lambda claim: "Claim rejected; the partner may correct and resubmit it.",
    )


@require_POST
@require_perm(Perm.APPROVE_MONEY)
def claim_pay(request: TenantRequest, tenant_slug: str, claim_id: int) -> HttpResponse:
    return _claim_action(
        request,
        tenant_slug,
        claim_id,
        PayoutForm(request.POST),
        "payout_form",
        lambda claim, data: services.payout_record(
            access=request.access,
            claim=claim,
            reference=data["reference"],
            paid_on=data["paid_on"],
            amount=data["amount"],
        ),
        lambda payout: f"Payout {payout.reference} of {payout.amount:,.2f} recorded.",
    )


@require_perm(Perm.VIEW_PROGRAM)
def proof_download(request: TenantRequest, tenant_slug: str, proof_id: int) -> FileResponse:
    return proof_response(request, proof_id)


@require_perm(Perm.VIEW_PROGRAM)
def payout_list(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    return render(
        request,
        "incentives/payout_list.html",
        {
            "page": paginate(request, queries.payouts(request.access), per_page=50),
        },
    )


AP_COLUMNS = [
    "payment_reference",
    "paid_on",
    "partner",
    "partner_id",
    "amount",
    "currency",
    "fund",
    "activity",
    "claim_id",
]


@require_perm(Perm.APPROVE_MONEY)
def payout_export(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """Every payout as CSV for the accounts-payable system (one row per payout)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="mdf-payouts-{tenant_slug}.csv"'
    writer = SafeWriter(response)
    writer.writerow(AP_COLUMNS)
    for p in queries.payouts(request.access).order_by("paid_on", "pk").iterator():
        fund = p.claim.request.allocation.fund
        writer.writerow(
            [
                p.reference,
                p.paid_on.isoformat(),
                p.partner.name,
                p.partner_id,
                f"{p.amount:.2f}",
                fund.currency,
                str(fund),
                p.claim.request.title,
                p.claim_id,
            ]
        )
    return response
