"""Staff pages of incentives: funds and allocations, the request and claim queues, payouts with
the accounts-payable export, and rebate programs with accruals, liability and statements."""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from partners.models import Partner, Tier
from prm.access import TenantAccess, TenantRequest
from prm.periods import fiscal_year_of
from prm.permissions import Perm
from prm.ui import form_status, paginate, require_perm, run_service

from . import queries, services
from .forms import (
    AllocationForm,
    ApproveClaimForm,
    DecideRequestForm,
    FundEditForm,
    FundForm,
    PayoutForm,
    ReasonForm,
    RebateProgramForm,
    StatementPayForm,
)
from .models import Claim, FundRequest, ProofDocument, RebateStatement

REQUEST_TABS = [
    ("submitted", "Waiting"),
    ("approved", "Approved"),
    ("settled", "Claimed"),
    ("rejected", "Rejected"),
    ("expired", "Expired"),
    ("all", "All"),
]
CLAIM_TABS = [
    ("submitted", "Waiting for finance"),
    ("approved", "Approved, unpaid"),
    ("paid", "Paid"),
    ("rejected", "Rejected"),
    ("all", "All"),
]


def _tab(request: TenantRequest, tabs: list[tuple[str, str]]) -> str:
    value = request.GET.get("status") or tabs[0][0]
    return value if value in dict(tabs) else tabs[0][0]


def _try(request: TenantRequest, action: Callable[[], Any], success: str) -> bool:
    """Run a service from a button; its refusal becomes an error message on the page."""
    try:
        action()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False
    except PermissionDenied as error:
        messages.error(request, str(error) or "Your role may not do this.")
        return False
    messages.success(request, success)
    return True


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
        tiers=Tier.objects.order_by("rank"),
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
    partners = Partner.objects.filter(status=Partner.Status.ACTIVE, archived_at__isnull=True).order_by("name")
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


@require_POST
@require_perm(Perm.DECIDE_MDF_REQUESTS)
def fund_apply_tier_rule(request: TenantRequest, tenant_slug: str, fund_id: int) -> HttpResponse:
    fund = queries.access_fund(request.access, fund_id)
    result: list = []
    _try(
        request,
        lambda: result.extend(services.allocations_apply_tier_rule(access=request.access, fund=fund)),
        "Tier rule applied.",
    )
    if result:
        messages.info(request, f"{len(result)} partner{'s' if len(result) != 1 else ''} allocated by tier.")
    return redirect("fund_detail", tenant_slug=tenant_slug, fund_id=fund.pk)


@require_POST
@require_perm(Perm.DECIDE_MDF_REQUESTS)
def fund_allocate_from_jbp(request: TenantRequest, tenant_slug: str, fund_id: int) -> HttpResponse:
    fund = queries.access_fund(request.access, fund_id)
    result: list = []
    _try(
        request,
        lambda: result.extend(services.allocations_from_jbp(access=request.access, fund=fund)),
        "Strategic partners' JBP commitments applied.",
    )
    messages.info(
        request,
        f"{len(result)} strategic partner{'s' if len(result) != 1 else ''} allocated from their plan.",
    )
    return redirect("fund_detail", tenant_slug=tenant_slug, fund_id=fund.pk)


# --- requests ----------------------------------------------------------------------------------


