"""Staff pages of joint business plans: the list, one plan (targets vs actuals, ledger,
investments, activities, sign-offs, comments, reviews, versions, PDF exports) and its edits.

The portal (``jbp.portal``) renders the same plan template with the partner's actions.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import form_status, paginate, require_perm, run_service

from . import queries, services
from .forms import ActivityForm, PlanCreateForm, PlanForm, ReviewForm, TargetForm
from .models import Plan
from .pages import (
    add_comment,
    complete_item,
    detail_context,
    do_transition,
    edit_page,
    export_download,
    export_status,
    investment_form,
    request_export,
    review_page,
    versions_page,
)

DETAIL = "plan_detail"
NS_PORTAL = "portal:"


# --- shared by staff pages and the portal ------------------------------------------------------


# --- list and create ---------------------------------------------------------------------------


@require_perm(Perm.VIEW_PROGRAM)
def plan_list(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    access = request.access
    status = request.GET.get("status", "")
    if status not in Plan.Status.values:
        status = ""
    year_text = request.GET.get("fiscal_year", "")
    fiscal_year = int(year_text) if year_text.isdigit() else None
    page = paginate(request, queries.plan_list(access, status=status, fiscal_year=fiscal_year))
    current_year = queries.current_fiscal_year(request.tenant)
    return render(
        request,
        "jbp/plan_list.html",
        {
            "page": page,
            "status": status,
            "fiscal_year": fiscal_year,
            "statuses": Plan.Status.choices,
            "years": [current_year + 1, current_year, current_year - 1],
            "can_manage": access.can(Perm.MANAGE_PLANS),
        },
    )


@require_perm(Perm.MANAGE_PLANS)
def plan_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = PlanCreateForm(
        request.POST or None,
        fiscal_year=queries.current_fiscal_year(request.tenant),
        initial={"partner": request.GET.get("partner")},
    )
    if request.method == "POST" and form.is_valid():
        plan = run_service(
            form,
            lambda: services.plan_create(
                access=request.access,
                partner=form.cleaned_data["partner"],
                fiscal_year=form.cleaned_data["fiscal_year"],
            ),
        )
        if plan is not None:
            messages.success(
                request,
                "Draft plan created. Add revenue commitments, targets and investments, then share it.",
            )
            return redirect(DETAIL, tenant_slug=tenant_slug, plan_id=plan.pk)
    return render(request, "jbp/plan_create.html", {"form": form}, status=form_status(form))


# --- one plan ----------------------------------------------------------------------------------


@require_perm(Perm.VIEW_PROGRAM)
def plan_detail(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    plan = queries.access_plan(request.access, plan_id)
    return render(request, "jbp/plan_detail.html", detail_context(request, plan, ns=""))


@require_perm(Perm.MANAGE_PLANS)
def plan_edit(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    plan = queries.access_plan(request.access, plan_id)
    form = PlanForm(request.POST or None, plan=plan)
    return edit_page(
        request,
        plan,
        form,
        lambda f: services.plan_update(
            access=request.access,
            plan=plan,
            fields=f.changed_fields(services.PLAN_FIELDS),
            change_summary=f.change_summary,
        ),
        "Summary, objectives and people",
    )


@require_perm(Perm.MANAGE_PLANS)
def target_edit(
    request: TenantRequest, tenant_slug: str, plan_id: int, target_id: int | None = None
) -> HttpResponse:
    plan = queries.access_plan(request.access, plan_id)
    target = plan.targets.filter(pk=target_id).first() if target_id else None
    if target_id and target is None:
        raise Http404
    form = TargetForm(request.POST or None, instance=target, plan=plan)
    if request.method == "POST" and request.POST.get("remove") and target is not None:
        try:
            services.target_remove(
                access=request.access,
                plan=plan,
                target=target,
                change_summary=request.POST.get("change_summary", ""),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(DETAIL, tenant_slug=tenant_slug, plan_id=plan.pk)
    return edit_page(
        request,
        plan,
        form,
        lambda f: services.target_save(
            access=request.access,
            plan=plan,
            target=target,
            fields=f.changed_fields(services.TARGET_FIELDS),
            change_summary=f.change_summary,
        ),
        "Target" if target else "New target",
    )


@require_perm(Perm.MANAGE_PLANS)
def investment_edit(
    request: TenantRequest, tenant_slug: str, plan_id: int, investment_id: int | None = None
) -> HttpResponse:
    return investment_form(request, plan_id, investment_id, ns="")


@require_perm(Perm.MANAGE_PLANS)
def activity_edit(
    request: TenantRequest, tenant_slug: str, plan_id: int, activity_id: int | None = None
) -> HttpResponse:
    plan = queries.access_plan(request.access, plan_id)
    activity = plan.activities.filter(pk=activity_id).first() if activity_id else None
    if activity_id and activity is None:
        raise Http404
    form = ActivityForm(request.POST or None, instance=activity, plan=plan)
    return edit_page(
        request,
        plan,
        form,
        lambda f: services.activity_save(
            access=request.access,
            plan=plan,
            activity=activity,
            fields=f.changed_fields(services.ACTIVITY_FIELDS),
            change_summary=f.change_summary,
        ),
        "Co-marketing activity" if activity else "New co-marketing activity",
    )


# --- workflow ----------------------------------------------------------------------------------


@require_POST
@require_perm(Perm.MANAGE_PLANS)
def plan_share(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    plan = queries.access_plan(request.access, plan_id)
    return do_transition(request, plan, services.plan_share, "Shared with the partner for its approval.", "")


@require_POST
@require_perm(Perm.MANAGE_PLANS)
def plan_unshare(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    plan = queries.access_plan(request.access, plan_id)
    return do_transition(
        request, plan, services.plan_unshare, "Back in draft; the partner no longer sees it.", ""
    )


@require_POST
@require_perm(Perm.SIGN_OFF_PLANS)
def plan_sign_off(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    plan = queries.access_plan(request.access, plan_id)
    return do_transition(
        request, plan, services.plan_sign_off, "Signed. The plan is active; version 1 is frozen.", ""
    )


@require_POST
@require_perm(Perm.MANAGE_PLANS)
def plan_close(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    plan = queries.access_plan(request.access, plan_id)
    return do_transition(request, plan, services.plan_close, "Plan closed.", "")


@require_POST
@require_perm(Perm.MANAGE_PLANS)
def plan_supersede(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    plan = queries.access_plan(request.access, plan_id)
    return do_transition(
        request, plan, services.plan_supersede, "Plan set aside; a new plan for the year can be drafted.", ""
    )


@require_POST
@require_perm(Perm.VIEW_PROGRAM)
def comment_add(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    return add_comment(request, queries.access_plan(request.access, plan_id), ns="")


# --- versions ----------------------------------------------------------------------------------


@require_perm(Perm.VIEW_PROGRAM)
def plan_versions(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    return versions_page(request, queries.access_plan(request.access, plan_id), ns="")


# --- reviews and action items ------------------------------------------------------------------


@require_perm(Perm.MANAGE_PLANS)
def review_create(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    plan = queries.access_plan(request.access, plan_id)
    form = ReviewForm(request.POST or None, plan=plan, initial={"held_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        review = run_service(
            form,
            lambda: services.review_record(
                access=request.access,
                plan=plan,
                fields=form.review_fields(),
                action_items=form.new_action_items(),
            ),
        )
        if review is not None:
            messages.success(request, "Review recorded with the attainment as of today.")
            return redirect(
                "review_detail", tenant_slug=tenant_slug, plan_id=plan.pk, plan_review_id=review.pk
            )
    return render(
        request,
        "jbp/review_form.html",
        {"plan": plan, "form": form, "open_items": queries.open_action_items(plan)},
        status=form_status(form),
    )


@require_perm(Perm.VIEW_PROGRAM)
def review_detail(
    request: TenantRequest, tenant_slug: str, plan_id: int, plan_review_id: int
) -> HttpResponse:
    plan = queries.access_plan(request.access, plan_id)
    return review_page(request, plan, plan_review_id, ns="")


@require_POST
@require_perm(Perm.MANAGE_PLANS)
def action_item_done(
    request: TenantRequest, tenant_slug: str, plan_id: int, action_item_id: int
) -> HttpResponse:
    return complete_item(request, queries.access_plan(request.access, plan_id), action_item_id, ns="")


# --- PDF exports -------------------------------------------------------------------------------


@require_POST
@require_perm(Perm.VIEW_PROGRAM)
def export_request(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    return request_export(request, queries.access_plan(request.access, plan_id), ns="")


@require_perm(Perm.VIEW_PROGRAM)
def plan_export_status(
    request: TenantRequest, tenant_slug: str, plan_id: int, export_id: int
) -> HttpResponse:
    return export_status(request, queries.access_plan(request.access, plan_id), export_id, ns="")


@require_perm(Perm.VIEW_PROGRAM)
def plan_export_download(
    request: TenantRequest, tenant_slug: str, plan_id: int, export_id: int
) -> FileResponse:
    return export_download(queries.access_plan(request.access, plan_id), export_id)
