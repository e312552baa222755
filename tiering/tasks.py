"""Tiering's background work: the nightly score recalculation, one task per tenant (``fan_out``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task

from .recalculation import score_run_attempt


@shared_task(time_limit=10 * 60, soft_time_limit=9 * 60)
def recalculate_scores(*, tenant_id: int, run_on: str | None = None) -> dict[str, Any]:
    """Recalculate every partner's score for the day (nightly via ``fan_out``; idempotent per day).

    A crash leaves the day's run failed with the reason (``score_run_attempt``), not queued."""
    run = score_run_attempt(run_on=date.fromisoformat(run_on) if run_on else None)
    return {
        "run_on": run.run_on.isoformat(),
        "status": run.status,
        "partners": run.total,
        "proposals_opened": run.proposals_opened,
        "error": run.error_message,
    }
