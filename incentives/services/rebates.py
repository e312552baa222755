"""Rebate programs, accruals with forecast, and statements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import prm.metrics
from partners.models import Partner
from pipeline.models import DealRegistration
from prm import actors, audit
from prm.access import TenantAccess, require
from prm.models import Tenant
from prm.periods import FiscalPeriod
from prm.permissions import Perm

from ..eligibility import REBATE, check_listed_tiers, listed_tier_ids, qualifying_partners
from ..models import (
    ZERO,
    RebateAccrual,
    RebateBand,
    RebateProgram,
    RebateProgramTier,
    RebateStatement,
)
from ..rates import Band, cents, compute_rebate
from ._common import (
    JBP_REVENUE_ATTAINMENT,
    STAGE_PROBABILITY,
    _money,
    _period,
    _period_of,
    _set_tiers,
)

# --- rebates -----------------------------------------------------------------------------------


def _bands(rows: Sequence[Mapping[str, Any]]) -> list[Band]:
    bands = []
    for index, row in enumerate(rows):
        try:
            threshold, rate = Decimal(str(row["threshold"])), Decimal(str(row["rate"]))
        except (KeyError, InvalidOperation):
            raise ValidationError({"bands": f"Row {index + 1}: give a threshold and a rate."}) from None
        if threshold < 0 or rate < 0 or rate > 100:
            raise ValidationError(
                {"bands": f"Row {index + 1}: thresholds are ≥ 0 and rates between 0 and 100 %."}
            )
        bands.append(Band(threshold=cents(threshold), rate=rate))
    if not bands:
        raise ValidationError({"bands": "Give at least one band (threshold and rate)."})
    if len({b.threshold for b in bands}) != len(bands):
        raise ValidationError({"bands": "Each threshold may appear once."})
    return sorted(bands, key=lambda b: b.threshold)


@transaction.atomic
def rebate_program_create(
    *,
    access: TenantAccess,
    name: str,
    period: str,
    basis_metric: str,
    method: str,
    bands: Sequence[Mapping[str, Any]],
    eligible_tier_ids: Sequence[int] = (),
    accelerator_rate: Any = None,
    accelerator_attainment: Any = "1.0",
    cap: Any = None,
) -> RebateProgram:
    """A rebate program for a fiscal period on a money metric of the catalog."""
    require(access, Perm.MANAGE_PROGRAM)
    try:
        metric = prm.metrics.get(basis_metric)
    except KeyError:
        raise ValidationError({"basis_metric": f"There is no metric “{basis_metric}”."}) from None
    if metric.unit != prm.metrics.Unit.MONEY:
        raise ValidationError(
            {"basis_metric": "Choose a money metric (for example revenue or won deal amount)."}
        )
    fiscal = _period(access.tenant, period)
    table = _bands(bands)
    program = RebateProgram(
        name=name.strip(),
        period=fiscal.label,
        starts_on=fiscal.start,
        ends_on=fiscal.end,
        basis_metric=basis_metric,
        method=method,
        currency=access.tenant.currency,
        accelerator_rate=None if accelerator_rate in (None, "") else Decimal(str(accelerator_rate)),
        accelerator_attainment=Decimal(str(accelerator_attainment or "1.0")),
        cap=None if cap in (None, "") else _money(cap, "cap"),
    )
    program.assign_tenant()
    program.full_clean()
    program.save()
    RebateBand.objects.bulk_create(
        [RebateBand(program=program, threshold=b.threshold, rate=b.rate) for b in table]
    )
    check_listed_tiers(REBATE, eligible_tier_ids)
    _set_tiers(RebateProgramTier, "program", program, eligible_tier_ids)
    audit.record(
        access=access,
        verb="rebate.program_created",
        target=program,
        after={"period": program.period, "bands": len(table), "method": method},
    )
    return program


def program_bands(program: RebateProgram) -> list[Band]:
    return [Band(threshold=b.threshold, rate=b.rate) for b in program.bands.all()]


def rebate_partners(program: RebateProgram, as_of: date | None = None) -> list[Partner]:
    """The partners that accrue on ``program``: ``incentives.eligibility`` decides (active, tier
    rebate eligible, and listed by the program when it lists tiers), by the tier held at the end
    of ``as_of`` (the accrual day, or the period's end once it is over). Accruals, forecasts and
    statements all start from here."""
    return list(qualifying_partners(REBATE, listed_tier_ids(program), as_of).order_by("name"))


def _attainment(tenant: Tenant, partner_ids: list[int], period: FiscalPeriod) -> dict[int, Any]:
    try:
        metric = prm.metrics.get(JBP_REVENUE_ATTAINMENT)
    except KeyError:
        return {}
    # Exact: whether the accelerator is reached is decided on the exact attainment.
    return metric.compute(tenant=tenant, partner_ids=partner_ids, period=period, exact=True)


def open_pipeline_weighted(partner_ids: list[int], period: FiscalPeriod, today: date) -> dict[int, Decimal]:
    """Open registrations expected to close from today to the period's end, weighted by stage."""
    rows = DealRegistration.objects.filter(
        partner_id__in=partner_ids,
        status__in=sorted(DealRegistration.OPEN),
        expected_close_date__gte=max(today, period.start),
        expected_close_date__lte=period.end,
    ).values_list("partner_id", "stage", "amount_reporting")
    weighted: dict[int, Decimal] = {}
    for partner_id, stage, amount in rows:
        weighted[partner_id] = weighted.get(partner_id, ZERO) + amount * STAGE_PROBABILITY.get(stage, ZERO)
    return {pid: cents(value) for pid, value in weighted.items()}


def rebate_calculate(
    program: RebateProgram, tenant: Tenant, as_of: date | None = None
) -> dict[int, dict[str, Any]]:
    """For each eligible partner: the accrual to date and the forecast at period end (no writes)."""
    today = as_of or timezone.localdate()
    period = _period_of(program, tenant)
    partners = rebate_partners(program, min(today, period.end))
    ids = [p.pk for p in partners]
    basis = prm.metrics.get(program.basis_metric).compute(tenant=tenant, partner_ids=ids, period=period)
    attainment = _attainment(tenant, ids, period)
    pipeline = open_pipeline_weighted(ids, period, today)
    bands = program_bands(program)
    results = {}
    for pid in ids:
        value = Decimal(basis.get(pid) or 0)
        reached = attainment.get(pid)
        accelerated = reached is not None and Decimal(str(reached)) >= program.accelerator_attainment
        rebate = partial(
            compute_rebate,
            bands=bands,
            method=program.method,
            accelerator=program.accelerator_rate,
            accelerated=accelerated,
            cap=program.cap,
        )
        now = rebate(basis=value)
        forecast = rebate(basis=value + pipeline.get(pid, ZERO))
        results[pid] = {"result": now, "forecast": forecast}
    return results


@transaction.atomic
def rebate_accruals_compute(
    *, access: TenantAccess, program: RebateProgram, as_of: date | None = None
) -> int:
    """Recompute every eligible partner's accrual to date (with line detail) and forecast, on
    demand (program admins and finance); returns the number of partners accrued."""
    require(access, Perm.APPROVE_MONEY if not access.can(Perm.MANAGE_PROGRAM) else Perm.MANAGE_PROGRAM)
    return _accrue(access, program, as_of)


@transaction.atomic
def rebate_accruals_by_schedule(*, program: RebateProgram, as_of: date | None = None) -> int:
    """The same accrual when the schedule runs it (monthly beat, a queued recalculation): the
    system acts, recorded as such in the audit trail."""
    return _accrue(None, program, as_of)


def _accrue(access: TenantAccess | None, program: RebateProgram, as_of: date | None) -> int:
    tenant = program.tenant
    today = as_of or timezone.localdate()
    results = rebate_calculate(program, tenant, today)
    existing = {a.partner_id: a for a in RebateAccrual.objects.filter(program=program)}
    to_create: list[RebateAccrual] = []
    to_update: list[RebateAccrual] = []
    for pid, calc in results.items():
        now, forecast = calc["result"], calc["forecast"]
        accrual = existing.get(pid) or RebateAccrual(program=program, partner_id=pid)
        accrual.as_of, accrual.basis, accrual.amount = today, now.basis, now.amount
        accrual.lines, accrual.accelerated, accrual.capped = now.as_json_lines(), now.accelerated, now.capped
        accrual.forecast_basis, accrual.forecast_amount = forecast.basis, forecast.amount
        (to_update if accrual.pk else to_create).append(accrual)
    # While the period runs, partners that no longer qualify (tier changed, flag switched off) lose
    # their stale accrual, so accrued and forecast figures, the portal and the API follow the one
    # rule. Once it is over, what a partner earned stays: eligibility is judged at the period's end.
    dropped = [a.pk for pid, a in existing.items() if pid not in results]
    if today > _period_of(program, tenant).end:
        dropped = []
    RebateAccrual.objects.filter(pk__in=dropped).delete()
    RebateAccrual.objects.bulk_create(to_create)
    RebateAccrual.objects.bulk_update(
        to_update,
        [
            "as_of",
            "basis",
            "amount",
            "lines",
            "accelerated",
            "capped",
            "forecast_basis",
            "forecast_amount",
            "updated_at",
        ],
    )
    audit.record(
        access=access,
        verb="rebate.accrued",
        target=program,
        after={"partners": len(results), "as_of": str(today), "dropped": len(dropped)},
    )
    return len(results)


def rebate_accruals_monthly(*, tenant: Tenant, today: date | None = None) -> int:
    """Beat: accrue every program whose period has started and not ended more than a quarter ago."""
    today = today or timezone.localdate()
    count = 0
    for program in RebateProgram.objects.filter(starts_on__lte=today):
        if (today - program.ends_on).days <= 92:
            count += rebate_accruals_by_schedule(program=program, as_of=min(today, program.ends_on))
    return count


@transaction.atomic
def rebate_statements_close(*, access: TenantAccess, program: RebateProgram) -> list[RebateStatement]:
    """At period close, one statement per partner with a rebate, from the final calculation."""
    require(access, Perm.APPROVE_MONEY)
    if timezone.localdate() <= program.ends_on:
        raise ValidationError(
            f"The period ends on {program.ends_on:%d %b %Y}; statements are made after it closes."
        )
    if RebateStatement.objects.filter(program=program).exclude(status=RebateStatement.Status.DRAFT).exists():
        raise ValidationError("Statements of this program are approved already.")
    RebateStatement.objects.filter(program=program).delete()
    results = rebate_calculate(program, access.tenant, program.ends_on)
    statements = [
        RebateStatement(
            program=program,
            partner_id=pid,
            basis=c["result"].basis,
            amount=c["result"].amount,
            lines=c["result"].as_json_lines(),
        )
        for pid, c in results.items()
        if c["result"].amount > 0
    ]
    RebateStatement.objects.bulk_create(statements)
    audit.record(
        access=access, verb="rebate.statements_closed", target=program, after={"statements": len(statements)}
    )
    return statements


@transaction.atomic
def rebate_statement_approve(*, access: TenantAccess, statement: RebateStatement) -> RebateStatement:
    """Finance approves a statement; the partner sees it from then on."""
    require(access, Perm.APPROVE_MONEY)
    statement = RebateStatement.objects.select_for_update().get(pk=statement.pk)
    if statement.status != RebateStatement.Status.DRAFT:
        raise ValidationError("This statement is approved already.")
    statement.status, statement.approved_at = RebateStatement.Status.APPROVED, timezone.now()
    statement.save(
        update_fields=["status", *actors.stamp(statement, "approved_by", access), "approved_at", "updated_at"]
    )
    audit.record(
        access=access,
        verb="rebate.statement_approved",
        target=statement,
        partner_id=statement.partner_id,
        after={"amount": str(statement.amount)},
    )
    return statement


@transaction.atomic
def rebate_statement_pay(
    *, access: TenantAccess, statement: RebateStatement, reference: str, paid_on: date
) -> RebateStatement:
    """Record the payment of an approved statement (once, for its amount)."""
    require(access, Perm.APPROVE_MONEY)
    statement = RebateStatement.objects.select_for_update().get(pk=statement.pk)
    if statement.status != RebateStatement.Status.APPROVED:
        raise ValidationError("Only approved, unpaid statements can be paid.")
    if not reference.strip():
        raise ValidationError({"reference": "Enter the payment reference from the accounts-payable system."})
    statement.status, statement.paid_reference, statement.paid_on = (
        RebateStatement.Status.PAID,
        reference.strip(),
        paid_on,
    )
    statement.paid_amount = statement.amount
    statement.save(update_fields=["status", "paid_reference", "paid_on", "paid_amount", "updated_at"])
    audit.record(
        access=access,
        verb="rebate.statement_paid",
        target=statement,
        partner_id=statement.partner_id,
        after={"amount": str(statement.amount), "reference": statement.paid_reference},
    )
    return statement
