"""Import jobs: start, apply, the task bodies that preview and apply, and their progress."""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from prm import actors, audit
from prm.access import TenantAccess
from prm.models import ApiKey, Membership, User
from prm.permissions import Perm

from ..models import ImportJob
from .csvfile import COLUMNS, ImportFileError, read_csv
from .rows import run_pass

logger = logging.getLogger(__name__)

# Failures that may pass (the database or the network went away): the task is retried from the
# start, which is safe because the pass and the job's status commit together or not at all.
TRANSIENT = (ConnectionError, TimeoutError, OperationalError, InterfaceError)

PROGRESS_EVERY = 50  # rows between progress reports (and at most every half second)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# --- progress (in the cache: the task's own writes stay invisible until it commits) ----------


def _progress_key(job_id: int) -> str:
    return f"prm:import-progress:{job_id}"


class Progress:
    """Publishes how far a running pass is, at most every PROGRESS_EVERY rows or half second."""

    def __init__(self, job: ImportJob, status: str) -> None:
        self.job, self.status, self.last = job, status, 0.0

    def __call__(self, processed: int) -> None:
        now = time.monotonic()
        if processed % PROGRESS_EVERY and processed != self.job.total_rows and now - self.last < 0.5:
            return
        self.last = now
        publish_progress(
            self.job.pk, {"status": self.status, "processed": processed, "total": self.job.total_rows}
        )


def publish_progress(job_id: int, state: dict[str, Any]) -> None:
    cache.set(_progress_key(job_id), state, timeout=3600)


# A 20,000-row file runs every row through the services; leave it time, below the global ceiling.
IMPORT_TIME_LIMIT = 14 * 60


def is_stalled(job: ImportJob) -> bool:
    """A running job untouched for longer than a task may live: its worker is gone."""
    return job.is_running and timezone.now() - job.updated_at > timedelta(seconds=IMPORT_TIME_LIMIT + 120)


def progress_of(job: ImportJob) -> dict[str, Any]:
    """Where a job stands: its status, rows processed of all rows, and a percentage."""
    state: dict[str, Any] = {"status": job.status, "processed": job.processed_rows, "total": job.total_rows}
    if job.is_running:
        published = cache.get(_progress_key(job.pk)) or {}
        state.update({k: v for k, v in published.items() if k in ("processed", "total")})
        if published.get("status") in ImportJob.RUNNING:
            state["status"] = published["status"]  # the database says "queued" until the task commits
    total = state["total"] or 0
    state["percent"] = round(100 * state["processed"] / total) if total else 0
    state["label"] = ImportJob.Status(state["status"]).label
    return state


# --- use cases -------------------------------------------------------------------------------


def import_jobs(access: TenantAccess) -> QuerySet[ImportJob]:
    """The tenant's imports, newest first (staff who manage partners only)."""
    if not access.can(Perm.MANAGE_PARTNERS):
        raise PermissionDenied
    return ImportJob.objects.select_related(
        "created_by", "created_by_key", "applied_by", "applied_by_key"
    ).order_by("-created_at", "-id")


def access_import_job(access: TenantAccess, import_job_id: int) -> ImportJob:
    """One import of this tenant, or 404 (missing and another tenant's look the same)."""
    job = import_jobs(access).filter(pk=import_job_id).first()
    if job is None:
        raise Http404
    return job


@transaction.atomic
def import_start(*, access: TenantAccess, kind: str, filename: str, data: bytes) -> ImportJob:
    """Store an uploaded CSV file and queue its preview. Refuses, naming the problem, a file
    that cannot be imported at all (size, encoding, header, number of rows)."""
    if not access.can(Perm.MANAGE_PARTNERS):
        raise PermissionDenied(f"Your role ({access.role_label}) may not import partners.")
    if kind not in COLUMNS:
        raise ValidationError({"kind": "Choose partners or contacts."})
    try:
        parsed = read_csv(kind, data)
    except ImportFileError as exc:
        raise ValidationError({"file": exc.messages}) from None
    job = ImportJob(
        kind=kind,
        original_filename=os.path.basename(filename)[:255] or "upload.csv",
        total_rows=len(parsed.rows),
        **actors.by(access, "created_by"),
    )
    job.assign_tenant()
    job.file.save("upload.csv", ContentFile(data), save=False)
    job.save()
    from ..tasks import validate_import  # the task calls this module back: import when queuing

    tenant_id, job_id = access.tenant.pk, job.pk
    transaction.on_commit(lambda: validate_import.delay(tenant_id=tenant_id, job_id=job_id))
    return job


