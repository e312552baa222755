"""Staff pages of tiering: the tiering overview (distribution, balance, proposals, recalculation),
one proposal with its decision, the scorecard with what-if, tiers, settings, annual reviews, and
the partner page's score section with its rating and proposal forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from partners import queries as partner_queries
from partners.models import Tier
from partners.pages import partner_page
from prm import charts
from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import apply_service_errors, form_status, paginate, require_perm, run_service

from . import program, queries, recalculation, services
from .forms import (
    CloseReviewForm,
    CriteriaFormSet,
    DecisionForm,
    OpenReviewForm,
    ProposeForm,
    RatingForm,
    ReviewDecisionForm,
    SettingsForm,
    TierForm,
)
from .models import PortfolioReview, ScoreRun, TierChangeProposal
from .presenters import trend_chart


def _url(name: str, request: TenantRequest, *args: Any) -> str:
    return reverse(name, args=[request.tenant.slug, *args])


# --- the partner page's section ---------------------------------------------------------------


def partner_section_context(request: TenantRequest, partner: Any, **forms: Any) -> dict[str, Any]:
    access = request.access
    data = queries.partner_scorecard(request.access, partner)
    criteria = queries.scorecard_summary(request.access)["criteria"]
    can_rate = access.can(Perm.MANAGE_PARTNERS) and not partner.is_archived
    return {
        **data,
        "chart": trend_chart(data["snapshots"], partner.name),
        "manual_criteria": [c for c in criteria if c.kind == "manual"],
        "rating_form": forms.get("rating_form")
        or (RatingForm(criteria=criteria, prefix="rating") if can_rate else None),
        "propose_form": forms.get("propose_form")
        or (
            ProposeForm(tiers=Tier.objects.exclude(pk=partner.tier_id), prefix="propose")
            if can_rate and not data["pending"]
            else None
        ),
        "can_decide": access.can(Perm.DECIDE_TIER_CHANGES),
    }


def _partner_page_with(request: TenantRequest, partner: Any, **forms: Any) -> HttpResponse:
    section = partner_section_context(request, partner, **forms)
    return partner_page(request, partner, status=400, section_data={"score": section})


@require_POST
@require_perm(Perm.MANAGE_PARTNERS)
def partner_rate(request: TenantRequest, tenant_slug: str, partner_id: int) -> HttpResponse:
    partner = partner_queries.access_partner(request.access, partner_id)
    form = RatingForm(
        request.POST, criteria=queries.scorecard_summary(request.access)["criteria"], prefix="rating"
    )
    if form.is_valid():
        done = run_service(
            form,
            lambda: services.manual_rating_set(
                access=request.access,
                partner=partner,
                key=form.cleaned_data["key"],
                value=form.cleaned_data["value"],
                comment=form.cleaned_data["comment"],
            ),
        )
        if done is not None:
            messages.success(request, "Rating saved. It counts from the next recalculation.")
            return redirect(_url("partner_detail", request, partner.pk) + "#section-score")
    return _partner_page_with(request, partner, rating_form=form)


@require_POST
@require_perm(Perm.MANAGE_PARTNERS)
def partner_propose_tier(request: TenantRequest, tenant_slug: str, partner_id: int) -> HttpResponse:
    partner = partner_queries.access_partner(request.access, partner_id)
    form = ProposeForm(request.POST, tiers=Tier.objects.exclude(pk=partner.tier_id), prefix="propose")
    if form.is_valid():
        done = run_service(
            form,
            lambda: services.tier_proposal_create(
                access=request.access,
                partner=partner,
                to_tier=form.cleaned_data["to_tier"],
                reason=form.cleaned_data["reason"],
            ),
        )
        if done is not None:
            messages.success(request, "Proposal sent for approval.")
            return redirect(_url("partner_detail", request, partner.pk) + "#section-score")
    return _partner_page_with(request, partner, propose_form=form)


# --- the tiering page ---------------------------------------------------------------------------


@require_perm(Perm.VIEW_PROGRAM)
def tiering_home(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    access = request.access
    dist = queries.distribution(request.access)
    status = request.GET.get("status") or TierChangeProposal.Status.PENDING
    if status not in TierChangeProposal.Status.values:
        status = TierChangeProposal.Status.PENDING
    page = paginate(request, queries.proposals(request.access, status), per_page=20)
    chart = charts.histogram(
        title="Partners by score",
        description="Number of scored partners in each score band at the latest recalculation",
        buckets=dist["bands"],
        height=240,
    )
    return render(
        request,
        "tiering/home.html",
        {
            "dist": dist,
            "chart": chart if dist["run"] else None,
            "balance": queries.portfolio_balance(request.access),
            "page": page,
            "status": status,
            "statuses": TierChangeProposal.Status.choices,
            "run": dist["run"],
            "can_recalculate": access.can(Perm.MANAGE_PROGRAM),
            "can_decide": access.can(Perm.DECIDE_TIER_CHANGES),
            "can_manage": access.can(Perm.MANAGE_PROGRAM),
        },
    )


@require_POST
@require_perm(Perm.MANAGE_PROGRAM)
def tiering_recalculate(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    run = recalculation.score_run_request(access=request.access)
    return redirect(_url("tiering_home", request) + f"?run={run.pk}#recalculation")


@require_perm(Perm.VIEW_PROGRAM)
def tiering_run_status(request: TenantRequest, tenant_slug: str, run_id: int) -> HttpResponse:
    """The recalculation's progress (polled by the tiering page while it runs)."""
    run = get_object_or_404(ScoreRun.objects.all(), pk=run_id)
    return render(request, "tiering/_run.html", {"run": run, "can_recalculate": False, "poll": True})


