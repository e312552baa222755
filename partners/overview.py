"""What partners contribute to the staff overview page."""

from __future__ import annotations

from typing import Any

from prm.access import TenantRequest
from prm.overview import OverviewWidget, register_widget

from . import queries


def _status_widget(request: TenantRequest) -> dict[str, Any]:
    access = request.access
    return {
        "status_counts": queries.status_counts(access),
        "classification": queries.classification_counts(access),
        "expiring": list(queries.certifications_expiring(access, days=60)[:8]),
    }


def register() -> None:
    register_widget(
        OverviewWidget(
            key="partners", template="partners/overview/status_counts.html", order=10, context=_status_widget
        )
    )
