"""Partner metrics of the catalog (one aggregate query grouped by partner)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery

from prm.metrics import Metric, Parts, Unit, register
from prm.periods import FiscalPeriod

from .models import Certification, ScoreSnapshot


def _certifications(tenant: Any, partner_ids: list[int] | None, period: FiscalPeriod) -> Any:
    active = Certification.objects.filter(archived_at__isnull=True, earned_on__lte=period.end).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=period.end)
    )
    if partner_ids is not None:
        active = active.filter(partner_id__in=partner_ids)
    return active.order_by().values("partner_id").annotate(n=Count("pk"))


def _partner_score(tenant: Any, partner_ids: list[int], period: FiscalPeriod) -> dict[int, Any]:
    latest = (
        ScoreSnapshot.objects.filter(partner_id=OuterRef("partner_id"), run_on__lte=period.end)
        .order_by("-run_on")
        .values("run_on")[:1]
    )
    rows = ScoreSnapshot.objects.filter(partner_id__in=partner_ids, run_on=Subquery(latest)).values_list(
        "partner_id", "score"
    )
    return dict(rows)


METRICS = [
    Metric(
        "active_certifications",
        "Active certifications",
        Unit.COUNT,
        None,
        "Certifications of the partner earned by the period's end and not expired at it (archived ones excluded).",
        parts=Parts(("n",), _certifications, lambda p: p["n"] or 0),
    ),
    Metric(
        "partner_score",
        "Partner score",
        Unit.SCORE,
        _partner_score,
        "The partner's tiering score (0–100) from its latest score snapshot on or before the period's end; "
        "empty when it was never scored.",
    ),
]


def register_all() -> None:
    for metric in METRICS:
        register(metric)
