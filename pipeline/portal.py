"""Partner portal pages of the registration desk: always built from the member's own partner.

Registrations are read through ``queries`` with the member's access, which confines them to
the member's partner: another partner's registration is a 404. The pre-check says whether a
customer is claimed, never by whom.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import form_status, paginate, require_perm, run_service

from . import queries, services
from .forms import STATUS_TABS, ExtensionRequestForm, PrecheckForm, RegistrationForm
from .models import DealRegistration

Status = DealRegistration.Status
DETAIL = "portal:registration_detail"


@require_perm(Perm.USE_PORTAL)
def portal_registration_list(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    access = request.access
    status = request.GET.get("status") or "all"
    if status not in dict(STATUS_TABS):
        status = "all"
    page = paginate(request, queries.queue(access, {"status": status}), per_page=25, bounded=True)
    counts = queries.status_counts(access)
    tabs = [
        {"value": value, "label": label, "count": counts[value], "current": value == status}
        for value, label in [("all", "All"), *STATUS_TABS[:-1]]
    ]
    return render(
        request,
        "portal/deals_list.html",
        {
            "page": page,
            "rows": queries.with_sla(access, page.object_list),
            "tabs": tabs,
            "current_status": status,
            "sla_hours": queries.sla_hours(access),
        },
    )


@require_perm(Perm.USE_PORTAL)
def portal_registration_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = RegistrationForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        registration = run_service(
            form,
            lambda: services.registration_submit(
                access=request.access,
                account_name=form.cleaned_data["account_name"],
                account_domain=form.cleaned_data["account_domain"],
                fields=form.registration_fields(),
            ),
        )
        if registration is not None:
            hours = queries.sla_hours(request.access)
            messages.success(
                request,
                f"Registration submitted. The program team decides within {hours} hours; you get an e-mail either way.",
            )
            return redirect(DETAIL, tenant_slug=tenant_slug, registration_id=registration.pk)
    return render(request, "portal/deals_form.html", _form_context(request, form), status=form_status(form))


def _form_context(
    request: TenantRequest, form: RegistrationForm, precheck: dict[str, Any] | None = None
) -> dict:
    return {"form": form, "precheck": precheck, "sla_hours": queries.sla_hours(request.access)}


@require_POST
@require_perm(Perm.USE_PORTAL)
def portal_registration_precheck(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """Would registering this customer conflict? A small fragment for htmx; without script, the
    register form again with the answer above it (and what was typed kept)."""
    form = PrecheckForm(request.POST)
    result: dict[str, Any] = {"form": form}
    if form.is_valid():
        result.update(
            services.account_precheck(
                access=request.access,
                name=form.cleaned_data["account_name"],
                domain=form.cleaned_data["account_domain"],
            )
        )
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "portal/deals_precheck.html", {"precheck": result})
    typed = {name: value for name, value in request.POST.items() if name != "csrfmiddlewaretoken"}
    register_form = RegistrationForm(initial=typed, tenant=request.tenant)
    return render(request, "portal/deals_form.html", _form_context(request, register_form, result))


@require_perm(Perm.USE_PORTAL)
def portal_registration_detail(
    request: TenantRequest, tenant_slug: str, registration_id: int
) -> HttpResponse:
    registration = queries.access_registration(request.access, registration_id)
    return render(request, "portal/deals_detail.html", _detail_context(request, registration))


def _detail_context(
    request: TenantRequest, registration: DealRegistration, form: ExtensionRequestForm | None = None
) -> dict:
    access = request.access
    can_request = registration.status == Status.APPROVED and registration.extension_requested_at is None
    return {
        "registration": registration,
        "sla": queries.sla_state(registration, hours=queries.sla_hours(access)),
        "history": queries.status_history(access, registration),
        "desk": services.desk_settings(access.tenant),
        "protection": queries.protection(access, registration),
        "extension_form": form or (ExtensionRequestForm() if can_request else None),
    }


@require_POST
@require_perm(Perm.USE_PORTAL)
def portal_registration_request_extension(
    request: TenantRequest, tenant_slug: str, registration_id: int
) -> HttpResponse:
    registration = queries.access_registration(request.access, registration_id)
    form = ExtensionRequestForm(request.POST)
    if form.is_valid() and run_service(
        form,
        lambda: services.registration_request_extension(
            access=request.access, registration=registration, reason=form.cleaned_data["reason"]
        ),
    ):
        messages.success(request, "Extension requested. The program team decides and you get an e-mail.")
        return redirect(DETAIL, tenant_slug=tenant_slug, registration_id=registration.pk)
    return render(
        request, "portal/deals_detail.html", _detail_context(request, registration, form), status=400
    )
