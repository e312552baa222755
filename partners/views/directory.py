"""Staff pages for partners."""

from django.http import HttpResponse
from django.shortcuts import render

from prm.access import TenantRequest
from prm.permissions import Perm
from prm.ui import paginate, require_perm

from .. import queries


@require_perm(Perm.VIEW_PROGRAM)
def partner_list(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    qs = queries.partners(request.access)
    term = request.GET.get("q", "").strip()
    if term:
        qs = qs.filter(name__icontains=term)
    return render(request, "partners/partner_list.html", {"page": paginate(request, qs), "q": term})