@transaction.atomic
def import_apply(*, access: TenantAccess, job: ImportJob, mode: str) -> ImportJob:
    """Queue a previewed import for applying, all rows or none, or the valid rows only."""
    if not access.can(Perm.MANAGE_PARTNERS):
        raise PermissionDenied(f"Your role ({access.role_label}) may not import partners.")
    if mode not in ImportJob.Mode.values:
        raise ValidationError({"mode": "Choose all rows or none, or the valid rows only."})
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEWED).update(
        status=ImportJob.Status.APPLYING,
        mode=mode,
        **actors.by(access, "applied_by"),
        updated_at=timezone.now(),
    )
    if not claimed:
        raise ValidationError("This import is not waiting to be applied (it may have been applied already).")
    job.refresh_from_db()
    publish_progress(job.pk, {"status": job.status, "processed": 0, "total": job.total_rows})
    from ..tasks import apply_import  # as above

    tenant_id, job_id = access.tenant.pk, job.pk
    transaction.on_commit(lambda: apply_import.delay(tenant_id=tenant_id, job_id=job_id))
    return job


class JobFailed(Exception):
    """The job cannot go on; the message is shown on its page."""


def _access_of(job: ImportJob, field: str) -> TenantAccess:
    """The access of the person (or API key) recorded in ``field`` of the job, as it is now
    (they may have left, the key may have been revoked)."""
    key: ApiKey | None = getattr(job, actors.key_field_name(field))
    if key is not None:
        if key.is_active and TenantAccess.from_api_key(key, key.tenant).can(Perm.MANAGE_PARTNERS):
            return TenantAccess.from_api_key(key, key.tenant)
        raise JobFailed("The API key that started this import is revoked or may no longer change partners.")
    user: User | None = getattr(job, field)
    membership = (
        Membership.objects.select_related("tenant", "user")
        .filter(tenant_id=job.tenant_id, user=user, is_active=True)
        .first()
        if user is not None
        else None
    )
    if membership is None or not TenantAccess.from_membership(membership).can(Perm.MANAGE_PARTNERS):
        raise JobFailed("The person who started this import may no longer change partners.")
    return TenantAccess.from_membership(membership)


def _locked_job(job_id: int, status: str) -> ImportJob | None:
    job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
    return job if job is not None and job.status == status else None


def _fail(job: ImportJob, exc: Exception) -> str:
    if isinstance(exc, JobFailed):
        job.error_message = str(exc)
    elif isinstance(exc, ImportFileError):
        job.error_message = " ".join(exc.messages)
    else:
        logger.exception("Import %s failed", job.pk)
        job.error_message = f"The import stopped unexpectedly ({type(exc).__name__}). Nothing was changed."
    job.status = ImportJob.Status.FAILED
    job.save()
    publish_progress(job.pk, {"status": job.status})
    return job.status


def import_validate(*, job_id: int) -> str:
    """Task body: preview a queued import. Does nothing for a job that is not queued."""
    job = _locked_job(job_id, ImportJob.Status.QUEUED)
    if job is None:
        return "skipped"
    try:
        with transaction.atomic():
            access = _access_of(job, "created_by")
            outcome = run_pass(job, access, commit=False, progress=Progress(job, ImportJob.Status.VALIDATING))
    except TRANSIENT:
        raise
    except Exception as exc:
        return _fail(job, exc)
    job.counts, job.row_results = outcome.counts, outcome.results
    job.status = ImportJob.Status.PREVIEWED
    job.save()
    publish_progress(job.pk, {"status": job.status})
    return job.status


def import_run_apply(*, job_id: int) -> str:
    """Task body: apply an import queued by ``import_apply``, once (a done job is left alone)."""
    job = _locked_job(job_id, ImportJob.Status.APPLYING)
    if job is None:
        return "skipped"
    try:
        with transaction.atomic():
            access = _access_of(job, "applied_by")
            outcome = run_pass(job, access, commit=True, progress=Progress(job, ImportJob.Status.APPLYING))
            counts = outcome.counts
            refused = counts["error"] > 0 and job.mode == ImportJob.Mode.ALL_OR_NOTHING
            job.applied_counts = {
                "created": 0 if refused else counts["create"],
                "updated": 0 if refused else counts["update"],
                "unchanged": counts["unchanged"],
                "skipped": counts["error"],
            }
            job.row_results = outcome.results
            job.applied_at = timezone.now()
            if refused:
                job.status = ImportJob.Status.FAILED
                job.error_message = (
                    f"Nothing was imported: {_plural(counts['error'], 'row')} could not be applied "
                    "(see below). Fix the file and upload it again, or apply the valid rows only."
                )
            else:
                job.status = ImportJob.Status.DONE
            job.save()
            audit.record(
                access=access,
                verb="import.failed" if refused else "import.applied",
                target=job,
                after={
                    "kind": job.kind,
                    "file": job.original_filename,
                    "mode": job.mode,
                    **job.applied_counts,
                },
            )
    except TRANSIENT:
        raise
    except Exception as exc:
        return _fail(job, exc)
    publish_progress(job.pk, {"status": job.status})
    return job.status
