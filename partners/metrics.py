"""Partner metrics of the catalog (one aggregate query grouped by partner)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from prm.metrics import Metric, Parts, Unit, register
from prm.periods import FiscalPeriod

from .models import Certification


def _certifications(tenant: Any, partner_ids: list[int] | None, period: FiscalPeriod) -> Any:
    active = Certification.objects.filter(archived_at__isnull=True, earned_on__lte=period.end).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=period.end)
    )
    if partner_ids is not None:
        active = active.filter(partner_id__in=partner_ids)
    return active.order_by().values("partner_id").annotate(n=Count("pk"))


METRICS = [
    Metric(
        "active_certifications",
        "Active certifications",
        Unit.COUNT,
        None,
        "Certifications of the partner earned by the period's end and not expired at it (archived ones excluded).",
        parts=Parts(("n",), _certifications, lambda p: p["n"] or 0, counts=("n",)),
    ),
]


def register_all() -> None:
    for metric in METRICS:
        register(metric)
