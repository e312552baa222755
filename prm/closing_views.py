"""The closing page: fiscal quarters with their state, close and reopen (finance), and the
tenant's choice for entries dated in a closed quarter."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import closing
from .access import TenantRequest
from .forms import LateEntriesForm, QuarterCloseForm, QuarterReopenForm
from .permissions import Perm
from .ui import require_perm, run_action

PAGE = "fiscal_quarters"


@require_perm(Perm.VIEW_REPORTS)
def fiscal_quarters(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    access = request.access
    return render(
        request,
        "prm/fiscal_quarters.html",
        {
            "quarters": closing.quarters(access),
            "history": closing.close_history(access),
            "may_close": access.can(Perm.APPROVE_MONEY),
            "policy": closing.late_entries(access.tenant),
            "policy_form": LateEntriesForm(initial={"late_entries": closing.late_entries(access.tenant)}),
        },
    )


def _invalid(request: TenantRequest, form: QuarterCloseForm | QuarterReopenForm | LateEntriesForm) -> None:
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))


@require_POST
@require_perm(Perm.APPROVE_MONEY)
def fiscal_quarter_close(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = QuarterCloseForm(request.POST)
    if not form.is_valid():
        _invalid(request, form)
        return redirect(PAGE, tenant_slug=tenant_slug)
    quarter = form.cleaned_data["quarter"]
    run_action(
        request,
        lambda: closing.period_close(access=request.access, quarter=quarter, note=form.cleaned_data["note"]),
        f"{quarter} is closed: entries dated inside it are now "
        + ("booked as adjustments." if closing.late_entries(request.tenant) == "adjust" else "refused."),
    )
    return redirect(PAGE, tenant_slug=tenant_slug)


@require_POST
@require_perm(Perm.APPROVE_MONEY)
def fiscal_quarter_reopen(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = QuarterReopenForm(request.POST)
    if not form.is_valid():
        _invalid(request, form)
        return redirect(PAGE, tenant_slug=tenant_slug)
    quarter = form.cleaned_data["quarter"]
    run_action(
        request,
        lambda: closing.period_reopen(
            access=request.access, quarter=quarter, reason=form.cleaned_data["reason"]
        ),
        f"{quarter} is open again (with every later quarter that was closed).",
    )
    return redirect(PAGE, tenant_slug=tenant_slug)


@require_POST
@require_perm(Perm.APPROVE_MONEY)
def late_entries(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = LateEntriesForm(request.POST)
    if not form.is_valid():
        _invalid(request, form)
        return redirect(PAGE, tenant_slug=tenant_slug)
    run_action(
        request,
        lambda: closing.late_entries_set(access=request.access, policy=form.cleaned_data["late_entries"]),
        "Saved: entries dated in a closed quarter are now "
        + ("booked as adjustments." if form.cleaned_data["late_entries"] == "adjust" else "refused."),
    )
    return redirect(PAGE, tenant_slug=tenant_slug)
