"""Staff pages for revenue records: the list (filtered by partner and month range) and the CSV
import (upload with column help, preview of every row, apply all-or-nothing or valid rows only)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from prm import closing
from prm.access import TenantRequest
from prm.money import MoneySum
from prm.permissions import Perm
from prm.ui import paginate, require_perm

from . import imports, queries
from .forms import RevenueApplyForm, RevenueFilterForm, RevenueUploadForm
from .models import RevenueImport, RevenueRecord

DETAIL = "revenue_import_detail"


@require_perm(Perm.MANAGE_PARTNERS)
def revenue_list(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = RevenueFilterForm(request.GET or None, partners=queries.partner_choices(request.access))
    data = form.cleaned_data if form.is_valid() else {}
    records = RevenueRecord.objects.select_related("account", "partner").order_by(
        "-period", "account__name", "pk"
    )
    if data.get("partner"):
        records = records.filter(partner=data["partner"])
    elif data.get("direct"):
        records = records.filter(partner__isnull=True)
    if data.get("month_from"):
        records = records.filter(period__gte=data["month_from"].replace(day=1))
    if data.get("month_to"):
        records = records.filter(period__lte=data["month_to"].replace(day=1))
    total = records.aggregate(total=MoneySum("amount_reporting"))["total"]
    kept = request.GET.copy()
    kept.pop("page", None)
    return render(
        request,
        "pipeline/revenue_list.html",
        {
            "form": form,
            "page": paginate(request, records, per_page=50),
            "total": total,
            "query": kept.urlencode(),
        },
    )


@require_perm(Perm.MANAGE_PARTNERS)
def revenue_import_upload(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = RevenueUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > imports.MAX_BYTES:
                form.add_error("file", f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is 5 MB.")
            else:
                try:
                    revenue_import = imports.revenue_import_preview(
                        access=request.access, filename=upload.name, data=upload.read()
                    )
                except ValidationError as error:
                    form.add_error("file", error.messages)
                else:
                    return redirect(DETAIL, tenant_slug=tenant_slug, revenue_import_id=revenue_import.pk)
        status = 400
    return render(
        request,
        "pipeline/revenue_import_upload.html",
        {
            "form": form,
            "columns": imports.COLUMNS,
            "closed_help": closing.date_help(request.tenant),
            "kinds": RevenueRecord.Kind.values,
            "recent": RevenueImport.objects.select_related("created_by", "created_by_key")[:10],
        },
        status=status,
    )


@require_perm(Perm.MANAGE_PARTNERS)
def revenue_import_template(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    response = HttpResponse(imports.template_csv(request.access), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="revenue-template.csv"'
    return response


def _get_import(revenue_import_id: int) -> RevenueImport:
    revenue_import = (
        RevenueImport.objects.select_related("created_by", "created_by_key")
        .filter(pk=revenue_import_id)
        .first()
    )
    if revenue_import is None:
        raise Http404
    return revenue_import


def _render_detail(request: TenantRequest, revenue_import: RevenueImport, status: int = 200) -> HttpResponse:
    rows = revenue_import.row_results
    return render(
        request,
        "pipeline/revenue_import_detail.html",
        {
            "job": revenue_import,
            "counts": revenue_import.counts,
            "rows": rows,
            "shown": len(rows),
            "modes": RevenueImport.Mode,
        },
        status=status,
    )


@require_perm(Perm.MANAGE_PARTNERS)
def revenue_import_detail(request: TenantRequest, tenant_slug: str, revenue_import_id: int) -> HttpResponse:
    return _render_detail(request, _get_import(revenue_import_id))


@require_POST
@require_perm(Perm.MANAGE_PARTNERS)
def revenue_import_apply(request: TenantRequest, tenant_slug: str, revenue_import_id: int) -> HttpResponse:
    revenue_import = _get_import(revenue_import_id)
    form = RevenueApplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose all rows or none, or only the valid rows.")
        return _render_detail(request, revenue_import, status=400)
    if revenue_import.status == RevenueImport.Status.APPLIED:
        messages.info(request, "This file was already imported; nothing changed.")
        return redirect(DETAIL, tenant_slug=tenant_slug, revenue_import_id=revenue_import.pk)
    try:
        applied = imports.revenue_import_apply(
            access=request.access, revenue_import=revenue_import, mode=form.cleaned_data["mode"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _render_detail(request, revenue_import, status=400)
    counts = applied.counts
    skipped = (
        f" {counts['skipped']} row{'s' if counts['skipped'] != 1 else ''} with errors skipped."
        if counts.get("skipped")
        else ""
    )
    messages.success(
        request,
        f"Imported {counts['created']} revenue record{'s' if counts['created'] != 1 else ''}.{skipped}",
    )
    return redirect(DETAIL, tenant_slug=tenant_slug, revenue_import_id=applied.pk)
