"""A seeded world of partners, deals, revenue, plans and certifications for the number proofs.

``build_numbers_world(seed=…, start_month=…)`` writes a tenant (USD, EUR at a four-decimal rate,
the fiscal year starting in ``start_month``) through the app's services and factories, and keeps
every row *as entered* (amount and currency, never the converted column) in plain dicts, so the
oracle in ``test_numbers_independent.py`` can recompute each figure without the app's code.

Partners: three in *Premier* (strategic), three in *Advanced* (tactical), P7 alone in *Registered*
(tactical) with only hand-made deals (ties to round), and P8 without a tier with only the
fiscal-year boundary rows. Random history runs from ``start`` to ``TODAY``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from jbp.models import Investment, Plan, Side, Target
from partners.models import Tier
from pipeline import services
from pipeline.models import Account, DealRegistration
from prm.access import TenantAccess
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.jbp.factories import InvestmentFactory, PlanFactory, TargetFactory
from tests.partners.factories import CertificationFactory, PartnerFactory
from tests.prm.factories import MembershipFactory, TenantFactory

TODAY = date(2026, 6, 30)
HISTORY_START = date(2023, 1, 1)
EUR_RATE = "1.0825"  # 10.00 EUR = 10.825 USD: conversions land on half-cents
SOURCED, INFLUENCED = DealRegistration.Role.SOURCED, DealRegistration.Role.INFLUENCED
PLAN_YEARS = (2024, 2025, 2026, 2027)

# The last full quarter before TODAY and the one before it, per fiscal-year start (literal dates).
# January start: FY2026-Q2 = Apr–Jun 2026, FY2026-Q1 = Jan–Mar 2026.
# February start: FY2027-Q1 = Feb–Apr 2026, FY2026-Q4 = Nov 2025–Jan 2026.
CRAFTED_QUARTERS = {
    1: {"last": (date(2026, 4, 1), date(2026, 6, 30)), "before": (date(2026, 1, 1), date(2026, 3, 31))},
    2: {"last": (date(2026, 2, 1), date(2026, 4, 30)), "before": (date(2025, 11, 1), date(2026, 1, 31))},
}


@dataclass
class NumbersWorld:
    tenant: object
    start_month: int
    manager: TenantAccess
    executive: object
    tiers: dict[str, Tier]
    partners: list  # P1 … P8
    deals: list[dict] = field(default_factory=list)
    revenue: list[dict] = field(default_factory=list)
    plans: list[dict] = field(default_factory=list)
    certifications: list[dict] = field(default_factory=list)

    def partner_tier(self) -> dict[int, int | None]:
        return {p.pk: p.tier_id for p in self.partners}

    def partner_class(self) -> dict[int, str]:
        return {p.pk: (p.tier.classification if p.tier_id else "none") for p in self.partners}


def _at(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def _months(start: date, end: date):
    day = start.replace(day=1)
    while day <= end:
        yield day
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


class _Writer:
    """Writes rows through the app's services and remembers them as entered."""

    def __init__(self, world: NumbersWorld) -> None:
        self.world = world
        self.n = 0

    def deal(self, partner, *, role, amount, currency, submitted, outcome="", closed_on=None, won=None):
        self.n += 1
        access = self.world.manager
        registration = services.registration_submit(
            access=access,
            account_name=f"Deal customer {self.n}",
            account_domain=f"deal{self.n}.numbers.example",
            partner_id=partner.pk,
            fields={
                "opportunity_name": f"Deal {self.n}",
                "products": "Suite",
                "amount": Decimal(amount),
                "currency": currency,
                "expected_close_date": timezone.localdate(),
                "partner_role": role,
            },
        )
        # Registered when the history says, before it is decided (a close before it is refused).
        DealRegistration.objects.filter(pk=registration.pk).update(submitted_at=submitted)
        registration.refresh_from_db()
        if outcome == "rejected":
            services.registration_reject(access=access, registration=registration, reason="No.")
        elif outcome in {"approved", "won", "lost"}:
            services.registration_approve(access=access, registration=registration)
        if outcome in {"won", "lost"}:
            services.registration_close(
                access=access,
                registration=registration,
                won=outcome == "won",
                closed_on=closed_on,
                amount=Decimal(won) if outcome == "won" else None,
            )
        status = outcome or "submitted"
        self.world.deals.append(
            {
                "id": registration.pk,
                "partner_id": partner.pk,
                "account": registration.account_id,
                "role": role,
                "status": status,
                "submitted_at": submitted,
                "amount": Decimal(amount),
                "currency": currency,
                "closed_on": closed_on if status in {"won", "lost"} else None,
                "closed_amount": Decimal(won) if status == "won" else None,
            }
        )
        return registration

    def revenue(self, rows: list[dict]) -> None:
        created = services.revenue_records_bulk_create(access=self.world.manager, rows=rows)
        for row, record in zip(rows, created, strict=True):
            self.world.revenue.append(
                {**row, "id": record.pk, "account": row["account"].pk, "partner": _pk(row["partner"])}
            )


