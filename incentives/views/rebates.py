"""Staff pages of rebates: programs, accruals, liability and statements."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from partners import queries as partner_queries
from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import form_status, paginate, require_perm, run_action, run_service

from .. import queries, services
from ..forms import (
    RebateProgramForm,
    StatementPayForm,
)
from ..metrics import REBATE_FORECAST_RULE
from ..models import RebateStatement

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
            "forecast_rule": REBATE_FORECAST_RULE,
            "can_manage": access.can(Perm.MANAGE_PROGRAM),
        },
    )


@require_perm(Perm.MANAGE_PROGRAM)
def rebate_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = RebateProgramForm(
        request.POST or None,
        tiers=partner_queries.tier_ladder(request.access),
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
    run_action(
        request,
        lambda: count.append(services.rebate_accruals_compute(access=request.access, program=program)),
        "Accruals recomputed.",
    )
    return redirect("rebate_detail", tenant_slug=tenant_slug, program_id=program.pk)


@require_POST
@require_perm(Perm.APPROVE_MONEY)
def rebate_close(request: TenantRequest, tenant_slug: str, program_id: int) -> HttpResponse:
    program = queries.access_program(request.access, program_id)
    run_action(
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
    run_action(
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
