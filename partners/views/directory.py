"""The partner directory: search, filters and sort saved in the URL, pagination, CSV export."""

from __future__ import annotations

from collections import defaultdict

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from prm.access import TenantRequest
from prm.csvfile import SafeWriter
from prm.permissions import Perm
from prm.ui import paginate, require_perm

from .. import queries
from ..services import ATTRIBUTE_FIELDS

EXPORT_COLUMNS = [
    "id",
    "name",
    "legal_name",
    "domain",
    "website",
    "country",
    "status",
    "tier",
    "classification",
    *ATTRIBUTE_FIELDS,
    "company_size",
    "partner_manager",
    "join_date",
    "agreement_type",
    "agreement_start",
    "agreement_end",
    "archived",
]


@require_perm(Perm.VIEW_PROGRAM)
def partner_list(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    directory = queries.directory(request.access, request.GET)
    page = paginate(request, directory.qs, per_page=25)
    active_filters = {
        name: value for name, value in request.GET.lists() if name not in {"page", "sort"} and any(value)
    }
    return render(
        request,
        "partners/partner_list.html",
        {
            "page": page,
            "filter": directory,
            "active_filter_count": len(active_filters) - (1 if "archived" in active_filters else 0),
            "query_string": request.GET.urlencode(),
            "counts": queries.classification_counts(request.access),
            "can_edit": request.access.can(Perm.MANAGE_PARTNERS),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _export_values(partner, attributes: dict[tuple[int, str], list[str]]) -> list:
    return [
        partner.pk,
        partner.name,
        partner.legal_name,
        partner.domain,
        partner.website,
        partner.country.code if partner.country else "",
        partner.status,
        partner.tier.name if partner.tier_id else "",
        partner.classification or "",
        *(";".join(attributes.get((partner.pk, kind), ())) for kind in ATTRIBUTE_FIELDS.values()),
        partner.company_size,
        partner.partner_manager.email if partner.partner_manager_id else "",
        partner.join_date or "",
        partner.agreement_type,
        partner.agreement_start or "",
        partner.agreement_end or "",
        "yes" if partner.is_archived else "no",
    ]


@require_perm(Perm.VIEW_PROGRAM)
def partner_export(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """The filtered directory as CSV: every matching row, not just one page.

    Three queries whatever the size: the partners (with tier and manager), and all their
    attribute values as plain tuples (no model objects). The file is built inside the request,
    where the tenant is set, not streamed after it.
    """
    directory = queries.directory(request.access, request.GET)
    if not directory.is_valid():
        errors = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in directory.errors.items())
        return HttpResponse(
            f"The filters are not valid, nothing exported. {errors}", status=400, content_type="text/plain"
        )
    partners = directory.qs.prefetch_related(None)
    attributes: dict[tuple[int, str], list[str]] = defaultdict(list)
    for partner_id, kind, value in queries.attribute_values(partners):
        attributes[(partner_id, kind)].append(value)
    writer = SafeWriter(_Echo())
    rows = partners.iterator(chunk_size=2000)
    content = writer.writerow(EXPORT_COLUMNS) + "".join(
        writer.writerow(_export_values(p, attributes)) for p in rows
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="partners-{tenant_slug}-{stamp}.csv"'
    return response