def _pk(partner) -> int | None:
    return None if partner is None else partner.pk


def _random_deals(writer: _Writer, rng: random.Random, partner, start: date) -> None:
    outcomes = ["submitted", "approved", "won", "won", "won", "lost", "lost", "rejected"]
    for month in _months(start, TODAY):
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            day = month + timedelta(days=rng.randint(0, 27))
            submitted = _at(day, rng.choice([0, 9, 12, 23]), rng.choice([0, 59]))
            outcome = rng.choice(outcomes)
            closed_on = day + timedelta(days=rng.randint(3, 150))
            if outcome in {"won", "lost"} and closed_on > TODAY:
                outcome = "approved"
            amount = _money(rng, 800, 60000)
            writer.deal(
                partner,
                role=SOURCED if rng.random() < 0.7 else INFLUENCED,
                amount=amount,
                currency="EUR" if rng.random() < 0.3 else "USD",
                submitted=submitted,
                outcome="" if outcome == "submitted" else outcome,
                closed_on=closed_on,
                won=amount + _money(rng, -500, 500) if outcome == "won" else None,
            )


def _crafted_deals(writer: _Writer, start_month: int, p7, p8) -> None:
    """P7: 17 won of 32 decided in the last quarter (0.53125 → 0.5313); 2 won (100.02 + 100.03:
    average 100.025 → 100.03) of 11 decided in the one before. P8: the fiscal-year boundary and
    an average of 100.015 (100.01 + 100.02)."""
    last, before = CRAFTED_QUARTERS[start_month]["last"], CRAFTED_QUARTERS[start_month]["before"]
    for n in range(32):
        closed = last[0] + timedelta(days=n * 2)
        won = n < 17
        writer.deal(
            p7,
            role=SOURCED,
            amount=Decimal("1000.00") + n,
            currency="USD" if n % 3 else "EUR",
            submitted=_at(closed - timedelta(days=20)),
            outcome="won" if won else "lost",
            closed_on=closed,
            won=Decimal("1000.00") + n * Decimal("7.37") if won else None,
        )
    for n, won in enumerate(["100.02", "100.03", *[None] * 9]):
        closed = before[0] + timedelta(days=3 + n * 5)
        writer.deal(
            p7,
            role=INFLUENCED,
            amount="100.00",
            currency="USD",
            submitted=_at(closed - timedelta(days=10)),
            outcome="won" if won else "lost",
            closed_on=closed,
            won=won,
        )
    boundary = [  # (submitted, closed, won amount)
        (_at(date(2026, 1, 31), 23, 59, 59), date(2026, 1, 31), "1111.11"),
        (_at(date(2026, 2, 1), 0, 0, 0), date(2026, 2, 1), "2222.22"),
        (_at(date(2025, 2, 1), 0, 0, 0), date(2025, 2, 1), "100.01"),
        (_at(date(2025, 1, 31), 23, 0, 0), date(2025, 1, 31), "333.33"),
        (_at(date(2025, 2, 3)), date(2025, 2, 3), "100.02"),
    ]
    for submitted, closed, won in boundary:
        writer.deal(
            p8,
            role=SOURCED,
            amount=won,
            currency="USD",
            submitted=submitted,
            outcome="won",
            closed_on=closed,
            won=won,
        )


def _random_revenue(writer: _Writer, rng: random.Random, partner, start: date, accounts: int = 3) -> None:
    """Accounts that start with new ARR, then expand, contract, renew yearly, churn, plus one-time
    bookings; some in EUR. The ARR a record moves is tracked in the currency it was entered in."""
    kind = {k: k for k in ("new", "expansion", "contraction", "churn", "renewal")}
    rows = []
    # The first account is one the partner sourced and won, when it has one: partner-sourced revenue.
    won = [
        d
        for d in writer.world.deals
        if (d["partner_id"], d["status"], d["role"]) == (partner.pk, "won", SOURCED)
    ]
    for n in range(accounts):
        writer.n += 1
        if n == 0 and won:
            account = Account.objects.get(pk=won[0]["account"])
        else:
            account = Account.objects.create(
                name=f"Revenue customer {writer.n}", domain=f"rev{writer.n}.example"
            )
        currency = "EUR" if rng.random() < 0.3 else "USD"
        first = start + timedelta(days=rng.randint(0, 540))
        arr = Decimal(0)

        def row(month, k, amount, recurring=True, account=account, currency=currency):
            rows.append(
                {
                    "account": account,
                    "partner": partner,
                    "period": month,
                    "kind": kind[k],
                    "recurring": recurring,
                    "amount": amount,
                    "currency": currency,
                }
            )

        for n, month in enumerate(_months(first, TODAY)):
            if n == 0:
                arr = _money(rng, 1000, 30000)
                row(month, "new", arr)
            elif n % 12 == 0 and arr:
                row(month, "renewal", arr)
            elif arr and rng.random() < 0.02:
                row(month, "churn", arr)
                arr = Decimal(0)
            elif arr and rng.random() < 0.12:
                change = (arr * Decimal(rng.randint(3, 30)) / 100).quantize(Decimal("0.01"))
                grow = rng.random() < 0.7
                row(month, "expansion" if grow else "contraction", change)
                arr += change if grow else -change
            if rng.random() < 0.08:
                row(month, "new", _money(rng, 100, 5000), recurring=False)
    writer.revenue(rows)


