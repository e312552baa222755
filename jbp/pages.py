"""Page builders that the staff plan pages and the partner portal share, parameterised by the
URL namespace (``""`` for staff, ``"portal:"`` for the portal): the plan page's context, the
workflow buttons, comments, versions, reviews, action items and the PDF export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import form_status, run_service

from . import queries, services
from .forms import CommentForm, InvestmentForm
from .models import ActionItem, Plan

DETAIL = "plan_detail"
NS_PORTAL = "portal:"


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
    return edit_page(
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


def add_comment(request: TenantRequest, plan: Plan, ns: str) -> HttpResponse:
    form = CommentForm(request.POST)
    if form.is_valid() and run_service(
        form, lambda: services.comment_add(access=request.access, plan=plan, body=form.cleaned_data["body"])
    ):
        return redirect(f"{plan_url(request, ns, plan)}#comments")
    template = "jbp/plan_detail.html"
    return render(request, template, detail_context(request, plan, ns=ns, comment_form=form), status=400)


def plan_url(request: TenantRequest, ns: str, plan: Plan) -> str:
    """The plan page in the staff pages or the portal."""
    return reverse(ns + DETAIL, args=[request.tenant.slug, plan.pk])


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


def complete_item(request: TenantRequest, plan: Plan, item_id: int, ns: str) -> HttpResponse:
    item: ActionItem = queries.access_action_item(plan, item_id)
    services.action_item_complete(access=request.access, item=item)
    messages.success(request, f"Done: {item.title}.")
    return redirect(f"{plan_url(request, ns, plan)}#actions")


def request_export(request: TenantRequest, plan: Plan, ns: str) -> HttpResponse:
    export = services.export_request(access=request.access, plan=plan)
    if request.htmx:  # type: ignore[attr-defined]
        export.refresh_from_db()
        return render(request, "jbp/_export.html", {"plan": plan, "export": export, "ns": ns})
    return redirect(f"{plan_url(request, ns, plan)}#exports")


def edit_page(
    request: TenantRequest, plan: Plan, form: Any, save: Any, title: str, ns: str = ""
) -> HttpResponse:
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
