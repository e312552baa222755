"""Staff pages for CSV imports: upload, preview and progress, apply, and the CSV templates."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import apply_service_errors, require_perm

from .. import imports
from ..models import ImportJob

RECENT_JOBS = 10


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=ImportJob.Kind.choices,
        widget=forms.RadioSelect,
        initial=ImportJob.Kind.PARTNERS,
    )
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 CSV with a header row, at most 5 MB and 20,000 rows.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is 5 MB. Split it and import the parts."
            )
        return upload


@require_perm(Perm.MANAGE_PARTNERS)
def partner_import(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """Upload a CSV file of partners or contacts (and see the latest imports)."""
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = imports.import_start(
                access=request.access,
                kind=form.cleaned_data["kind"],
                filename=upload.name,
                data=upload.read(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return redirect("partner_import_detail", tenant_slug=tenant_slug, import_job_id=job.pk)
    context = {
        "form": form,
        "jobs": imports.import_jobs(request.access)[:RECENT_JOBS],
        "docs": {kind: imports.column_docs(kind) for kind in ImportJob.Kind.values},
        "max_rows": imports.MAX_ROWS,
    }
    return render(request, "partners/imports/upload.html", context, status=400 if form.errors else 200)


@require_perm(Perm.MANAGE_PARTNERS)
def partner_import_detail(request: TenantRequest, tenant_slug: str, import_job_id: int) -> HttpResponse:
    """Progress while the file is checked or applied (polled by htmx), then preview or result."""
    job = imports.access_import_job(request.access, import_job_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    context = {"job": job, "progress": imports.progress_of(job), "stalled": imports.is_stalled(job)}
    if request.headers.get("HX-Request") == "true":  # the progress poll
        if not job.is_running or context["stalled"]:
            return HttpResponseClientRefresh()
        return render(request, "partners/imports/_progress.html", context)
    return render(request, "partners/imports/detail.html", context)


@require_perm(Perm.MANAGE_PARTNERS)
@require_POST
def partner_import_apply(request: TenantRequest, tenant_slug: str, import_job_id: int) -> HttpResponse:
    job = imports.access_import_job(request.access, import_job_id)
    try:
        imports.import_apply(access=request.access, job=job, mode=request.POST.get("mode", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("partner_import_detail", tenant_slug=tenant_slug, import_job_id=job.pk)


@require_perm(Perm.MANAGE_PARTNERS)
def partner_import_template(request: TenantRequest, tenant_slug: str, kind: str) -> HttpResponse:
    """The CSV template of one kind: the header and an example row."""
    if kind not in ImportJob.Kind.values:
        raise Http404
    response = HttpResponse(
        imports.template_csv(kind, request.access), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{kind}-import-template.csv"'
    return response
