"""Reads of the registration desk that pages and the API share.

Staff see every registration of the tenant; partner roles see their own partner's only, by
construction: ``registrations(access)`` starts from the member's partner, and every other read
here starts from it. ``access_*`` helpers answer 404 alike for "missing" and "not yours".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from partners.models import Partner
from prm import actors
from prm.access import TenantAccess
from prm.counting import BoundedCount, bounded_count, bounded_counts
from prm.models import AuditEvent
from prm.periods import FiscalPeriod

from .models import Account, DealConflict, DealRegistration, DealStatusChange, VendorOpportunity
from .services import desk_settings, protection_term

Status = DealRegistration.Status

# What a row of any registration list shows, fetched with the row (one query per page).
LIST_RELATED = ("partner", "account")
DETAIL_RELATED = ("partner", "partner__tier", "account", "submitted_by", "decided_by", "sales_rep")

# Audit verbs that tell a registration's story beside its status changes.
HISTORY_VERBS = (
    "registration.extension_requested",
    "registration.extended",
    "registration.sales_rep_assigned",
    "registration.sla_escalated",
)


# --- registrations -----------------------------------------------------------------------------


def registrations(access: TenantAccess) -> QuerySet[DealRegistration]:
    """Registrations visible to the caller: the tenant's for staff, the own partner's for partners."""
    qs = DealRegistration.objects.all()
    if access.is_partner:
        qs = qs.filter(partner_id=access.require_partner())
    return qs


def access_registration(access: TenantAccess, registration_id: int) -> DealRegistration:
    """One registration with what its page shows, or 404 (missing and not-yours look the same)."""
    registration = registrations(access).select_related(*DETAIL_RELATED).filter(pk=registration_id).first()
    if registration is None:
        raise Http404
    return registration


@dataclass(frozen=True)
class QueueFilters:
    """What the registration lists can be narrowed to; every field optional."""

    status: str = Status.SUBMITTED  # a status, or "all"
    partner_id: int | None = None
    role: str = ""
    conflict_only: bool = False
    overdue_only: bool = False
    q: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> QueueFilters:
        partner = data.get("partner")
        return cls(
            status=data.get("status") or Status.SUBMITTED,
            partner_id=getattr(partner, "pk", partner) or None,
            role=data.get("role") or "",
            conflict_only=bool(data.get("conflict_only")),
            overdue_only=bool(data.get("overdue_only")),
            q=(data.get("q") or "").strip(),
        )


def queue(
    access: TenantAccess, filters: QueueFilters | Mapping[str, Any] | None = None
) -> QuerySet[DealRegistration]:
    """The desk's list. Pending registrations (the default) come conflicts first, then oldest
    first, so the hardest and the longest-waiting decisions lead; any other status lists the
    newest first. Overdue means still submitted past the tenant's SLA."""
    if not isinstance(filters, QueueFilters):
        filters = QueueFilters.from_mapping(filters or {})
    qs = registrations(access).select_related(*LIST_RELATED)
    if filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.partner_id:
        qs = qs.filter(partner_id=filters.partner_id)
    if filters.role:
        qs = qs.filter(partner_role=filters.role)
    if filters.conflict_only:
        qs = qs.filter(has_conflict=True)
    if filters.overdue_only:
        qs = qs.filter(status=Status.SUBMITTED, submitted_at__lte=sla_cutoff(access))
    if filters.q:
        qs = qs.filter(
            Q(opportunity_name__icontains=filters.q)
            | Q(account__name__icontains=filters.q)
            | Q(account__domain__icontains=filters.q.lower())
        )
    if filters.status == Status.SUBMITTED:
        return qs.order_by("-has_conflict", "submitted_at", "pk")
    return qs.order_by("-submitted_at", "-pk")


def status_counts(access: TenantAccess) -> dict[str, BoundedCount]:
    """Visible registrations per status (zeros included) and ``all``, in one statement. Each is
    counted up to ``prm.counting.CAP`` on the ``(tenant, status, …)`` index, so a tenant with a
    million closed deals costs what one with ten thousand does ("10,000+")."""
    visible = registrations(access)
    counts = bounded_counts({value: visible.filter(status=value) for value in Status.values})
    counts["all"] = sum(counts.values(), BoundedCount(0))
    return counts


def overdue_count(access: TenantAccess) -> BoundedCount:
    """Submitted registrations waiting past the SLA (up to the cap)."""
    return bounded_count(
        registrations(access).filter(status=Status.SUBMITTED, submitted_at__lte=sla_cutoff(access))
    )


