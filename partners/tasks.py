"""Background work on partners. Thin adapters: ids in, a use case of ``partners.imports``, a
JSON-safe result out. The base task runs each one inside its tenant."""

from __future__ import annotations

from celery import shared_task

from . import imports
from .imports import IMPORT_TIME_LIMIT


@shared_task(time_limit=IMPORT_TIME_LIMIT, soft_time_limit=IMPORT_TIME_LIMIT - 60)
def validate_import(*, tenant_id: int, job_id: int) -> str:
    """Preview a queued CSV import (nothing is written). Returns the job's status."""
    return imports.import_validate(job_id=job_id)


@shared_task(time_limit=IMPORT_TIME_LIMIT, soft_time_limit=IMPORT_TIME_LIMIT - 60)
def apply_import(*, tenant_id: int, job_id: int) -> str:
    """Apply a previewed CSV import; running it again for a done job does nothing."""
    return imports.import_run_apply(job_id=job_id)
