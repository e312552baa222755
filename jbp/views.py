"""Staff pages of joint business plans: the list, one plan (targets vs actuals, ledger,
investments, activities, sign-offs, comments, reviews, versions, PDF exports) and its edits.

The portal (``jbp.portal``) renders the same plan template with the partner's actions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import form_status, paginate, require_perm, run_service

from . import queries, services
from .forms import ActivityForm, CommentForm, InvestmentForm, PlanCreateForm, PlanForm, ReviewForm, TargetForm
from .models import ActionItem, Plan

DETAIL = "plan_detail"
NS_PORTAL = "portal:"


# --- shared by staff pages and the portal ------------------------------------------------------


def detail_context(
    request: TenantRequest, plan: Plan, *, ns: str, comment_form: CommentForm | None = None
) -> dict[str, Any]:
    access = request.access
    view = queries.plan_view(plan)
    plan_versions = list(queries.versions(plan))
    return {
        "plan": plan,
        "view": view,
        "ns": ns,
        "portal": ns == NS_PORTAL,
        "comments": queries.comments(plan),
        "comment_form": comment_form or CommentForm(),
        "reviews": queries.reviews(plan),
        "open_items": queries.open_action_items(plan),
        "versions": plan_versions,
        "exports": queries.exports(plan),
        "can_manage": access.can(Perm.MANAGE_PLANS)
        and plan.status not in (Plan.Status.CLOSED, Plan.Status.SUPERSEDED),
        "can_sign": access.can(Perm.SIGN_OFF_PLANS) and plan.status == Plan.Status.PARTNER_APPROVED,
        "can_approve": access.is_partner
        and access.can(Perm.APPROVE_OWN_PLAN)
        and plan.status == Plan.Status.SHARED,
        "can_edit_partner_part": access.is_partner
        and access.can(Perm.APPROVE_OWN_PLAN)
        and plan.status == Plan.Status.SHARED,
        "can_comment": access.can(Perm.VIEW_PROGRAM) or access.can(Perm.USE_PORTAL),
        "today": timezone.localdate(),
    }


def export_status(request: TenantRequest, plan: Plan, export_id: int, ns: str) -> HttpResponse:
    """The export's state; htmx polls this fragment until the PDF is ready or failed."""
    export = queries.access_export(plan, export_id)
    return render(request, "jbp/_export.html", {"plan": plan, "export": export, "ns": ns})


def export_download(plan: Plan, export_id: int) -> FileResponse:
    export = queries.access_export(plan, export_id)
    if export.status != export.Status.DONE or not export.file:
        raise Http404
    name = f"{plan.partner.name} FY{plan.fiscal_year} joint business plan v{plan.version}.pdf"
    return FileResponse(
        export.file.open("rb"), as_attachment=True, filename=name, content_type="application/pdf"
    )


def do_transition(request: TenantRequest, plan: Plan, service: Any, done: str, ns: str) -> HttpResponse:
    try:
        service(access=request.access, plan=plan)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect(ns + DETAIL, tenant_slug=request.tenant.slug, plan_id=plan.pk)


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


def _edit(request: TenantRequest, plan: Plan, form: Any, save: Any, title: str, ns: str = "") -> HttpResponse:
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: save(form)) is not None:
        amended = f" The amendment is version {plan.version}." if plan.status == Plan.Status.ACTIVE else ""
        messages.success(request, "Saved." + amended)
        return redirect(ns + DETAIL, tenant_slug=request.tenant.slug, plan_id=plan.pk)
    return render(
        request,
        "jbp/plan_edit.html",
        {"plan": plan, "form": form, "title": title, "ns": ns},
        status=form_status(form),
    )