def _proposal(request: TenantRequest, proposal_id: int) -> TierChangeProposal:
    return get_object_or_404(queries.proposals(request.access, None), pk=proposal_id)


@require_perm(Perm.VIEW_PROGRAM)
def proposal_detail(request: TenantRequest, tenant_slug: str, proposal_id: int) -> HttpResponse:
    proposal = _proposal(request, proposal_id)
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not request.access.can(Perm.DECIDE_TIER_CHANGES):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            if data["decision"] == "approve":
                call = lambda: services.tier_proposal_approve(  # noqa: E731
                    access=request.access,
                    proposal=proposal,
                    reason=data["reason"],
                    cap_override_reason=data["cap_override_reason"],
                )
            else:
                call = lambda: services.tier_proposal_reject(  # noqa: E731
                    access=request.access, proposal=proposal, reason=data["reason"]
                )
            done = run_service(form, call)
            if done is not None:
                verb = "approved" if done.status == TierChangeProposal.Status.APPROVED else "rejected"
                messages.success(request, f"{proposal.partner.name}: move to {proposal.to_tier.name} {verb}.")
                return redirect(_url("tiering_home", request))
        status = form_status(form)
    balance = queries.portfolio_balance(request.access)
    entering_strategic = proposal.to_tier.classification == "strategic" and (
        proposal.from_tier is None or proposal.from_tier.classification != "strategic"
    )
    return render(
        request,
        "tiering/proposal_detail.html",
        {
            "proposal": proposal,
            "form": form,
            "balance": balance,
            "cap_reached": entering_strategic and balance["strategic_count"] >= balance["strategic_cap"],
            "can_decide": request.access.can(Perm.DECIDE_TIER_CHANGES) and proposal.is_pending,
            "can_override": request.access.can(Perm.MANAGE_PROGRAM),
        },
        status=status,
    )


# --- scorecard, tiers, settings -----------------------------------------------------------------


def _criteria_initial(request: TenantRequest) -> list[dict[str, Any]]:
    return [
        {
            "key": c.key,
            "label": c.label,
            "kind": c.kind,
            "metric_key": c.metric_key,
            "normalisation": c.normalisation,
            "target": c.target,
            "weight": c.weight,
        }
        for c in queries.scorecard_summary(request.access)["criteria"]
    ]


def _rows(formset: Any) -> list[dict[str, Any]]:
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if not data or data.get("DELETE"):
            continue
        rows.append({k: v for k, v in data.items() if k != "DELETE"})
    return rows


