"""Tiering's demo data: managers' manual ratings of every partner, the program's tiering
settings, and score runs for the past three quarters and today (after every app has seeded)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from django.utils import timezone

from partners.models import Partner
from prm.models import Tenant, User

from . import engine
from .models import ManualRating, ScoreRun
from .program import active_criteria, tiering_settings
from .recalculation import score_run_execute, sourced_revenue_ttm


def seed(*, tenant: Tenant, staff: dict[str, User]) -> None:
    """Ratings of the partners the partners app has just seeded (only where none exists yet)."""
    _ratings(staff)


# Manual ratings by tier: the range a partner of that tier is usually rated in (1–5).
RATING_RANGES = {"Strategic": (3, 5), "Gold": (3, 4), "Silver": (2, 4), "Registered": (1, 3), None: (1, 3)}
RATING_COMMENTS = {
    5: "Outstanding: a reference partner on this.",
    4: "Strong, with a clear plan.",
    3: "Solid, room to grow.",
    2: "Patchy; agreed actions at the last review.",
    1: "Not yet: no evidence so far.",
}


def _ratings(staff: dict[str, User]) -> None:
    """Managers' manual ratings of every partner in the program (only where none exists yet)."""
    keys = [c.key for c in active_criteria() if c.kind == "manual"]
    rated = set(ManualRating.objects.values_list("partner_id", "key"))
    settings_row = tiering_settings()
    settings_row.tactical_auto_apply = True  # the demo program lets tactical moves apply themselves
    settings_row.save()
    rows = []
    for partner in (
        Partner.objects.exclude(status=Partner.Status.PROSPECT).select_related("tier").order_by("pk")
    ):
        rng = random.Random(f"rating-{partner.domain}")  # noqa: S311 (demo data)
        low, high = RATING_RANGES.get(partner.tier.name if partner.tier else None, (1, 3))
        for key in keys:
            if (partner.pk, key) not in rated:
                value = rng.randint(low, high)
                rows.append(
                    ManualRating(
                        partner=partner,
                        key=key,
                        value=value,
                        comment=RATING_COMMENTS[value],
                        rated_by=staff["manager"],
                    )
                )
    ManualRating.objects.bulk_create(rows)


# Past runs for the trend charts, one per fiscal quarter (days before today), then today's.
RUN_DAYS_AGO = (273, 182, 91, 0)


def finish(*, tenant: Tenant, staff: dict[str, User]) -> None:
    """After every app has seeded: recalculate scores for the past three quarters (once: their
    runs are backfilled only while missing) and today (idempotent), so the trend, the proposals
    and the balance alerts reflect the whole program. Re-running a past day after later days
    would re-decide tactical moves already made and repeat them in the tier history."""
    today = timezone.localdate()
    _demo_concentration_limit(today)
    done = set(ScoreRun.objects.filter(status=ScoreRun.Status.DONE).values_list("run_on", flat=True))
    for days in RUN_DAYS_AGO:
        run_on = today - timedelta(days=days)
        if run_on == today or run_on not in done:
            score_run_execute(run_on=run_on)


def _demo_concentration_limit(today: date) -> None:
    """The demo program's admin watches revenue concentration closely: the limit sits between the
    two largest strategic partners' shares of partner-sourced revenue, so the demo shows one alert."""
    result = engine.compute(run_on=today, criteria=[])
    sourced = sourced_revenue_ttm(result)
    total = sum(sourced.values(), Decimal(0))
    strategic = set(Partner.objects.filter(tier__classification="strategic").values_list("pk", flat=True))
    shares = sorted((v / total for pid, v in sourced.items() if pid in strategic and total), reverse=True)
    if len(shares) >= 2 and shares[0] > shares[1]:
        settings_row = tiering_settings()
        settings_row.concentration_share = ((shares[0] + shares[1]) / 2).quantize(
            Decimal("0.001"), ROUND_DOWN
        )
        settings_row.save()