@require_perm(Perm.MANAGE_PLANS)
def plan_edit(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    plan = queries.access_plan(request.access, plan_id)
    form = PlanForm(request.POST or None, plan=plan)
    return _edit(
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
    return _edit(
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


def investment_form(request: TenantRequest, plan_id: int, investment_id: int | None, ns: str) -> HttpResponse:
    plan = queries.access_plan(request.access, plan_id)
    investment = plan.investments.filter(pk=investment_id).first() if investment_id else None
    if investment_id and investment is None:
        raise Http404
    if request.access.is_partner and investment is not None and investment.side != "partner":
        raise PermissionDenied
    form = InvestmentForm(
        request.POST or None, instance=investment, plan=plan, partner_side=request.access.is_partner
    )
    return _edit(
        request,
        plan,
        form,
        lambda f: services.investment_save(
            access=request.access,
            plan=plan,
            investment=investment,
            fields=f.changed_fields(services.INVESTMENT_FIELDS),
            change_summary=f.change_summary,
        ),
        "Investment" if investment else "New investment",
        ns,
    )


@require_perm(Perm.MANAGE_PLANS)
def activity_edit(
    request: TenantRequest, tenant_slug: str, plan_id: int, activity_id: int | None = None
) -> HttpResponse:
    plan = queries.access_plan(request.access, plan_id)
    activity = plan.activities.filter(pk=activity_id).first() if activity_id else None
    if activity_id and activity is None:
        raise Http404
    form = ActivityForm(request.POST or None, instance=activity, plan=plan)
    return _edit(
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


def add_comment(request: TenantRequest, plan: Plan, ns: str) -> HttpResponse:
    form = CommentForm(request.POST)
    if form.is_valid() and run_service(
        form, lambda: services.comment_add(access=request.access, plan=plan, body=form.cleaned_data["body"])
    ):
        return redirect(f"{_url(request, ns, plan)}#comments")
    template = "jbp/plan_detail.html"
    return render(request, template, detail_context(request, plan, ns=ns, comment_form=form), status=400)


def _url(request: TenantRequest, ns: str, plan: Plan) -> str:
    from django.urls import reverse

    return reverse(ns + DETAIL, args=[request.tenant.slug, plan.pk])


# --- versions ----------------------------------------------------------------------------------


@require_perm(Perm.VIEW_PROGRAM)
def plan_versions(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    return versions_page(request, queries.access_plan(request.access, plan_id), ns="")


def versions_page(request: TenantRequest, plan: Plan, ns: str) -> HttpResponse:
    all_versions = list(queries.versions(plan))
    older = newer = None
    differences = []
    a, b = request.GET.get("a", ""), request.GET.get("b", "")
    if a.isdigit() and b.isdigit():
        older, newer = queries.access_version(plan, int(a)), queries.access_version(plan, int(b))
        if older.number > newer.number:
            older, newer = newer, older
        differences = services.versions_compare(older, newer)
    elif len(all_versions) >= 2:
        newer, older = all_versions[0], all_versions[1]
        differences = services.versions_compare(older, newer)
    shown = request.GET.get("show", "")
    version = queries.access_version(plan, int(shown)) if shown.isdigit() else None
    return render(
        request,
        "jbp/plan_versions.html",
        {
            "plan": plan,
            "versions": all_versions,
            "older": older,
            "newer": newer,
            "differences": differences,
            "version": version,
            "ns": ns,
        },
    )


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


def review_page(request: TenantRequest, plan: Plan, review_id: int, ns: str) -> HttpResponse:
    review = queries.access_review(plan, review_id)
    carried = [
        i
        for i in queries.open_action_items(plan)
        if i.review_id != review.pk and i.review.held_on <= review.held_on
    ]
    return render(
        request,
        "jbp/review_detail.html",
        {
            "plan": plan,
            "review": review,
            "items": list(review.action_items.select_related("owner")),
            "carried": carried,
            "ns": ns,
            "portal": ns == NS_PORTAL,
            "can_manage": request.access.can(Perm.MANAGE_PLANS),
            "today": timezone.localdate(),
        },
    )


@require_POST
@require_perm(Perm.MANAGE_PLANS)
def action_item_done(
    request: TenantRequest, tenant_slug: str, plan_id: int, action_item_id: int
) -> HttpResponse:
    return complete_item(request, queries.access_plan(request.access, plan_id), action_item_id, ns="")


def complete_item(request: TenantRequest, plan: Plan, item_id: int, ns: str) -> HttpResponse:
    item: ActionItem = queries.access_action_item(plan, item_id)
    services.action_item_complete(access=request.access, item=item)
    messages.success(request, f"Done: {item.title}.")
    return redirect(f"{_url(request, ns, plan)}#actions")


# --- PDF exports -------------------------------------------------------------------------------


@require_POST
@require_perm(Perm.VIEW_PROGRAM)
def export_request(request: TenantRequest, tenant_slug: str, plan_id: int) -> HttpResponse:
    return request_export(request, queries.access_plan(request.access, plan_id), ns="")


def request_export(request: TenantRequest, plan: Plan, ns: str) -> HttpResponse:
    export = services.export_request(access=request.access, plan=plan)
    if request.htmx:  # type: ignore[attr-defined]
        export.refresh_from_db()
        return render(request, "jbp/_export.html", {"plan": plan, "export": export, "ns": ns})
    return redirect(f"{_url(request, ns, plan)}#exports")


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