@require_perm(Perm.VIEW_PROGRAM)
def scorecard(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    access = request.access
    can_edit = access.can(Perm.MANAGE_PROGRAM)
    formset = (
        CriteriaFormSet(request.POST or None, initial=_criteria_initial(request), prefix="c")
        if can_edit
        else None
    )
    preview, error, status = None, None, 200
    if request.method == "POST":
        if not can_edit or formset is None:
            raise PermissionDenied
        if formset.is_valid():
            rows = _rows(formset)
            try:
                if "save" in request.POST:
                    card = services.scorecard_save_version(
                        access=access, criteria=rows, note=request.POST.get("note", "")[:200]
                    )
                    messages.success(
                        request,
                        f"Saved as scorecard version {card.version}. Scores use it from the next run.",
                    )
                    return redirect(_url("tiering_scorecard", request))
                preview = queries.what_if(access, criteria=rows)
            except ValidationError as exc:
                error = exc.message_dict.get("criteria", exc.messages)
                status = 400
        else:
            status = 400
    summary = queries.scorecard_summary(request.access)
    return render(
        request,
        "tiering/scorecard.html",
        {
            **summary,
            "versions": services.Scorecard.objects.order_by("-version")[:10],
            "formset": formset,
            "preview": preview,
            "errors": error,
            "can_edit": can_edit,
        },
        status=status,
    )


@require_perm(Perm.VIEW_PROGRAM)
def tier_list(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    return render(
        request,
        "tiering/tiers.html",
        {
            "tiers": queries.tiers(request.access),
            "can_edit": request.access.can(Perm.MANAGE_PROGRAM),
            "currency": request.tenant.currency,
        },
    )


@require_perm(Perm.MANAGE_PROGRAM)
def tier_edit(request: TenantRequest, tenant_slug: str, tier_id: int) -> HttpResponse:
    tier = get_object_or_404(Tier.objects.all(), pk=tier_id)
    form = TierForm(request.POST or None, instance=Tier.objects.get(pk=tier.pk))
    preview = None
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in program.TIER_FIELDS}
        if "save" in request.POST:
            if (
                run_service(form, lambda: services.tier_update(access=request.access, tier=tier, **values))
                is not None
            ):
                messages.success(request, f"{tier.name} saved. Recommendations use it from the next run.")
                return redirect(_url("tiering_tiers", request))
        else:
            preview = queries.what_if(request.access, tier_rules={tier.pk: values})
    return render(
        request,
        "tiering/tier_form.html",
        {"tier": tier, "form": form, "preview": preview},
        status=form_status(form),
    )


@require_perm(Perm.MANAGE_PROGRAM)
def tiering_settings(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    row = program.tiering_settings()
    form = SettingsForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in services.SETTINGS_FIELDS}
        if (
            run_service(form, lambda: services.tiering_settings_update(access=request.access, **values))
            is not None
        ):
            messages.success(request, "Portfolio settings saved.")
            return redirect(_url("tiering_home", request))
    return render(request, "tiering/settings.html", {"form": form}, status=form_status(form))


# --- annual refresh -----------------------------------------------------------------------------


@require_perm(Perm.VIEW_PROGRAM)
def review_list(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = OpenReviewForm(request.POST or None)
    if request.method == "POST":
        if not request.access.can(Perm.MANAGE_PROGRAM):
            raise PermissionDenied
        if form.is_valid():
            review = run_service(
                form,
                lambda: services.portfolio_review_open(
                    access=request.access, fiscal_year=form.cleaned_data["fiscal_year"]
                ),
            )
            if review is not None:
                return redirect(_url("tiering_review", request, review.pk))
    return render(
        request,
        "tiering/reviews.html",
        {
            "page": paginate(request, queries.reviews(request.access)),
            "form": form,
            "can_manage": request.access.can(Perm.MANAGE_PROGRAM),
        },
        status=form_status(form),
    )


@require_perm(Perm.VIEW_PROGRAM)
def review_detail(request: TenantRequest, tenant_slug: str, review_id: int) -> HttpResponse:
    review = get_object_or_404(PortfolioReview.objects.all(), pk=review_id)
    can_manage = request.access.can(Perm.MANAGE_PROGRAM) and review.status == PortfolioReview.Status.OPEN
    close_form = CloseReviewForm(request.POST if "close" in request.POST else None)
    decision_error = None
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if "close" in request.POST:
            if close_form.is_valid():
                try:
                    services.portfolio_review_close(
                        access=request.access, review=review, summary=close_form.cleaned_data["summary"]
                    )
                    messages.success(request, f"The {review.fiscal_year} review is closed.")
                    return redirect(_url("tiering_review", request, review.pk))
                except ValidationError as exc:
                    apply_service_errors(close_form, exc)
            status = 400
        else:
            form = ReviewDecisionForm(request.POST)
            if form.is_valid():
                partner = partner_queries.access_partner(request.access, form.cleaned_data["partner"])
                try:
                    services.portfolio_review_decide(
                        access=request.access,
                        review=review,
                        partner=partner,
                        decision=form.cleaned_data["decision"],
                        note=form.cleaned_data["note"],
                    )
                    return redirect(_url("tiering_review", request, review.pk) + f"#p{partner.pk}")
                except ValidationError as exc:
                    decision_error = "; ".join(exc.messages)
            else:
                decision_error = "Choose a decision."
            status = 400
    return render(
        request,
        "tiering/review_detail.html",
        {
            "review": review,
            "rows": queries.review_candidates(request.access, review),
            "decisions": [(v, label) for v, label in services.ReviewDecision.Decision.choices],
            "close_form": close_form,
            "decision_error": decision_error,
            "can_manage": can_manage,
        },
        status=status,
    )