def partner_choices(access: TenantAccess) -> QuerySet[Partner]:
    """Partners a staff list can be filtered by (current ones, by name)."""
    qs = Partner.objects.filter(archived_at__isnull=True).order_by("name")
    if access.is_partner:
        qs = qs.filter(pk=access.require_partner())
    return qs


def partner_suggestions(access: TenantAccess, typed: str, *, limit: int = 20) -> list[str]:
    """Names of current partners containing ``typed`` (those starting with it first), for the
    partner picker of the lists: a few names, never the whole directory."""
    typed = typed.strip()
    if not typed:
        return []
    qs = partner_choices(access).filter(name__icontains=typed).order_by()
    starting = list(
        qs.filter(name__istartswith=typed).order_by("name").values_list("name", flat=True)[:limit]
    )
    rest = qs.exclude(name__istartswith=typed).order_by("name").values_list("name", flat=True)
    return starting + list(rest[: limit - len(starting)]) if len(starting) < limit else starting


def registering_partners(access: TenantAccess) -> QuerySet[Partner]:
    """Partners a manager may register a deal for: current, active or onboarding."""
    return partner_choices(access).filter(status__in=[Partner.Status.ACTIVE, Partner.Status.ONBOARDING])


def status_history(access: TenantAccess, registration: DealRegistration) -> list[dict[str, Any]]:
    """What happened to a registration, oldest first: status moves with their reasons, and the
    audit events of extensions, the co-sell rep and SLA escalation."""
    changes = DealStatusChange.objects.filter(registration=registration).select_related(
        "changed_by", "changed_by_key"
    )
    items: list[dict[str, Any]] = [
        {"at": c.created_at, "kind": "status", "actor": actors.actor_name(c, "changed_by"), "change": c}
        for c in changes
    ]
    events = AuditEvent.objects.filter(
        target_type=DealRegistration._meta.label_lower, target_id=str(registration.pk), verb__in=HISTORY_VERBS
    ).select_related("actor")
    # The person, else the API key the audit trail names ("system" shows as "automatically").
    items += [
        {
            "at": e.created_at,
            "kind": "event",
            "actor": e.actor or ("" if e.actor_label == "system" else e.actor_label),
            "event": e,
        }
        for e in events
    ]
    return sorted(items, key=lambda item: item["at"])


def conflicts(access: TenantAccess, registration: DealRegistration) -> list[DealConflict]:
    """The other registrations flagged against this one, with their partner and status.

    Staff only: a partner learns that a conflict exists (``has_conflict``), never with whom.
    Each carries ``still_open``: whether the other registration still claims the account (as
    the approval service sees it), so the page knows if approving must reject it.
    """
    if access.is_partner:
        return []
    today = timezone.localdate()
    links = list(
        DealConflict.objects.filter(registration=registration)
        .select_related("other__partner", "other__account")
        .order_by("other__submitted_at", "other_id")
    )
    for link in links:
        other = link.other
        link.still_open = other.status == Status.SUBMITTED or (
            other.status == Status.APPROVED
            and other.protected_until is not None
            and other.protected_until >= today
        )
    return links


def open_vendor_opportunities(access: TenantAccess, account: Account) -> QuerySet[VendorOpportunity]:
    """Open opportunities the vendor's own team works on this account (staff only)."""
    if access.is_partner:
        return VendorOpportunity.objects.none()
    return VendorOpportunity.objects.filter(account=account, is_open=True).select_related("owner")


# --- the SLA clock ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaState:
    """How long a registration has waited (or waited) for a decision, against the SLA."""

    waited: timedelta
    sla_hours: int
    pending: bool

    @property
    def overdue(self) -> bool:
        return self.pending and self.waited >= timedelta(hours=self.sla_hours)

    @property
    def label(self) -> str:
        return duration_label(self.waited)

    @property
    def left_label(self) -> str:
        """Time left before the SLA is missed (for a pending, not yet overdue registration)."""
        return duration_label(timedelta(hours=self.sla_hours) - self.waited)


