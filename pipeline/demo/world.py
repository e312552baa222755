"""The demo pipeline being built for one tenant: its dice, clock and rules, the accounts and partner
profiles it draws from, and the registrations drafted so far; plus the small helpers every step
shares (moments in the past, deal amounts, months).

One random generator per tenant, drawn from in a fixed order, keeps the demo the same on every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from math import log
from typing import Any

from django.utils import timezone

from partners.models import Partner, PartnerAttribute
from partners.vocab import PartnerType
from prm.models import Membership, Tenant, User
from prm.periods import fiscal_quarter_of

from ..models import Account, DealRegistration, normalize_name
from ..services import desk_settings
from . import content

Status = DealRegistration.Status

# One status move of a registration: (from, to, when, by, reason).
Move = tuple[str, str, datetime, User | None, str]


@dataclass
class PartnerProfile:
    """How one partner behaves in the demo: how often and how big it registers, and where."""

    partner: Partner
    strategic: bool
    weight: float
    deal_size: float
    win_rate: float
    sourced_share: float
    currency: str
    territory: list[Account]
    health: str
    submitter: User | None


@dataclass
class Draft:
    """A registration to be, with its history of moves and the drafts it conflicts with."""

    registration: DealRegistration
    moves: list[Move] = field(default_factory=list)
    conflicts_with: list[Draft] = field(default_factory=list)


@dataclass
class World:
    tenant: Tenant
    staff: dict[str, User]
    partners: list[Partner]
    rng: random.Random
    now: datetime
    today: date
    rules: dict[str, Any]
    window_days: int  # the last eight fiscal quarters
    products: list[str]
    accounts: list[Account] = field(default_factory=list)
    profiles: list[PartnerProfile] = field(default_factory=list)
    open_owner: dict[int, int] = field(default_factory=dict)  # account → partner holding it open
    drafts: list[Draft] = field(default_factory=list)


def world_for(tenant: Tenant, staff: dict[str, User], partners: list[Partner]) -> World:
    """The empty demo world of a tenant, its dice seeded by the tenant's slug."""
    today = timezone.localdate()
    quarter = fiscal_quarter_of(today, tenant.fiscal_year_start_month)
    for _ in range(7):
        quarter = quarter.previous()
    return World(
        tenant=tenant,
        staff=staff,
        partners=partners,
        rng=random.Random(f"prm-pipeline-demo-{tenant.slug}"),  # noqa: S311 (demo data, not security)
        now=timezone.now().replace(microsecond=0),
        today=today,
        rules=desk_settings(tenant),
        window_days=(today - quarter.start).days,
        products=content.PRODUCTS.get(tenant.slug)
        or [f"{tenant.name} {p}" for p in ("Platform", "Suite", "Services")],
    )


def ensure_rates(world: World) -> None:
    """Give the tenant the demo exchange rates unless it has rates already."""
    tenant = world.tenant
    settings = dict(tenant.settings or {})
    if "exchange_rates" not in settings and tenant.currency in content.DEMO_RATES:
        settings["exchange_rates"] = content.DEMO_RATES[tenant.currency]
        tenant.settings = settings
        tenant.save(update_fields=["settings", "updated_at"])


def create_accounts(world: World) -> None:
    """Create the demo's end-customer accounts, a sample of ``content.ACCOUNTS``."""
    accounts = []
    for name, country, industry, segment in world.rng.sample(content.ACCOUNTS, content.ACCOUNT_COUNT):
        normalized = normalize_name(name)
        accounts.append(
            Account(
                name=name,
                normalized_name=normalized,
                domain=normalized.replace(" ", "") + ".example",
                country=country,
                industry=industry,
                segment=segment,
            )
        )
    world.accounts = Account.objects.bulk_create(accounts)


def build_profiles(world: World) -> None:
    """Draw how each active partner behaves, from its tier, types, country and the dice."""
    submitters: dict[int, User] = {}
    for membership in (
        Membership.objects.filter(tenant=world.tenant, is_active=True, partner__isnull=False)
        .select_related("user")
        .order_by("pk")
    ):
        if membership.partner_id is not None:
            submitters.setdefault(membership.partner_id, membership.user)
    world.profiles = [_profile(world, partner, submitters.get(partner.pk)) for partner in world.partners]
    for index, health in content.FORCED_HEALTH:
        world.profiles[index].health = health


def _profile(world: World, partner: Partner, submitter: User | None) -> PartnerProfile:
    rng, tenant = world.rng, world.tenant
    rates = (tenant.settings or {}).get("exchange_rates", {})
    strategic = partner.classification == "strategic"
    key = (
        "strategic"
        if strategic
        else (partner.tier.name if partner.tier and partner.tier.name in content.TIER_PROFILE else "other")
    )
    weight, size, win_rate = content.TIER_PROFILE[key]
    types = partner.values_of(PartnerAttribute.Kind.TYPE) or [PartnerType.RESELLER]
    local = content.COUNTRY_CURRENCY.get(str(partner.country), tenant.currency)
    currency = local if local in rates and rng.random() < content.LOCAL_CURRENCY_SHARE else tenant.currency
    health = rng.choices(list(content.HEALTH), weights=content.HEALTH_WEIGHTS[strategic])[0]
    return PartnerProfile(
        partner=partner,
        strategic=strategic,
        weight=weight * (0.6 if PartnerType.ADVISOR in types else 1),
        deal_size=size,
        win_rate=win_rate,
        sourced_share=sum(content.SOURCED_SHARE.get(t, 0.6) for t in types) / len(types),
        currency=currency,
        territory=rng.sample(world.accounts, rng.randint(*content.TERRITORY_SIZE[strategic])),
        health=health,
        submitter=submitter,
    )


def days_ago(world: World, low: float, high: float) -> datetime:
    """A moment ``low``–``high`` days ago, recent ones a little more likely (a growing program)."""
    high = max(low, min(high, world.window_days))
    days = low + (high - low) * world.rng.random() ** 1.25
    return world.now - timedelta(days=days)


def hours_after(world: World, moment: datetime, low_hours: float, high_hours: float) -> datetime:
    """A moment ``low_hours``–``high_hours`` after ``moment``, but no later than five minutes ago."""
    return min(
        moment + timedelta(hours=world.rng.uniform(low_hours, high_hours)), world.now - timedelta(minutes=5)
    )


def deal_amount(world: World, profile: PartnerProfile) -> Decimal:
    """A deal amount in the partner's currency, around its typical size, rounded to 500."""
    reporting = world.rng.lognormvariate(log(profile.deal_size), 0.55)
    rates = (world.tenant.settings or {}).get("exchange_rates", {})
    rate = float(rates.get(profile.currency, 1)) if profile.currency != world.tenant.currency else 1.0
    return Decimal(max(2_000, round(reporting / rate / 500) * 500))


def is_open(world: World, draft: Draft) -> bool:
    """Submitted, or approved and still protected."""
    reg = draft.registration
    if reg.status == Status.APPROVED:
        return reg.protected_until is not None and reg.protected_until >= world.today
    return reg.status == Status.SUBMITTED


def month(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s (before it when negative)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
