"""Revenue records: one by hand, or many from an import."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from prm import audit, closing
from prm.access import TenantAccess, require
from prm.money import to_reporting
from prm.permissions import Perm

from ..models import (
    RevenueRecord,
)

# --- revenue -----------------------------------------------------------------------------------


def build_revenue_record(
    access: TenantAccess,
    fields: Mapping[str, Any],
    *,
    related_checked: bool = False,
    lock: closing.PeriodLock | None = None,
) -> RevenueRecord:
    """A valid, unsaved record. ``related_checked``: the caller already loaded the account and
    partner from this tenant (a CSV preview), so they are not looked up again, row by row.

    A month inside a closed quarter is refused, or booked as an adjustment in the first open
    quarter (``original_period`` keeps the month given) when the tenant books late entries so and
    ``adjustment_reason`` says why. ``lock``: the tenant's closed quarters, read once per batch."""
    fields = dict(fields)
    reason = fields.pop("adjustment_reason", "") or ""
    record = RevenueRecord(**fields)
    record.currency = (record.currency or access.tenant.currency).upper()
    if isinstance(record.period, date):
        record.period = record.period.replace(day=1)
    record.assign_tenant()
    record.amount_reporting = Decimal("0")
    if related_checked:
        record.full_clean(
            exclude=["amount_reporting", "tenant", "account", "partner", "registration"],
            validate_constraints=False,
        )
    else:
        record.full_clean(exclude=["amount_reporting"])
    booking = (lock or closing.PeriodLock.of(access.tenant, for_write=True)).book(
        record.period, field="period", reason=reason
    )
    record.period, record.original_period, record.adjustment_reason = (
        booking.day,
        booking.original,
        booking.reason,
    )
    record.amount_reporting = to_reporting(record.amount, record.currency, tenant=access.tenant)
    return record


def _record_adjustments(access: TenantAccess, records: list[RevenueRecord]) -> None:
    for record in records:
        if record.original_period is not None:
            closing.record_adjustment(
                access=access,
                target=record,
                field="period",
                given=record.original_period,
                booked=record.period,
                reason=record.adjustment_reason,
                partner_id=record.partner_id,
            )


@transaction.atomic
def revenue_record_create(*, access: TenantAccess, fields: Mapping[str, Any]) -> RevenueRecord:
    """Record one month of revenue for an account, attributed to a partner or direct."""
    require(access, Perm.MANAGE_PARTNERS)
    record = build_revenue_record(access, fields)
    record.save()
    audit.record(
        access=access,
        verb="revenue.recorded",
        target=record,
        after={
            "kind": record.kind,
            "amount": str(record.amount),
            "currency": record.currency,
            "period": str(record.period),
            **({"original_period": str(record.original_period)} if record.original_period else {}),
        },
        partner_id=record.partner_id,
    )
    _record_adjustments(access, [record])
    return record


@transaction.atomic
def revenue_records_bulk_create(
    *, access: TenantAccess, rows: list[Mapping[str, Any]]
) -> list[RevenueRecord]:
    """All rows or none: any invalid row refuses the whole batch, naming the row and field."""
    require(access, Perm.MANAGE_PARTNERS)
    records, errors = [], {}
    lock = closing.PeriodLock.of(access.tenant, for_write=True)
    for index, fields in enumerate(rows, start=1):
        try:
            records.append(build_revenue_record(access, fields, lock=lock))
        except ValidationError as error:
            for field, messages in getattr(error, "message_dict", {"row": error.messages}).items():
                errors[f"row {index}: {field}"] = messages
    if errors:
        raise ValidationError(errors)
    created = RevenueRecord.objects.bulk_create(records, batch_size=1000)
    adjusted = sum(1 for r in created if r.original_period is not None)
    audit.record(
        access=access,
        verb="revenue.imported",
        target=access.tenant,
        after={
            "rows": len(created),
            "total": str(sum((r.amount_reporting for r in created), Decimal("0"))),
            **({"adjustments": adjusted} if adjusted else {}),
        },
    )
    _record_adjustments(access, created)
    return created
