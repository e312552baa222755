"""The partner's own tier page in the portal: tier and benefits, score breakdown, the trend, and
what it takes to reach the next tier. Built from the member's own partner only."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from partners import queries as partner_queries
from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import require_perm

from . import queries
from .presenters import trend_chart
from .program import tiering_settings


@require_perm(Perm.USE_PORTAL)
def portal_tier(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    partner = partner_queries.own_partner(request.access)
    data = queries.partner_scorecard(request.access, partner)
    return render(
        request,
        "portal/tier.html",
        {
            "partner": partner,
            "latest": data["latest"],
            "gap": data["gap"],
            "chart": trend_chart(data["snapshots"], partner.name),
            "ratings": data["ratings"] if tiering_settings().show_rating_comments_in_portal else {},
            "tiers": queries.tiers(request.access),
        },
    )
