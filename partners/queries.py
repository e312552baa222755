"""Reads of partners that pages, the portal and the API share."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import Http404

from prm.access import TenantAccess

from .models import Partner


def partners(access: TenantAccess) -> QuerySet[Partner]:
    """Partners visible to the caller: all of the tenant for staff, the own one for partners."""
    qs = Partner.objects.all()
    if access.is_partner:
        qs = qs.filter(pk=access.partner_id)
    return qs


def access_partner(access: TenantAccess, partner_id: int) -> Partner:
    partner = partners(access).filter(pk=partner_id).first()
    if partner is None:
        raise Http404
    return partner


def own_partner(access: TenantAccess) -> Partner:
    """The partner company of a partner-role caller (404 for staff)."""
    return access_partner(access, access.require_partner())


def status_counts(access: TenantAccess) -> list[dict]:
    """Number of partners per lifecycle status, in lifecycle order, zeros included."""
    counts = dict(partners(access).values_list("status").annotate(n=Count("pk")))
    return [{"status": value, "label": label, "count": counts.get(value, 0)} for value, label in Partner.Status.choices]
