"""Staff pages of the registration desk: the queue (with bulk decisions), one registration with
its decisions, registering on a partner's behalf, and end-customer accounts with merging."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from partners import queries as partner_queries
from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import form_status, paginate, require_perm, run_service

from . import queries, services
from .forms import (
    STATUS_TABS,
    AccountMergeForm,
    AccountSearchForm,
    ApproveForm,
    AssignRepForm,
    BulkDecisionForm,
    CloseForm,
    QueueFilterForm,
    RegistrationForm,
    RejectForm,
)
from .models import DealRegistration

Status = DealRegistration.Status
DETAIL = "registration_detail"


# --- the queue -------------------------------------------------------------------------------


@require_perm(Perm.VIEW_PROGRAM)
def registration_queue(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    return _render_queue(request)


@require_perm(Perm.VIEW_PROGRAM)
def registration_partner_suggestions(request: TenantRequest, tenant_slug: str) -> JsonResponse:
    """The partner picker's suggestions: ``{"partners": [name, …]}`` for what was typed (``q``)."""
    return JsonResponse({"partners": queries.partner_suggestions(request.access, request.GET.get("q", ""))})


def _render_queue(
    request: TenantRequest,
    *,
    bulk_form: BulkDecisionForm | None = None,
    row_errors: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    access = request.access
    filter_form = QueueFilterForm(request.GET or None, partners=queries.partner_choices(access))
    filters = filter_form.filters()
    current = filters.get("status") or Status.SUBMITTED
    page = paginate(request, queries.queue(access, filters), per_page=25, bounded=True)
    counts = queries.status_counts(access)
    kept = request.GET.copy()
    for name in ("status", "page"):
        kept.pop(name, None)
    tabs = []
    for value, label in STATUS_TABS:
        query = kept.copy()
        if value != Status.SUBMITTED:
            query["status"] = value
        tabs.append(
            {
                "value": value,
                "label": label,
                "count": counts[value],
                "query": query.urlencode(),
                "current": value == current,
            }
        )
    ticked = set(request.POST.getlist("registrations")) if bulk_form is not None else set()
    context: dict[str, Any] = {
        "filter_form": filter_form,
        "partner_label": filter_form.partner_label(),
        "active_filters": sum(1 for name, value in filters.items() if name not in {"status", "q"} and value),
        "current_status": current,
        "tabs": tabs,
        "page": page,
        "rows": queries.with_sla(access, page.object_list),
        "sla_hours": queries.sla_hours(access),
        "overdue_count": queries.overdue_count(access),
        "can_decide": access.can(Perm.DECIDE_DEALS),
        "can_manage_revenue": access.can(Perm.MANAGE_PARTNERS),
        "bulk_form": bulk_form or BulkDecisionForm(visible=queries.registrations(access)),
        "ticked": ticked,
        "row_errors": row_errors or {},
        "query_string": request.GET.urlencode(),
    }
    return render(request, "pipeline/queue.html", context, status=status)


@require_POST
@require_perm(Perm.DECIDE_DEALS)
def registration_bulk(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """Approve or reject the ticked registrations one by one (oldest first, so the first to
    register wins a conflict); each refusal is shown on its row, the others are decided."""
    access = request.access
    form = BulkDecisionForm(
        request.POST, visible=queries.registrations(access).select_related(*queries.LIST_RELATED)
    )
    if not form.is_valid():
        return _render_queue(request, bulk_form=form, status=400)
    approve = form.cleaned_data["action"] == "approve"
    decided, refused = [], {}
    for registration in sorted(form.cleaned_data["registrations"], key=lambda r: (r.submitted_at, r.pk)):
        try:
            if approve:
                services.registration_approve(
                    access=access,
                    registration=registration,
                    reject_conflicting_reason=form.cleaned_data["reject_conflicting_reason"],
                )
            else:
                services.registration_reject(
                    access=access, registration=registration, reason=form.cleaned_data["reason"]
                )
        except ValidationError as error:
            refused[registration.pk] = (registration, " ".join(error.messages))
        else:
            decided.append(registration)
    verb = "approved" if approve else "rejected"
    if decided:
        messages.success(request, f"{len(decided)} registration{'s' if len(decided) != 1 else ''} {verb}.")
    if not refused:
        return redirect(reverse("registration_queue", args=[tenant_slug]) + _query(request))
    for registration, message in refused.values():
        messages.error(
            request, f"Not {verb}: {registration.opportunity_name} ({registration.account.name}). {message}"
        )
    return _render_queue(
        request,
        bulk_form=form,
        row_errors={pk: message for pk, (_, message) in refused.items()},
        status=200 if decided else 400,
    )


def _query(request: TenantRequest) -> str:
    return f"?{request.GET.urlencode()}" if request.GET else ""


# --- one registration --------------------------------------------------------------------------


@require_perm(Perm.VIEW_PROGRAM)
def registration_detail(request: TenantRequest, tenant_slug: str, registration_id: int) -> HttpResponse:
    registration = queries.access_registration(request.access, registration_id)
    return render(request, "pipeline/registration_detail.html", _detail_context(request, registration))


def _detail_context(request: TenantRequest, registration: DealRegistration, **forms: Any) -> dict[str, Any]:
    access = request.access
    can_decide = access.can(Perm.DECIDE_DEALS)
    conflicts = queries.conflicts(access, registration)
    status = registration.status
    context: dict[str, Any] = {
        "registration": registration,
        "sla": queries.sla_state(registration, hours=queries.sla_hours(access)),
        "history": queries.status_history(access, registration),
        "conflicts": conflicts,
        "open_conflicts": [c for c in conflicts if c.still_open],  # type: ignore[attr-defined]
        "vendor_opportunities": queries.open_vendor_opportunities(access, registration.account),
        "desk": services.desk_settings(access.tenant),
        "protection": queries.protection(access, registration),
        "can_decide": can_decide,
    }
    if can_decide:
        if status == Status.SUBMITTED:
            context["approve_form"] = forms.get("approve_form") or ApproveForm()
        if status in (Status.SUBMITTED, Status.APPROVED):
            context["reject_form"] = forms.get("reject_form") or RejectForm()
        if status in (Status.APPROVED, Status.EXPIRED):
            context["close_form"] = forms.get("close_form") or CloseForm(registration=registration)
        if status == Status.APPROVED:
            staff = partner_queries.staff_users(access)
            context["rep_form"] = forms.get("rep_form") or AssignRepForm(
                staff=staff, initial={"sales_rep": registration.sales_rep_id}
            )
        # A refused decision shows its form, with the reason, whatever the status is now.
        context.update({name: value for name, value in forms.items() if value is not None})
    return context


def _decide(
    request: TenantRequest,
    registration: DealRegistration,
    form_name: str,
    form: Any,
    call: Any,
    done: str,
) -> HttpResponse:
    """Run a decision for a valid form and go back to the registration, or show the form's errors."""
    if form.is_valid() and run_service(form, call) is not None:
        messages.success(request, done)
        return redirect(DETAIL, tenant_slug=request.tenant.slug, registration_id=registration.pk)
    context = _detail_context(request, registration, **{form_name: form})
    return render(request, "pipeline/registration_detail.html", context, status=400)


@require_POST
@require_perm(Perm.DECIDE_DEALS)
def registration_approve(request: TenantRequest, tenant_slug: str, registration_id: int) -> HttpResponse:
    registration = queries.access_registration(request.access, registration_id)
    form = ApproveForm(request.POST)
    return _decide(
        request,
        registration,
        "approve_form",
        form,
        lambda: services.registration_approve(
            access=request.access,
            registration=registration,
            reject_conflicting_reason=form.cleaned_data["reject_conflicting_reason"],
        ),
        f"Approved: {registration.partner.name} is protected on {registration.opportunity_name}.",
    )


@require_POST
@require_perm(Perm.DECIDE_DEALS)
def registration_reject(request: TenantRequest, tenant_slug: str, registration_id: int) -> HttpResponse:
    registration = queries.access_registration(request.access, registration_id)
    form = RejectForm(request.POST)
    return _decide(
        request,
        registration,
        "reject_form",
        form,
        lambda: services.registration_reject(
            access=request.access, registration=registration, reason=form.cleaned_data["reason"]
        ),
        f"Rejected: {registration.opportunity_name}. {registration.partner.name} is told why.",
    )


@require_POST
@require_perm(Perm.DECIDE_DEALS)
def registration_close(request: TenantRequest, tenant_slug: str, registration_id: int) -> HttpResponse:
    registration = queries.access_registration(request.access, registration_id)
    form = CloseForm(request.POST, registration=registration)

    def close() -> DealRegistration:
        won = form.cleaned_data["outcome"] == "won"
        return services.registration_close(
            access=request.access,
            registration=registration,
            won=won,
            closed_on=form.cleaned_data["closed_on"],
            amount=form.cleaned_data["amount"] if won else None,
            create_booking=won and form.cleaned_data["create_booking"],
            adjustment_reason=form.cleaned_data.get("adjustment_reason", ""),
        )

    outcome = request.POST.get("outcome")
    return _decide(
        request,
        registration,
        "close_form",
        form,
        close,
        f"{registration.opportunity_name} marked {'won' if outcome == 'won' else 'lost'}."
        + (
            " The booking is recorded as revenue."
            if outcome == "won" and form.data.get("create_booking")
            else ""
        ),
    )


@require_POST
@require_perm(Perm.DECIDE_DEALS)
def registration_extend(request: TenantRequest, tenant_slug: str, registration_id: int) -> HttpResponse:
    registration = queries.access_registration(request.access, registration_id)
    try:
        services.registration_extend(access=request.access, registration=registration)
    except ValidationError as error:
        messages.error(request, "Not extended: " + " ".join(error.messages))
        return render(
            request, "pipeline/registration_detail.html", _detail_context(request, registration), status=400
        )
    messages.success(request, f"Protection extended until {registration.protected_until:%d %b %Y}.")
    return redirect(DETAIL, tenant_slug=tenant_slug, registration_id=registration.pk)


@require_POST
@require_perm(Perm.DECIDE_DEALS)
def registration_assign_rep(request: TenantRequest, tenant_slug: str, registration_id: int) -> HttpResponse:
    registration = queries.access_registration(request.access, registration_id)
    form = AssignRepForm(request.POST, staff=partner_queries.staff_users(request.access))

    def assign() -> DealRegistration:
        rep = form.cleaned_data["sales_rep"]
        return services.registration_assign_rep(
            access=request.access, registration=registration, user_id=rep.pk if rep else None
        )

    return _decide(request, registration, "rep_form", form, assign, "Sales rep saved; the partner is told.")


@require_perm(Perm.DECIDE_DEALS)
def registration_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """Register a deal on a partner's behalf (``?partner=<id>`` preselects the partner)."""
    access = request.access
    form = RegistrationForm(
        request.POST or None,
        tenant=request.tenant,
        partners=queries.registering_partners(access),
        initial={"partner": request.GET.get("partner")},
    )
    if request.method == "POST" and form.is_valid():
        registration = run_service(
            form,
            lambda: services.registration_submit(
                access=access,
                account_name=form.cleaned_data["account_name"],
                account_domain=form.cleaned_data["account_domain"],
                fields=form.registration_fields(),
                partner_id=form.cleaned_data["partner"].pk,
            ),
        )
        if registration is not None:
            flagged = (
                " It conflicts with another open registration: resolve it below."
                if registration.has_conflict
                else ""
            )
            messages.success(request, f"Registered for {registration.partner.name}.{flagged}")
            return redirect(DETAIL, tenant_slug=tenant_slug, registration_id=registration.pk)
    return render(request, "pipeline/registration_form.html", {"form": form}, status=form_status(form))


# --- accounts ----------------------------------------------------------------------------------


@require_perm(Perm.VIEW_PROGRAM)
def account_list(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = AccountSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    accounts = queries.account_list(
        request.access, q=data.get("q") or "", include_merged=bool(data.get("include_merged"))
    )
    return render(
        request,
        "pipeline/account_list.html",
        {"form": form, "page": paginate(request, accounts, per_page=30), "searching": bool(data.get("q"))},
    )


@require_perm(Perm.VIEW_PROGRAM)
def account_detail(request: TenantRequest, tenant_slug: str, account_id: int) -> HttpResponse:
    account = queries.access_account(request.access, account_id)
    return render(request, "pipeline/account_detail.html", _account_context(request, account))


def _account_context(
    request: TenantRequest, account: Any, merge_form: AccountMergeForm | None = None
) -> dict[str, Any]:
    access = request.access
    can_merge = access.can(Perm.DECIDE_DEALS) and account.merged_into_id is None
    page = paginate(request, queries.account_registrations(access, account), per_page=25)
    return {
        "account": account,
        "page": page,
        "rows": queries.with_sla(access, page.object_list),
        "merged": queries.merged_accounts(access, account),
        "vendor_opportunities": queries.open_vendor_opportunities(access, account),
        "merge_form": merge_form
        or (AccountMergeForm(targets=queries.merge_targets(access, account)) if can_merge else None),
    }


@require_POST
@require_perm(Perm.DECIDE_DEALS)
def account_merge(request: TenantRequest, tenant_slug: str, account_id: int) -> HttpResponse:
    account = queries.access_account(request.access, account_id)
    form = AccountMergeForm(request.POST, targets=queries.merge_targets(request.access, account))
    if form.is_valid():
        into = run_service(
            form,
            lambda: services.account_merge(
                access=request.access, duplicate=account, into=form.cleaned_data["into"]
            ),
        )
        if into is not None:
            messages.success(
                request, f"{account.name} merged into {into.name}; its registrations and revenue moved over."
            )
            return redirect("account_detail", tenant_slug=tenant_slug, account_id=into.pk)
    return render(
        request, "pipeline/account_detail.html", _account_context(request, account, form), status=400
    )
