"""Tiering's background work: the nightly score recalculation, one task per tenant (``fan_out``), and
the re-check of a partner's pending proposal when what its rules read changes."""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task

from .recalculation import score_run_attempt
from .reevaluation import tier_proposal_reevaluate


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


@shared_task(time_limit=5 * 60, soft_time_limit=4 * 60)
def reevaluate_tier_proposal(*, tenant_id: int, partner_id: int, why: str = "") -> dict[str, Any]:
    """Re-check the partner's pending proposal after a change to what its rules read."""
    pending = tier_proposal_reevaluate(partner_id=partner_id, why=why)
    return {"partner_id": partner_id, "pending": pending.pk if pending else None}


def on_standing_changed(sender: Any, *, tenant_id: int, partner_id: int, why: str, **kwargs: Any) -> None:
    """``partners.signals.partner_standing_changed``'s receiver: queue the re-check (it runs at once
    where tasks run eagerly; ``tier_proposal_approve`` re-checks too, so a queued one cannot be
    overtaken by an approval)."""
    reevaluate_tier_proposal.delay(tenant_id=tenant_id, partner_id=partner_id, why=why)
