"""Reads of the PDF exports: the latest of a kind, and one the caller may download."""

from __future__ import annotations

from django.http import Http404

from prm.access import TenantAccess
from prm.permissions import Perm

from ..models import ReportExport

Kind = ReportExport.Kind


def recent_exports(
    access: TenantAccess, *, kind: str, partner_id: int | None = None, limit: int = 5
) -> list[ReportExport]:
    """The latest exports of a kind (for a partner's QBR: of that partner), without their files;
    a partner caller sees only its own partner's QBRs."""
    exports = (
        ReportExport.objects.filter(kind=kind)
        .defer("content")
        .select_related("requested_by", "requested_by_key")
    )
    if kind == Kind.QBR:
        exports = exports.filter(partner_id=partner_id)
    if access.is_partner:
        exports = exports.filter(kind=Kind.QBR, partner_id=access.require_partner())
    return list(exports[:limit])


def access_export(access: TenantAccess, export_id: int) -> ReportExport:
    """One finished or pending export the caller may download; 404 for missing and not-yours."""
    exports = ReportExport.objects.all()
    if access.is_partner:
        exports = exports.filter(kind=Kind.QBR, partner_id=access.require_partner())
    elif not access.can(Perm.VIEW_REPORTS):
        raise Http404
    found = exports.filter(pk=export_id).first()
    if found is None:
        raise Http404("No such export")
    return found
