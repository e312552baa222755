"""Helpers shared by the tiering tests: a stand-in signed-plan metric and a simple ladder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from partners.models import Tier
from partners.services import tier_ensure_defaults
from prm import metrics
from prm.metrics import Metric, Unit


@contextmanager
def stand_in_jbp_metric(signed_partner_ids: set[int]) -> Iterator[None]:
    """Register ``jbp_signed`` (1 for the partners given) and restore the catalog afterwards."""
    saved = dict(metrics._CATALOG)
    metrics._CATALOG.pop("jbp_signed", None)
    metrics.register(
        Metric(
            "jbp_signed",
            "Signed plan",
            Unit.COUNT,
            lambda t, ids, p: {i: 1 for i in ids if i in signed_partner_ids},
        )
    )
    try:
        yield
    finally:
        metrics._CATALOG.clear()
        metrics._CATALOG.update(saved)


@contextmanager
def without_jbp_metric() -> Iterator[None]:
    saved = dict(metrics._CATALOG)
    metrics._CATALOG.pop("jbp_signed", None)
    try:
        yield
    finally:
        metrics._CATALOG.clear()
        metrics._CATALOG.update(saved)


def ladder(*, strategic_min: str = "70", gold_min: str = "50", silver_min: str = "30") -> dict[str, Tier]:
    """The default tiers with simple entry rules: scores only (no other requirement)."""
    tiers = {t.name: t for t in tier_ensure_defaults()}
    for name, minimum in (
        ("Strategic", strategic_min),
        ("Gold", gold_min),
        ("Silver", silver_min),
        ("Registered", "0"),
    ):
        tier = tiers[name]
        tier.min_score = Decimal(minimum)
        tier.min_active_certifications = None
        tier.min_revenue_ttm = None
        tier.requires_signed_jbp = False
        tier.save()
    return tiers


# A scorecard where every criterion is a manual rating: scores follow from the ratings alone.
MANUAL_ONLY = [
    {"key": "fit_to_icp", "label": "Fit to ICP", "kind": "manual", "weight": 60},
    {"key": "ease_of_working", "label": "Ease of working", "kind": "manual", "weight": 40},
]