@require_perm(Perm.VIEW_PROGRAM)
def request_queue(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    status = _tab(request, REQUEST_TABS)
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


# --- claims and payouts ------------------------------------------------------------------------


@require_perm(Perm.VIEW_PROGRAM)
def claim_queue(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    status = _tab(request, CLAIM_TABS)
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
    return _proof_response(request, proof_id)


def _proof_response(request: TenantRequest, proof_id: int) -> FileResponse:
    document = ProofDocument.objects.filter(pk=proof_id, claim__in=queries.claims(request.access)).first()
    if document is None:
        raise Http404
    return FileResponse(
        document.file.open("rb"), filename=document.original_name, content_type=document.content_type
    )


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
    writer = csv.writer(response)
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


# --- rebates -----------------------------------------------------------------------------------


@require_perm(Perm.VIEW_PROGRAM)
def rebate_list(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    access = request.access
    period = services.current_quarter(request.tenant)
    return render(
        request,
        "incentives/rebate_list.html",
        {
            "page": paginate(request, queries.programs(access), per_page=20),
            "period": period,
            "report": queries.liability(access, period),
            "can_manage": access.can(Perm.MANAGE_PROGRAM),
        },
    )


@require_perm(Perm.MANAGE_PROGRAM)
def rebate_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = RebateProgramForm(
        request.POST or None,
        tiers=Tier.objects.order_by("rank"),
        initial={
            "period": services.current_quarter(request.tenant).label,
            "method": "retroactive",
            "basis_metric": "revenue",
            "bands": "0, 1\n100000, 2\n250000, 3",
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        program = run_service(
            form,
            lambda: services.rebate_program_create(
                access=request.access,
                name=data["name"],
                period=data["period"],
                basis_metric=data["basis_metric"],
                method=data["method"],
                bands=data["bands"],
                eligible_tier_ids=[t.pk for t in data["eligible_tiers"]],
                accelerator_rate=data["accelerator_rate"],
                accelerator_attainment=data["accelerator_attainment"],
                cap=data["cap"],
            ),
        )
        if program is not None:
            messages.success(request, f"Rebate program “{program}” created.")
            return redirect("rebate_detail", tenant_slug=tenant_slug, program_id=program.pk)
    return render(request, "incentives/rebate_form.html", {"form": form}, status=form_status(form))


@require_perm(Perm.VIEW_PROGRAM)
def rebate_detail(request: TenantRequest, tenant_slug: str, program_id: int) -> HttpResponse:
    access = request.access
    program = queries.access_program(access, program_id)
    accruals = queries.accruals(access).filter(program=program).order_by("-amount", "partner__name")
    statements = queries.statements(access).filter(program=program).order_by("partner__name")
    return render(
        request,
        "incentives/rebate_detail.html",
        {
            "program": program,
            "page": paginate(request, accruals, per_page=50),
            "statements": statements,
            "can_accrue": access.can(Perm.MANAGE_PROGRAM) or access.can(Perm.APPROVE_MONEY),
            "can_close": access.can(Perm.APPROVE_MONEY),
        },
    )


@require_POST
@require_perm(Perm.VIEW_PROGRAM)
def rebate_accrue(request: TenantRequest, tenant_slug: str, program_id: int) -> HttpResponse:
    program = queries.access_program(request.access, program_id)
    if not (request.access.can(Perm.MANAGE_PROGRAM) or request.access.can(Perm.APPROVE_MONEY)):
        raise PermissionDenied
    count: list[int] = []
    _try(
        request,
        lambda: count.append(services.rebate_accruals_compute(access=request.access, program=program)),
        "Accruals recomputed.",
    )
    return redirect("rebate_detail", tenant_slug=tenant_slug, program_id=program.pk)


@require_POST
@require_perm(Perm.APPROVE_MONEY)
def rebate_close(request: TenantRequest, tenant_slug: str, program_id: int) -> HttpResponse:
    program = queries.access_program(request.access, program_id)
    _try(
        request,
        lambda: services.rebate_statements_close(access=request.access, program=program),
        "Statements drafted from the final figures; approve each to show it to the partner.",
    )
    return redirect("rebate_detail", tenant_slug=tenant_slug, program_id=program.pk)


@require_perm(Perm.VIEW_PROGRAM)
def statement_detail(
    request: TenantRequest, tenant_slug: str, statement_id: int, pay_form: StatementPayForm | None = None
) -> HttpResponse:
    access = request.access
    statement = queries.access_statement(access, statement_id)
    return render(
        request,
        "incentives/statement_detail.html",
        {
            "statement": statement,
            "pay_form": pay_form or StatementPayForm(),
            "can_approve": access.can(Perm.APPROVE_MONEY)
            and statement.status == RebateStatement.Status.DRAFT,
            "can_pay": access.can(Perm.APPROVE_MONEY) and statement.status == RebateStatement.Status.APPROVED,
        },
        status=form_status(pay_form),
    )


@require_POST
@require_perm(Perm.APPROVE_MONEY)
def statement_approve(request: TenantRequest, tenant_slug: str, statement_id: int) -> HttpResponse:
    statement = queries.access_statement(request.access, statement_id)
    _try(
        request,
        lambda: services.rebate_statement_approve(access=request.access, statement=statement),
        "Statement approved; the partner sees it in the portal.",
    )
    return redirect("rebate_statement_detail", tenant_slug=tenant_slug, statement_id=statement.pk)


@require_POST
@require_perm(Perm.APPROVE_MONEY)
def statement_pay(request: TenantRequest, tenant_slug: str, statement_id: int) -> HttpResponse:
    statement = queries.access_statement(request.access, statement_id)
    form = StatementPayForm(request.POST)
    if form.is_valid():
        done = run_service(
            form,
            lambda: services.rebate_statement_pay(
                access=request.access,
                statement=statement,
                reference=form.cleaned_data["reference"],
                paid_on=form.cleaned_data["paid_on"],
            ),
        )
        if done is not None:
            messages.success(request, f"Payment {done.paid_reference} recorded.")
            return redirect("rebate_statement_detail", tenant_slug=tenant_slug, statement_id=statement.pk)
    return statement_detail.__wrapped__(request, tenant_slug, statement_id, pay_form=form)  # type: ignore[attr-defined]
