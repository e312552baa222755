"""Closed fiscal quarters: once finance closes a quarter, nothing dated inside it changes silently.

Every write that sets a date feeding the reported figures (a revenue record's month, a deal's
close date) asks ``book_date`` (or ``ensure_open``) first. A date inside a closed quarter is then
either **refused**, with a message naming the quarter and the field, or — when the tenant chose
adjustments — **booked as an adjustment** on the first day of the first open quarter after it:
the record keeps the date it was given and the reason, and is counted in the open quarter, so the
closed quarter's figures stay as they were signed. The tenant chooses (default: refuse).

The rules:

- a quarter can be closed once it has ended, never while it runs;
- quarters close in order: the tenant's first close may be any ended quarter; after that only the
  quarter right after the latest closed one (quarters before the first close stay open: they were
  never closed);
- reopening a quarter reopens every later closed quarter too, so the closed quarters are always
  one unbroken run and "the first open quarter after" is always the one after that run;
- closing, reopening and the late-entry setting need ``Perm.APPROVE_MONEY`` (finance, which also
  approves the rebate statements a close usually follows); every close, reopen, change of the
  setting and adjustment is an audit event.

Domain-free on purpose: the core knows dates and quarters, the apps know which of their fields
are dated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone

from . import audit
from .access import TenantAccess, require
from .models import ClosedPeriod, Tenant
from .periods import FiscalPeriod, fiscal_quarter_of, parse_period
from .permissions import Perm

SETTINGS_KEY = "period_lock"
REASON_FIELD = "adjustment_reason"
# How many quarters before the current one the closing page lists (more when older ones are closed).
LISTED_QUARTERS = 8


class LateEntries(models.TextChoices):
    REFUSE = "refuse", "Refuse them (the date must be in an open quarter)"
    ADJUST = "adjust", "Book them as adjustments in the first open quarter, with a reason"


def late_entries(tenant: Tenant) -> str:
    """The tenant's choice for a date inside a closed quarter (``LateEntries``; default refuse)."""
    value = (tenant.settings or {}).get(SETTINGS_KEY, {}).get("late_entries")
    return value if value in LateEntries.values else LateEntries.REFUSE


def closed_message(label: str) -> str:
    return f"{label} is closed; date it in the open period or ask finance to reopen."


@dataclass(frozen=True)
class Booking:
    """Where a dated entry goes: ``day`` is the date to store. For an adjustment, ``original`` is
    the date given (inside ``closed_label``) and ``reason`` why it comes late."""

    day: date
    original: date | None = None
    reason: str = ""
    closed_label: str = ""

    @property
    def is_adjustment(self) -> bool:
        return self.original is not None


@dataclass(frozen=True)
class PeriodLock:
    """The tenant's closed quarters and late-entry choice, read once (an import asks per row)."""

    tenant: Tenant
    closed: frozenset[str]
    ranges: tuple[tuple[date, date, str], ...]
    policy: str

    @classmethod
    def of(cls, tenant: Tenant, *, for_write: bool = False) -> PeriodLock:
        """The lock as it stands; ``for_write`` (a write that will date something) also holds the
        tenant row in share mode until the transaction ends, so a quarter cannot be closed
        between this check and the write (``period_close`` takes the row exclusively)."""
        if for_write:
            _share_tenant_row(tenant)
        rows = ClosedPeriod.objects.filter(tenant=tenant, reopened_at__isnull=True).values_list(
            "starts_on", "ends_on", "label"
        )
        ranges = tuple(rows)
        return cls(
            tenant=tenant,
            closed=frozenset(label for _, _, label in ranges),
            ranges=ranges,
            policy=late_entries(tenant),
        )

    def closed_quarter(self, day: date) -> str | None:
        """The label of the closed quarter ``day`` falls in, or None when it is open."""
        for start, end, label in self.ranges:
            if start <= day <= end:
                return label
        return None

    def first_open_after(self, day: date) -> FiscalPeriod:
        quarter = fiscal_quarter_of(day, self.tenant.fiscal_year_start_month)
        while quarter.label in self.closed:
            quarter = quarter.next()
        return quarter

    def ensure_open(self, day: date, *, field: str) -> None:
        """Refuse ``day`` inside a closed quarter, naming ``field`` (whatever the tenant's choice)."""
        label = self.closed_quarter(day)
        if label is not None:
            raise ValidationError({field: closed_message(label)})

    def book(self, day: date, *, field: str, reason: str = "", reason_field: str = REASON_FIELD) -> Booking:
        """Where an entry dated ``day`` goes: there, when its quarter is open; otherwise refused
        (naming ``field``) or, with adjustments on and a reason given, the first day of the first
        open quarter after it. Adjustments without a reason are refused naming ``reason_field``."""
        label = self.closed_quarter(day)
        if label is None:
            return Booking(day=day)
        if self.policy != LateEntries.ADJUST:
            raise ValidationError({field: closed_message(label)})
        target = self.first_open_after(day)
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError(
                {
                    reason_field: f"{label} is closed: say why this entry comes late; it will be booked "
                    f"as an adjustment in {target.label} (dated {target.start:%-d %b %Y})."
                }
            )
        return Booking(day=target.start, original=day, reason=reason, closed_label=label)

    def help_text(self) -> str:
        """One sentence for a form's date field: which quarters are closed and what happens."""
        if not self.ranges:
            return ""
        labels = sorted(self.ranges)
        first, last = labels[0][2], labels[-1][2]
        span = first if first == last else f"{first} to {last}"
        if self.policy == LateEntries.ADJUST:
            return (
                f"Closed: {span}. A date inside is booked as an adjustment in the first open quarter "
                "(give a reason)."
            )
        return f"Closed: {span}. A date inside is refused; ask finance to reopen."


