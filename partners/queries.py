"""Reads of partners that pages, the portal, exports and the API share.

Staff see every partner of the tenant; partner roles see their own partner only, by
construction (``partners(access)`` starts from the member's partner).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from itertools import chain
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404, QueryDict
from django.utils import timezone

from prm import actors
from prm.access import TenantAccess
from prm.models import AuditEvent, Membership, User
from prm.permissions import STAFF_ROLES

from .filters import PartnerFilter
from .models import Certification, Contact, Partner, PartnerAttribute, PartnerNote, PartnerStatusChange, Tier

PARTNER_LIST_RELATED = ("tier", "partner_manager")


def partners(access: TenantAccess) -> QuerySet[Partner]:
    """Partners visible to the caller: all of the tenant for staff, the own one for partners."""
    qs = Partner.objects.all()
    if access.is_partner:
        qs = qs.filter(pk=access.require_partner())
    return qs


def access_partner(access: TenantAccess, partner_id: int) -> Partner:
    """One partner with what its page shows, or 404 (missing and not-yours look the same)."""
    partner = (
        partners(access)
        .select_related("tier", "partner_manager", "vendor_sponsor", "partner_sponsor")
        .prefetch_related("attributes")
        .filter(pk=partner_id)
        .first()
    )
    if partner is None:
        raise Http404
    return partner


def own_partner(access: TenantAccess) -> Partner:
    """The partner company of a partner-role caller (404 for staff)."""
    return access_partner(access, access.require_partner())


def staff_users(access: TenantAccess) -> QuerySet[User]:
    """Active staff members of the tenant (choices for manager and vendor sponsor)."""
    ids = Membership.objects.filter(
        tenant=access.tenant, is_active=True, role__in=sorted(STAFF_ROLES)
    ).values("user_id")
    return User.objects.filter(pk__in=ids).order_by("full_name", "email")


def directory(access: TenantAccess, params: QueryDict | dict) -> PartnerFilter:
    """The filtered, sorted partner directory. ``.qs`` is ready for a page or an export and
    carries what a row shows (tier, manager, attributes) in a constant number of queries."""
    base = (
        partners(access)
        .select_related(*PARTNER_LIST_RELATED)
        .prefetch_related(Prefetch("attributes", queryset=PartnerAttribute.objects.order_by("kind", "value")))
    )
    return PartnerFilter(params, queryset=base, staff_users=staff_users(access))


def attribute_values(partners: QuerySet[Partner]) -> QuerySet:
    """(partner id, kind, value) of every attribute of ``partners``, sorted, in one query."""
    return (
        PartnerAttribute.objects.filter(partner__in=partners.order_by().values("pk"))
        .order_by("partner_id", "kind", "value")
        .values_list("partner_id", "kind", "value")
    )


def status_counts(access: TenantAccess) -> list[dict]:
    """Number of current partners per lifecycle status, in lifecycle order, zeros included."""
    counts = dict(
        partners(access).filter(archived_at__isnull=True).values_list("status").annotate(n=Count("pk"))
    )
    return [
        {"status": value, "label": label, "count": counts.get(value, 0)}
        for value, label in Partner.Status.choices
    ]


def classification_counts(access: TenantAccess) -> dict[str, int]:
    """Current partners by strategic / tactical / untiered: the size of the strategic set."""
    rows = (
        partners(access)
        .filter(archived_at__isnull=True)
        .values_list("tier__classification")
        .annotate(n=Count("pk"))
    )
    counts = {key or "untiered": n for key, n in rows}
    return {
        "strategic": counts.get("strategic", 0),
        "tactical": counts.get("tactical", 0),
        "untiered": counts.get("untiered", 0),
    }


def contacts(access: TenantAccess, partner: Partner, *, include_archived: bool = False) -> QuerySet[Contact]:
    qs = Contact.objects.filter(partner=partner).select_related("user")
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return qs.order_by("archived_at", "name")


def access_contact(access: TenantAccess, contact_id: int) -> Contact:
    contact = (
        Contact.objects.filter(pk=contact_id, partner__in=partners(access)).select_related("partner").first()
    )
    if contact is None:
        raise Http404
    return contact


def certifications(access: TenantAccess, partner: Partner) -> QuerySet[Certification]:
    """Current certifications, newest first; expired ones included (the page marks them)."""
    return Certification.objects.filter(partner=partner, archived_at__isnull=True).select_related("contact")


def access_certification(access: TenantAccess, certification_id: int) -> Certification:
    certification = (
        Certification.objects.filter(pk=certification_id, partner__in=partners(access))
        .select_related("partner", "contact")
        .first()
    )
    if certification is None:
        raise Http404
    return certification


def certifications_expiring(access: TenantAccess, *, days: int = 60) -> QuerySet[Certification]:
    today = timezone.localdate()
    return (
        Certification.objects.filter(
            partner__in=partners(access).filter(archived_at__isnull=True),
            archived_at__isnull=True,
            expires_on__gte=today,
            expires_on__lte=today + timedelta(days=days),
        )
        .select_related("partner", "contact")
        .order_by("expires_on")
    )


def timeline(access: TenantAccess, partner: Partner, *, limit: int = 50) -> list[dict]:
    """Everything that happened to the partner, newest first: audit events, status changes
    with their reasons, and (for staff) internal notes."""
    events = AuditEvent.objects.filter(partner_id=partner.pk).exclude(verb="partner.status_changed")
    items = [
        {"at": e.created_at, "kind": "event", "actor": e.actor_label, "verb": e.verb, "event": e}
        for e in events.order_by("-created_at", "-id")[:limit]
    ]
    changes = PartnerStatusChange.objects.filter(partner=partner).select_related(
        "changed_by", "changed_by_key"
    )[:limit]
    items += [
        {
            "at": c.created_at,
            "kind": "status",
            "actor": actors.actor_name(c, "changed_by") or "system",
            "change": c,
        }
        for c in changes
    ]
    if access.is_staff:
        notes = PartnerNote.objects.filter(partner=partner).select_related("author")[:limit]
        items += [{"at": n.created_at, "kind": "note", "actor": str(n.author), "note": n} for n in notes]
    return sorted(chain(items), key=lambda item: item["at"], reverse=True)[:limit]


# --- what reports read of partners ---------------------------------------------------------------


def partner_names(access: TenantAccess, ids: Iterable[int]) -> dict[int, str]:
    """The names of the caller's partners among ``ids`` (an id not found is left out)."""
    return dict(partners(access).filter(pk__in=list(ids)).values_list("pk", "name"))


def partner_tiers(access: TenantAccess, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """For each of the caller's partners among ``ids``: its ``name``, its tier's name (``tier``)
    and the tier's ``classification``; both None for a partner without a tier."""
    rows = (
        partners(access).filter(pk__in=list(ids)).values("pk", "name", "tier__name", "tier__classification")
    )
    return {
        row["pk"]: {
            "name": row["name"],
            "tier": row["tier__name"],
            "classification": row["tier__classification"],
        }
        for row in rows
    }


def counts_by_tier(access: TenantAccess) -> dict[int | None, int]:
    """How many of the caller's partners (archived ones included) each tier has, by tier id;
    the key None counts the partners without a tier. A tier without partners is absent."""
    rows = partners(access).order_by().values("tier_id").annotate(n=Count("pk"))
    return {row["tier_id"]: row["n"] for row in rows}


def tier_ladder(access: TenantAccess) -> QuerySet[Tier]:
    """The tenant's tiers, best (rank 1) first (choices for a form)."""
    return Tier.objects.order_by("rank")


def active_partners(access: TenantAccess) -> QuerySet[Partner]:
    """The caller's partners that are active and not archived, by name."""
    return partners(access).filter(status=Partner.Status.ACTIVE, archived_at__isnull=True).order_by("name")
