"""Tiering's metric of the catalog: the partner's score as of a period's end."""

from __future__ import annotations

from typing import Any

from partners.models import Partner
from prm.metrics import Metric, Unit, register
from prm.periods import FiscalPeriod

from .queries import latest_snapshots


def _partner_score(tenant: Any, partner_ids: list[int], period: FiscalPeriod) -> dict[int, Any]:
    partners = Partner.objects.filter(pk__in=partner_ids)
    return dict(latest_snapshots(partners, before=period.end, inclusive=True, fields=["score"]))


METRICS = [
    Metric(
        "partner_score",
        "Partner score",
        Unit.SCORE,
        _partner_score,
        "The partner's tiering score (0–100) from its latest score snapshot on or before the period's end; "
        "empty when it was never scored. A run scores the last fiscal quarter finished before its day, so the "
        "figure for a quarter measures the quarter before it (FY2027-Q3's rests on FY2027-Q2's numbers); each "
        "snapshot names the quarter it measured.",
    ),
]


def register_all() -> None:
    for metric in METRICS:
        register(metric)
