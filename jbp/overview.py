"""What plans contribute to the staff overview page: this quarter's attainment status of every
signed plan, plans waiting on someone, and reviews coming up."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from prm.access import TenantRequest
from prm.overview import OverviewWidget, register_widget
from prm.periods import fiscal_quarter_of

from . import queries
from .models import Plan


def _plans_widget(request: TenantRequest) -> dict[str, Any]:
    tenant = request.tenant
    today = timezone.localdate()
    quarter = fiscal_quarter_of(today, tenant.fiscal_year_start_month)
    statuses = queries.plan_attainment_statuses(tenant=tenant, period=quarter, today=today)
    paces = Counter(row.status for row in statuses)
    waiting = dict(
        queries.plans(request.access)
        .filter(status__in=[Plan.Status.SHARED, Plan.Status.PARTNER_APPROVED])
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    upcoming = list(
        queries.plans(request.access)
        .filter(
            status=Plan.Status.ACTIVE,
            next_review_on__gte=today,
            next_review_on__lte=today + timedelta(days=14),
        )
        .select_related("partner")
        .order_by("next_review_on")[:6]
    )
    return {
        "quarter": quarter,
        "paces": [
            (key, queries.Pace.LABELS[key], paces.get(key, 0))
            for key in (queries.Pace.ON_TRACK, queries.Pace.AT_RISK, queries.Pace.BEHIND)
        ],
        "behind": [row for row in statuses if row.status == queries.Pace.BEHIND][:5],
        "awaiting_partner": waiting.get(Plan.Status.SHARED, 0),
        "awaiting_signature": waiting.get(Plan.Status.PARTNER_APPROVED, 0),
        "upcoming": upcoming,
    }


def register() -> None:
    register_widget(
        OverviewWidget(key="plans", template="jbp/overview.html", order=30, context=_plans_widget)
    )