def _plans(world: NumbersWorld, rng: random.Random) -> None:
    """Signed plans for every year of PLAN_YEARS for P1, P2, P3 (two closed years) and P7; a
    draft for P4; a signed plan for FY2026 only for P5. Quarterly revenue commitments, pipeline targets (not commitments), vendor MDF
    quarterly and whole-year, and investments that are not vendor MDF."""
    p1, p2, p3, p4, *_rest = world.partners
    p7 = world.partners[6]
    for partner in (p1, p2, p3, p7):
        for year in PLAN_YEARS:
            closed = partner is p3 and year <= 2025
            plan = PlanFactory(
                partner=partner,
                fiscal_year=year,
                signed=True,
                status=Plan.Status.CLOSED if closed else Plan.Status.ACTIVE,
            )
            _plan_rows(world, rng, plan)
    _plan_rows(world, rng, PlanFactory(partner=p4, fiscal_year=2026))
    # P5 signs a plan for one year only: a trailing four quarters across years sees one plan.
    _plan_rows(world, rng, PlanFactory(partner=world.partners[4], fiscal_year=2026, signed=True))


def _plan_rows(world: NumbersWorld, rng: random.Random, plan) -> None:
    targets, investments = [], []
    for quarter in (1, 2, 3, 4):
        value = _money(rng, 20000, 90000)
        if rng.random() < 0.8:  # some quarters carry no revenue commitment: attainment skips them
            TargetFactory(
                plan=plan, kind=Target.Kind.REVENUE, metric_key="revenue", quarter=quarter, value=value
            )
            targets.append({"kind": "revenue", "quarter": quarter, "value": value})
        TargetFactory(plan=plan, kind=Target.Kind.PIPELINE, metric_key="pipeline_sourced", quarter=quarter)
        if rng.random() < 0.6:
            amount = _money(rng, 1000, 9000)
            InvestmentFactory(plan=plan, quarter=quarter, amount=amount)
            investments.append({"side": "vendor", "kind": "mdf", "quarter": quarter, "amount": amount})
    yearly = _money(rng, 4000, 20000) + Decimal("0.01")  # a quarter of it is rarely whole cents
    InvestmentFactory(plan=plan, quarter=None, amount=yearly)
    investments.append({"side": "vendor", "kind": "mdf", "quarter": None, "amount": yearly})
    InvestmentFactory(plan=plan, side=Side.PARTNER, quarter=None, amount=Decimal("5000.00"))
    InvestmentFactory(plan=plan, kind=Investment.Kind.MARKETING, quarter=1, amount=Decimal("700.00"))
    InvestmentFactory(plan=plan, kind=Investment.Kind.HEADCOUNT, quarter=None, amount=None, quantity=2)
    investments += [
        {"side": "partner", "kind": "mdf", "quarter": None, "amount": Decimal("5000.00")},
        {"side": "vendor", "kind": "marketing", "quarter": 1, "amount": Decimal("700.00")},
        {"side": "vendor", "kind": "headcount", "quarter": None, "amount": None},
    ]
    world.plans.append(
        {
            "partner_id": plan.partner_id,
            "fiscal_year": plan.fiscal_year,
            "signed": plan.status in Plan.SIGNED,
            "targets": targets,
            "investments": investments,
        }
    )


def _certifications(world: NumbersWorld, rng: random.Random) -> None:
    for partner in world.partners:
        for _ in range(rng.randint(0, 4)):
            earned = HISTORY_START + timedelta(days=rng.randint(0, 1200))
            expires = None if rng.random() < 0.4 else earned + timedelta(days=rng.randint(200, 900))
            archived = rng.random() < 0.15
            CertificationFactory(
                partner=partner,
                earned_on=earned,
                expires_on=expires,
                archived_at=timezone.now() if archived else None,
            )
            world.certifications.append(
                {"partner_id": partner.pk, "earned_on": earned, "expires_on": expires, "archived": archived}
            )