def duration_label(delta: timedelta) -> str:
    """A short human duration: "12 min", "3 h", "2 d 5 h"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@dataclass(frozen=True)
class ProtectionTerm:
    """The protection an approval gives (or gave): days and where they come from."""

    days: int
    source: str
    extension_days: int


def protection(access: TenantAccess, registration: DealRegistration) -> ProtectionTerm:
    """The term recorded on an approved registration; for one not yet approved, the term an
    approval would grant today (the partner's tier, else the program default). Extensions are
    the program's ``extension_days`` for every tier."""
    extension_days = desk_settings(access.tenant)["extension_days"]
    if registration.protection_days is not None:
        return ProtectionTerm(registration.protection_days, registration.protection_source, extension_days)
    days, source = protection_term(access.tenant, registration.partner)
    return ProtectionTerm(days, source, extension_days)


def sla_hours(access: TenantAccess) -> int:
    return desk_settings(access.tenant)["sla_hours"]


def sla_cutoff(access: TenantAccess, now: datetime | None = None) -> datetime:
    """Registrations submitted at or before this moment and still pending are overdue."""
    return (now or timezone.now()) - timedelta(hours=sla_hours(access))


def sla_state(registration: DealRegistration, *, hours: int, now: datetime | None = None) -> SlaState:
    """The SLA clock of one registration: running while submitted, stopped at the decision."""
    pending = registration.status == Status.SUBMITTED
    end = (now or timezone.now()) if pending or registration.decided_at is None else registration.decided_at
    return SlaState(waited=end - registration.submitted_at, sla_hours=hours, pending=pending)


def with_sla(access: TenantAccess, rows: Iterable[DealRegistration]) -> list[DealRegistration]:
    """Set ``.sla`` on each row (no queries): what lists show as age and highlight when overdue."""
    hours, now = sla_hours(access), timezone.now()
    rows = list(rows)
    for row in rows:
        row.sla = sla_state(row, hours=hours, now=now)  # type: ignore[attr-defined]
    return rows


# --- accounts ----------------------------------------------------------------------------------


def accounts(access: TenantAccess) -> QuerySet[Account]:
    """End customers visible to the caller: every account for staff; for a partner, the accounts
    of its own registrations."""
    qs = Account.objects.all()
    if access.is_partner:
        qs = qs.filter(
            Exists(
                DealRegistration.objects.filter(account=OuterRef("pk"), partner_id=access.require_partner())
            )
        )
    return qs


def account_list(access: TenantAccess, *, q: str = "", include_merged: bool = False) -> QuerySet[Account]:
    """Accounts by name, searchable by name or domain, with their registration counts (open and
    all) computed in the same query."""
    qs = accounts(access).select_related("merged_into")
    if not include_merged:
        qs = qs.filter(merged_into__isnull=True)
    q = q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(domain__icontains=q.lower()))
    return qs.annotate(
        registration_count=Count("registrations", distinct=True),
        open_count=Count(
            "registrations", filter=Q(registrations__status__in=sorted(DealRegistration.OPEN)), distinct=True
        ),
    ).order_by("name", "pk")


def access_account(access: TenantAccess, account_id: int) -> Account:
    account = accounts(access).select_related("merged_into").filter(pk=account_id).first()
    if account is None:
        raise Http404
    return account


def account_registrations(access: TenantAccess, account: Account) -> QuerySet[DealRegistration]:
    """Registrations on one account, newest first, with their partner."""
    return (
        registrations(access)
        .filter(account=account)
        .select_related(*LIST_RELATED)
        .order_by("-submitted_at", "-pk")
    )


def merged_accounts(access: TenantAccess, account: Account) -> QuerySet[Account]:
    """The duplicates that were folded into this account."""
    return accounts(access).filter(merged_into=account).order_by("name")


def merge_targets(access: TenantAccess, account: Account) -> QuerySet[Account]:
    """Accounts a duplicate may be merged into: every other account not merged itself."""
    return accounts(access).filter(merged_into__isnull=True).exclude(pk=account.pk).order_by("name", "pk")


# --- for other apps (the QBR pack, MDF claims) --------------------------------------------------


def partner_deals_in_period(
    access: TenantAccess, partner_id: int, period: FiscalPeriod, *, limit: int = 50
) -> list[DealRegistration]:
    """A partner's registrations closed or submitted within ``period``, latest close first."""
    return list(
        registrations(access)
        .filter(partner_id=partner_id)
        .filter(
            Q(closed_on__gte=period.start, closed_on__lte=period.end)
            | Q(submitted_at__date__gte=period.start, submitted_at__date__lte=period.end)
        )
        .select_related("account")
        .order_by("-closed_on", "-pk")[:limit]
    )


def registrations_since(
    access: TenantAccess, partner_id: int, day: date, *, limit: int = 30
) -> QuerySet[DealRegistration]:
    """A partner's registrations submitted on or after ``day``, newest first (deals an MDF
    activity that started that day could have sourced)."""
    return (
        registrations(access)
        .filter(partner_id=partner_id, submitted_at__date__gte=day)
        .order_by("-submitted_at")[:limit]
    )
