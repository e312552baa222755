"""Partner metrics of the catalog (one aggregate query grouped by partner)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from prm.metrics import Metric, Unit, register
from prm.periods import FiscalPeriod

from .models import Certification


def _certifications(tenant: Any, partner_ids: list[int], period: FiscalPeriod) -> dict[int, Any]:
    active = Certification.objects.filter(
        partner_id__in=partner_ids, archived_at__isnull=True, earned_on__lte=period.end
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=period.end))
    rows = active.order_by().values("partner_id").annotate(value=Count("pk"))
    return {row["partner_id"]: row["value"] for row in rows}


METRICS = [
    Metric(
        "active_certifications", "Active certifications", Unit.COUNT, _certifications,
        "Certifications of the partner earned by the period's end and not expired at it (archived ones excluded).",
    ),
]


def register_all() -> None:
    for metric in METRICS:
        register(metric)
