"""The demo's revenue records: recurring revenue that starts with won deals and then expands,
contracts, renews or churns at a pace that depends on the partner (so NRR differs by partner),
one-time service bookings, the partners' installed base and some direct customers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from math import log

from partners.models import Partner
from prm.money import to_reporting

from ..models import Account, DealRegistration, RevenueRecord
from . import content
from .world import World, deal_amount, month

Status = DealRegistration.Status
Kind = RevenueRecord.Kind


def create_revenue(world: World) -> None:
    """Two years of monthly revenue records, written in bulk."""
    this_month = month(world.today, 0)
    records = _from_won_deals(world, this_month)
    records += _installed_base(world, this_month)
    records += _direct_customers(world, this_month)
    RevenueRecord.objects.bulk_create(records, batch_size=500)


def _from_won_deals(world: World, this_month: date) -> list[RevenueRecord]:
    rng = world.rng
    health = {p.partner.pk: p.health for p in world.profiles}
    first_month = month(world.today, 1 - content.REVENUE_MONTHS)
    records: list[RevenueRecord] = []
    won = [d.registration for d in world.drafts if d.registration.status == Status.WON]
    for reg in sorted(won, key=lambda r: (r.closed_on, r.pk)):
        if reg.closed_on is None or reg.closed_amount is None or month(reg.closed_on, 0) < first_month:
            continue
        start = month(reg.closed_on, 0)
        if rng.random() < content.SUBSCRIBED_SHARE:
            records += _subscription(
                world,
                reg.account,
                reg.partner,
                reg.currency,
                reg.closed_amount,
                start,
                this_month,
                health[reg.partner_id],
                registration=reg,
            )
        if rng.random() < content.SERVICES_SHARE:  # implementation services booked with the deal
            services = (reg.closed_amount * content.SERVICES_FRACTION).quantize(Decimal("1"))
            records.append(
                _record(
                    world,
                    reg.account,
                    reg.partner,
                    start,
                    Kind.NEW,
                    services,
                    reg.currency,
                    recurring=False,
                    reference=f"SOW-{reg.pk:05d}",
                )
            )
    return records


def _installed_base(world: World, this_month: date) -> list[RevenueRecord]:
    """The customers each partner brought before the window."""
    rng = world.rng
    records: list[RevenueRecord] = []
    for profile in world.profiles:
        for account in rng.sample(profile.territory, rng.randint(*content.INSTALLED_BASE[profile.strategic])):
            start = month(world.today, -rng.randint(*content.INSTALLED_BASE_AGE))
            amount = deal_amount(world, profile)
            records += _subscription(
                world, account, profile.partner, profile.currency, amount, start, this_month, profile.health
            )
    return records


def _direct_customers(world: World, this_month: date) -> list[RevenueRecord]:
    rng = world.rng
    records: list[RevenueRecord] = []
    for account in rng.sample(world.accounts, content.DIRECT_CUSTOMERS):
        start = month(world.today, -rng.randint(*content.DIRECT_AGE))
        amount = Decimal(round(rng.lognormvariate(log(content.DIRECT_ARR), 0.5), -2))
        records += _subscription(
            world, account, None, world.tenant.currency, amount, start, this_month, "steady"
        )
    return records


def _subscription(
    world: World,
    account: Account,
    partner: Partner | None,
    currency: str,
    amount: Decimal,
    start: date,
    until: date,
    health: str,
    registration: DealRegistration | None = None,
) -> list[RevenueRecord]:
    """A subscription from ``start`` to ``until`` (or its churn), moving month by month."""
    rng = world.rng
    expand, contract, churn = content.HEALTH[health]
    arr = Decimal(amount)
    reference = f"Registration {registration.pk}" if registration else ""
    records = [
        _record(
            world,
            account,
            partner,
            start,
            Kind.NEW,
            arr,
            currency,
            registration=registration,
            reference=reference,
        )
    ]
    current, age = start, 0
    while True:
        current, age = month(current, 1), age + 1
        if current > until:
            break
        if age % 12 == 0:  # the anniversary: churn, or renew (sometimes with a change)
            if rng.random() < churn:
                records.append(_record(world, account, partner, current, Kind.CHURN, arr, currency))
                break
            records.append(_record(world, account, partner, current, Kind.RENEWAL, arr, currency))
            continue
        if rng.random() < expand:
            step = (arr * Decimal(str(rng.uniform(0.05, 0.25)))).quantize(Decimal("1"))
            arr += step
            records.append(_record(world, account, partner, current, Kind.EXPANSION, step, currency))
        elif rng.random() < contract:
            step = (arr * Decimal(str(rng.uniform(0.05, 0.25)))).quantize(Decimal("1"))
            arr -= step
            records.append(_record(world, account, partner, current, Kind.CONTRACTION, step, currency))
    return records


def _record(
    world: World,
    account: Account,
    partner: Partner | None,
    period: date,
    kind: str,
    amount: Decimal,
    currency: str,
    *,
    recurring: bool = True,
    registration: DealRegistration | None = None,
    reference: str = "",
) -> RevenueRecord:
    amount = Decimal(amount).quantize(Decimal("0.01"))
    return RevenueRecord(
        account=account,
        partner=partner,
        period=period,
        kind=kind,
        recurring=recurring,
        amount=amount,
        currency=currency,
        amount_reporting=to_reporting(amount, currency, tenant=world.tenant),
        registration=registration,
        reference=reference or f"INV-{period:%Y%m}-{account.pk:04d}-{world.rng.randint(100, 999)}",
    )