def _tenant_and_people(slug: str, start_month: int):
    tenant = TenantFactory(
        slug=slug,
        name=f"Numbers {slug}",
        currency="USD",
        fiscal_year_start_month=start_month,
        settings={"exchange_rates": {"EUR": EUR_RATE}},
    )
    manager = TenantAccess.from_membership(MembershipFactory(tenant=tenant, role=Role.MANAGER))
    executive = MembershipFactory(tenant=tenant, role=Role.EXECUTIVE).user
    return tenant, manager, executive


def build_numbers_world(*, seed: int, start_month: int, slug: str) -> NumbersWorld:
    """The world described in the module docstring, the same for the same seed and start month."""
    rng = random.Random(seed)
    tenant, manager, executive = _tenant_and_people(slug, start_month)
    with tenant_context(tenant):
        tiers = {
            "premier": Tier.objects.create(name="Premier", rank=1, classification="strategic"),
            "advanced": Tier.objects.create(name="Advanced", rank=2, classification="tactical"),
            "registered": Tier.objects.create(name="Registered", rank=3, classification="tactical"),
        }
        layout = ["premier"] * 3 + ["advanced"] * 3 + ["registered", None]
        partners = [
            PartnerFactory(tenant=tenant, name=f"Numbers Partner {n}", tier=tiers[t] if t else None)
            for n, t in enumerate(layout, start=1)
        ]
        world = NumbersWorld(tenant, start_month, manager, executive, tiers, partners)
        writer = _Writer(world)
        for partner in partners[:6]:
            _random_deals(writer, rng, partner, HISTORY_START)
        for partner in partners[:7]:
            _random_revenue(writer, rng, partner, HISTORY_START)
        _crafted_deals(writer, start_month, partners[6], partners[7])
        _boundary_and_direct_revenue(writer, partners[7])
        _plans(world, rng)
        _certifications(world, rng)
    return world


def _boundary_and_direct_revenue(writer: _Writer, p8) -> None:
    """P8 books 555.55 in January 2026 and 666.66 in February 2026 (one-time); a direct account
    (no partner) books revenue that no partner's figure may count."""
    a, b = (Account.objects.create(name=f"Edge {n}", domain=f"edge{n}.example") for n in (1, 2))
    row = {"kind": "new", "recurring": False, "currency": "USD"}
    writer.revenue(
        [
            {**row, "account": a, "partner": p8, "period": date(2026, 1, 1), "amount": Decimal("555.55")},
            {**row, "account": a, "partner": p8, "period": date(2026, 2, 1), "amount": Decimal("666.66")},
            {**row, "account": b, "partner": None, "period": date(2025, 6, 1), "amount": Decimal("9999.99")},
            {**row, "account": b, "partner": None, "period": date(2026, 2, 1), "amount": Decimal("8888.88")},
        ]
    )


def build_long_history_world(*, seed: int, slug: str) -> NumbersWorld:
    """A January-start tenant with six and a half years of revenue for four partners, and a fifth
    (the last) whose numbers tie: NRR for FY2025-Q1 is 1700 ÷ 3200 = 0.53125 and revenue growth
    is 3700 ÷ 3200 − 1 = 0.15625 (January–March 2025 against January–March 2024)."""
    rng = random.Random(seed)
    tenant, manager, executive = _tenant_and_people(slug, 1)
    with tenant_context(tenant):
        partners = [PartnerFactory(tenant=tenant, name=f"Long Partner {n}") for n in range(1, 6)]
        world = NumbersWorld(tenant, 1, manager, executive, {}, partners)
        writer = _Writer(world)
        for partner in partners[:4]:
            _random_revenue(writer, rng, partner, date(2020, 1, 1), accounts=4)
        tie = partners[4]
        account = Account.objects.create(name="Tie customer", domain="tie.example")
        base = {"account": account, "partner": tie, "currency": "USD", "recurring": True}
        writer.revenue(
            [
                {**base, "period": date(2024, 1, 1), "kind": "new", "amount": Decimal("3200.00")},
                {**base, "period": date(2025, 1, 1), "kind": "renewal", "amount": Decimal("1700.00")},
                {**base, "period": date(2025, 2, 1), "kind": "contraction", "amount": Decimal("1500.00")},
                {
                    **base,
                    "period": date(2025, 3, 1),
                    "kind": "new",
                    "amount": Decimal("2000.00"),
                    "recurring": False,
                },
            ]
        )
    return world
