"""Partner portal pages: always built from the member's own partner."""

from django.http import HttpResponse
from django.shortcuts import render

from prm import queries as core_queries
from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import require_perm

from . import queries


@require_perm(Perm.USE_PORTAL)
def portal_home(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    access = request.access
    return render(
        request,
        "portal/home.html",
        {
            "partner": queries.own_partner(access),
            "colleague_count": core_queries.members(access).filter(is_active=True).count(),
        },
    )