def _share_tenant_row(tenant: Tenant) -> None:
    # SQLite runs one writing transaction at a time: nothing to hold there.
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        table = connection.ops.quote_name(Tenant._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR SHARE", [tenant.pk])  # noqa: S608 (a model's table name)


def ensure_open(tenant: Tenant, day: date, *, field: str) -> None:
    """Refuse ``day`` when it falls inside a closed quarter of ``tenant`` (a ValidationError on ``field``)."""
    PeriodLock.of(tenant, for_write=True).ensure_open(day, field=field)


def book_date(
    tenant: Tenant, day: date, *, field: str, reason: str = "", reason_field: str = REASON_FIELD
) -> Booking:
    """``PeriodLock.book`` for one entry."""
    return PeriodLock.of(tenant, for_write=True).book(
        day, field=field, reason=reason, reason_field=reason_field
    )


def date_help(tenant: Tenant) -> str:
    """The sentence a form shows under a date field ("" when nothing is closed)."""
    return PeriodLock.of(tenant).help_text()


def record_adjustment(
    *,
    access: TenantAccess | None,
    target: models.Model,
    field: str,
    given: date,
    booked: date,
    reason: str,
    partner_id: int | None,
) -> None:
    """The audit event of one adjustment: the date given (in a closed quarter), where the entry
    was booked instead, and why it came late."""
    tenant: Tenant = target.tenant  # type: ignore[attr-defined]
    audit.record(
        access=access,
        verb="period.adjustment_booked",
        target=target,
        after={
            "field": field,
            "date_given": str(given),
            "closed_quarter": fiscal_quarter_of(given, tenant.fiscal_year_start_month).label,
            "booked_on": str(booked),
            "reason": reason,
        },
        partner_id=partner_id,
    )


# --- the quarters as the closing page and the API show them -----------------------------------------


@dataclass(frozen=True)
class QuarterState:
    period: FiscalPeriod
    closed: ClosedPeriod | None  # the close in force
    ended: bool
    can_close: bool
    can_reopen: bool

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def state(self) -> str:
        return "closed" if self.closed else ("open" if self.ended else "current")

    @property
    def closed_at(self) -> datetime | None:
        return self.closed.closed_at if self.closed else None

    @property
    def closed_by(self) -> str:
        return self.closed.closed_by_label if self.closed else ""

    @property
    def note(self) -> str:
        return self.closed.note if self.closed else ""


def close_history(access: TenantAccess, limit: int = 20) -> list[ClosedPeriod]:
    """The latest closes, reopened ones included (newest first)."""
    require(access, Perm.VIEW_REPORTS)
    return list(ClosedPeriod.objects.order_by("-closed_at", "-pk")[:limit])


def quarters(access: TenantAccess, *, today: date | None = None) -> list[QuarterState]:
    """The current quarter and the ones before it (newest first, back to the earliest closed one
    or ``LISTED_QUARTERS`` back), each with its state and what may be done to it now."""
    require(access, Perm.VIEW_REPORTS)
    today = today or timezone.localdate()
    current = fiscal_quarter_of(today, access.tenant.fiscal_year_start_month)
    in_force = {row.label: row for row in ClosedPeriod.objects.filter(reopened_at__isnull=True)}
    earliest = min((row.starts_on for row in in_force.values()), default=None)
    latest = max(in_force.values(), key=lambda row: row.starts_on, default=None)
    next_to_close = _next_closable(access.tenant, latest)
    listed: list[QuarterState] = []
    quarter = current
    while len(listed) <= LISTED_QUARTERS or (earliest is not None and quarter.end >= earliest):
        row = in_force.get(quarter.label)
        ended = quarter.end < today
        listed.append(
            QuarterState(
                period=quarter,
                closed=row,
                ended=ended,
                can_close=row is None and ended and (next_to_close is None or quarter == next_to_close),
                can_reopen=row is not None,
            )
        )
        quarter = quarter.previous()
    return listed


def _next_closable(tenant: Tenant, latest: ClosedPeriod | None) -> FiscalPeriod | None:
    """The one quarter that may be closed next; None when no quarter is closed (any ended one may)."""
    if latest is None:
        return None
    return parse_period(latest.label, tenant.fiscal_year_start_month).next()


def _quarter(tenant: Tenant, label: str) -> FiscalPeriod:
    try:
        period = parse_period(label or "", tenant.fiscal_year_start_month)
    except ValueError as error:
        raise ValidationError({"quarter": str(error)}) from None
    if type(period) is not FiscalPeriod or period.quarter is None:
        raise ValidationError({"quarter": "Name one fiscal quarter, e.g. FY2026-Q2."})
    return period


# --- writes -------------------------------------------------------------------------------------------


def _lock_tenant(tenant: Tenant) -> Tenant:
    """Closes, reopens and the setting of one tenant happen one at a time."""
    return Tenant.objects.select_for_update().get(pk=tenant.pk)


@transaction.atomic
def period_close(*, access: TenantAccess, quarter: str, note: str = "") -> ClosedPeriod:
    """Close a fiscal quarter (finance). It must have ended; after the tenant's first close, only
    the quarter right after the latest closed one may be closed."""
    require(access, Perm.APPROVE_MONEY)
    tenant = _lock_tenant(access.tenant)
    period = _quarter(tenant, quarter)
    if period.end >= timezone.localdate():
        raise ValidationError(
            {"quarter": f"{period.label} has not ended yet; close it after {period.end:%-d %b %Y}."}
        )
    open_rows = ClosedPeriod.objects.filter(reopened_at__isnull=True)
    if open_rows.filter(label=period.label).exists():
        raise ValidationError({"quarter": f"{period.label} is already closed."})
    latest = open_rows.order_by("-starts_on").first()
    expected = _next_closable(tenant, latest)
    if expected is not None and period != expected:
        raise ValidationError(
            {
                "quarter": f"Quarters close in order: {latest.label if latest else ''} is the latest closed "
                f"quarter, so {expected.label} is the one to close next."
            }
        )
    row = ClosedPeriod(
        label=period.label,
        starts_on=period.start,
        ends_on=period.end,
        closed_at=timezone.now(),
        closed_by=access.user,
        closed_by_label=access.actor_label[:200],
        note=(note or "").strip(),
    )
    row.full_clean()
    row.save()
    audit.record(
        access=access,
        verb="period.closed",
        target=row,
        after={"quarter": row.label, "from": str(row.starts_on), "to": str(row.ends_on), "note": row.note},
    )
    return row


@transaction.atomic
def period_reopen(*, access: TenantAccess, quarter: str, reason: str) -> list[ClosedPeriod]:
    """Reopen a closed quarter, and every later closed quarter with it (finance; a reason is
    required). Returns the quarters reopened, earliest first."""
    require(access, Perm.APPROVE_MONEY)
    tenant = _lock_tenant(access.tenant)
    period = _quarter(tenant, quarter)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the quarter is reopened; the audit trail keeps it."})
    rows = list(
        ClosedPeriod.objects.select_for_update()
        .filter(reopened_at__isnull=True, starts_on__gte=period.start)
        .order_by("starts_on")
    )
    if not rows or rows[0].label != period.label:
        raise ValidationError({"quarter": f"{period.label} is not closed."})
    now = timezone.now()
    for row in rows:
        row.reopened_at, row.reopened_by = now, access.user
        row.reopened_by_label, row.reopen_reason = access.actor_label[:200], reason
        row.save(
            update_fields=["reopened_at", "reopened_by", "reopened_by_label", "reopen_reason", "updated_at"]
        )
        audit.record(
            access=access,
            verb="period.reopened",
            target=row,
            before={"quarter": row.label, "closed_at": row.closed_at.isoformat()},
            after={"reason": reason, **({"with": period.label} if row.label != period.label else {})},
        )
    return rows


@transaction.atomic
def late_entries_set(*, access: TenantAccess, policy: str) -> Tenant:
    """Choose what happens to a date inside a closed quarter: refused, or booked as an adjustment."""
    require(access, Perm.APPROVE_MONEY)
    if policy not in LateEntries.values:
        raise ValidationError({"late_entries": f"Choose one of {', '.join(LateEntries.values)}."})
    tenant = _lock_tenant(access.tenant)
    before = late_entries(tenant)
    settings: dict[str, Any] = dict(tenant.settings or {})
    settings[SETTINGS_KEY] = {**settings.get(SETTINGS_KEY, {}), "late_entries": policy}
    tenant.settings = settings
    tenant.save(update_fields=["settings", "updated_at"])
    access.tenant.settings = settings  # the caller's copy reads the new choice at once
    if before != policy:
        audit.record(
            access=access,
            verb="period.late_entries_changed",
            target=tenant,
            before={"late_entries": before},
            after={"late_entries": policy},
        )
    return tenant
