"""Demo pipeline for ``manage.py seed_demo``: accounts, deal registrations and revenue records.

About forty end-customer accounts per tenant, a few vendor opportunities, some three hundred
registrations from the active partners over the last eight fiscal quarters, and two years of
monthly revenue records, so that every page and metric has something true to show:

- both roles (resellers and integrators mostly source, advisors mostly influence), every status in
  realistic proportions, strategic partners with larger deals and better win rates;
- open conflicts (two partners on one account) waiting for a decision, resolved ones in history,
  registrations waiting past the decision SLA next to fresh ones, approved registrations whose
  protection ended an hour ago (the expiry job's work) and some extended or asking for more time;
- recurring revenue that starts with won deals and then expands, contracts, renews or churns at a
  pace that depends on the partner, so NRR differs by partner, plus one-time service bookings.

Rows are written in bulk, keeping the invariants the services keep (reporting-currency amounts,
status history consistent with the status, protection dates, conflict rows both ways), with
timestamps backdated to when things happened. Deterministic per tenant and idempotent: a tenant
that has registrations already is left as it is.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from math import log
from typing import Any

from django.db import transaction
from django.utils import timezone

from partners.models import Partner, PartnerAttribute
from partners.vocab import PartnerType, Segment, Vertical
from prm.models import Membership, Tenant, User
from prm.money import to_reporting
from prm.periods import fiscal_quarter_of

from .models import (
    Account,
    DealConflict,
    DealRegistration,
    DealStatusChange,
    RevenueRecord,
    VendorOpportunity,
    normalize_name,
)
from .services import desk_settings

Status = DealRegistration.Status
Role = DealRegistration.Role
Stage = DealRegistration.Stage
Kind = RevenueRecord.Kind

ACCOUNT_COUNT = 40
REGISTRATION_COUNT = 290  # plus the conflicting counterparts added afterwards: about 300
PORTAL_PARTNER_DOMAIN = "northwindsystems.example"

# Fictional end customers: name, country, industry, segment.
ACCOUNTS: list[tuple[str, str, str, str]] = [
    ("Harborview Logistics", "US", Vertical.LOGISTICS, Segment.MID_MARKET),
    ("Pinecrest Health System", "US", Vertical.HEALTHCARE, Segment.ENTERPRISE),
    ("Bluewater Savings Bank", "US", Vertical.FINANCIAL_SERVICES, Segment.ENTERPRISE),
    ("Crestline Manufacturing Inc.", "US", Vertical.MANUFACTURING, Segment.MID_MARKET),
    ("Meadowbrook Foods", "CA", Vertical.RETAIL, Segment.MID_MARKET),
    ("Ironbridge Steel", "US", Vertical.MANUFACTURING, Segment.ENTERPRISE),
    ("Silverline Telecom", "GB", Vertical.TELECOM, Segment.ENTERPRISE),
    ("Northgate University", "US", Vertical.EDUCATION, Segment.MID_MARKET),
    ("Cedar County Government", "US", Vertical.PUBLIC_SECTOR, Segment.MID_MARKET),
    ("Brightpath Insurance", "US", Vertical.FINANCIAL_SERVICES, Segment.ENTERPRISE),
    ("Oakridge Medical Group", "US", Vertical.HEALTHCARE, Segment.MID_MARKET),
    ("Sunvale Energy", "AU", Vertical.ENERGY, Segment.ENTERPRISE),
    ("Kestrel Airlines", "GB", Vertical.LOGISTICS, Segment.ENTERPRISE),
    ("Marlow & Finch LLP", "GB", Vertical.PROFESSIONAL_SERVICES, Segment.SMB),
    ("Quantum Retail Group", "US", Vertical.RETAIL, Segment.ENTERPRISE),
    ("Helix Biotech", "US", Vertical.HEALTHCARE, Segment.MID_MARKET),
    ("Stonegate Capital", "US", Vertical.FINANCIAL_SERVICES, Segment.SMB),
    ("Riverbend Utilities", "CA", Vertical.ENERGY, Segment.MID_MARKET),
    ("Trailhead Outfitters", "US", Vertical.RETAIL, Segment.SMB),
    ("Greenfield Agritech", "NL", Vertical.MANUFACTURING, Segment.MID_MARKET),
    ("Lakeshore Hospitality", "US", Vertical.RETAIL, Segment.MID_MARKET),
    ("Polaris Freight", "SE", Vertical.LOGISTICS, Segment.MID_MARKET),
    ("Westbrook Pharma", "GB", Vertical.HEALTHCARE, Segment.ENTERPRISE),
    ("Copperfield Mining", "AU", Vertical.ENERGY, Segment.ENTERPRISE),
    ("Everbright Media", "US", Vertical.TELECOM, Segment.MID_MARKET),
    ("Highland Credit Union", "US", Vertical.FINANCIAL_SERVICES, Segment.SMB),
    ("Maplewood School District", "US", Vertical.EDUCATION, Segment.SMB),
    ("Vantage Software", "US", Vertical.TECHNOLOGY, Segment.MID_MARKET),
    ("Orbital Systems Corp.", "US", Vertical.TECHNOLOGY, Segment.ENTERPRISE),
    ("Clearwater Water Authority", "US", Vertical.PUBLIC_SECTOR, Segment.MID_MARKET),
    ("Redstone Construction", "CA", Vertical.MANUFACTURING, Segment.MID_MARKET),
    ("Foxglove Cosmetics", "FR", Vertical.RETAIL, Segment.SMB),
    ("Atlas Shipping Lines", "NL", Vertical.LOGISTICS, Segment.ENTERPRISE),
    ("Sterling Legal Partners", "US", Vertical.PROFESSIONAL_SERVICES, Segment.SMB),
    ("Lumen Data Centers", "US", Vertical.TECHNOLOGY, Segment.ENTERPRISE),
    ("Ashford Hospital Trust", "GB", Vertical.HEALTHCARE, Segment.ENTERPRISE),
    ("Kingsbridge Council", "GB", Vertical.PUBLIC_SECTOR, Segment.MID_MARKET),
    ("Bergmann Maschinenbau GmbH", "DE", Vertical.MANUFACTURING, Segment.ENTERPRISE),
    ("Rheinland Versicherung AG", "DE", Vertical.FINANCIAL_SERVICES, Segment.ENTERPRISE),
    ("Nordlicht Energie", "DE", Vertical.ENERGY, Segment.MID_MARKET),
    ("Alpenblick Hotels", "AT", Vertical.RETAIL, Segment.SMB),
    ("Vasquez Logística S.A.", "ES", Vertical.LOGISTICS, Segment.MID_MARKET),
    ("Lumière Retail SAS", "FR", Vertical.RETAIL, Segment.ENTERPRISE),
    ("Van der Berg Transport B.V.", "NL", Vertical.LOGISTICS, Segment.MID_MARKET),
    ("Kowalski Foods", "PL", Vertical.RETAIL, Segment.MID_MARKET),
    ("Svensson Medtech AB", "SE", Vertical.HEALTHCARE, Segment.MID_MARKET),
    ("Tessaro Automotive", "IT", Vertical.MANUFACTURING, Segment.ENTERPRISE),
    ("Praxis Engineering", "CH", Vertical.PROFESSIONAL_SERVICES, Segment.SMB),
    ("Danubia Bank", "AT", Vertical.FINANCIAL_SERVICES, Segment.ENTERPRISE),
    ("Helvetia Precision AG", "CH", Vertical.MANUFACTURING, Segment.MID_MARKET),
    ("Iberia Telecom", "ES", Vertical.TELECOM, Segment.ENTERPRISE),
    ("Oresund Shipping", "DK", Vertical.LOGISTICS, Segment.MID_MARKET),
    ("Moreau Pharmaceutique", "FR", Vertical.HEALTHCARE, Segment.ENTERPRISE),
    ("Brno Components", "CZ", Vertical.MANUFACTURING, Segment.SMB),
    ("Lisboa Energia", "PT", Vertical.ENERGY, Segment.MID_MARKET),
    ("Flanders Food Group", "BE", Vertical.RETAIL, Segment.MID_MARKET),
]
PRODUCTS: dict[str, list[str]] = {
    "acme": [
        "Acme Cloud Platform",
        "Acme Security Suite",
        "Acme Data Platform",
        "Acme Analytics",
        "Acme Backup & Recovery",
        "Acme Identity",
    ],
    "globex": [
        "Globex PLC Controllers",
        "Globex SCADA Suite",
        "Globex Field Service",
        "Globex Robotics Cell",
        "Globex Predictive Maintenance",
        "Globex Safety Systems",
    ],
}
PROJECTS = [
    "rollout",
    "migration",
    "expansion",
    "pilot",
    "phase 2",
    "modernisation",
    "consolidation",
    "renewal",
]
PEOPLE = [
    "Olivia Grant",
    "Marcus Lee",
    "Sara Lindqvist",
    "Tomás Ortega",
    "Nina Petrova",
    "David Okafor",
    "Julia Meyer",
    "Kenji Watanabe",
    "Amelia Clarke",
    "Pierre Lambert",
    "Rosa Bianchi",
    "Henrik Dahl",
]
# Units of reporting currency per unit of the foreign one (set when the tenant has no rates yet).
DEMO_RATES: dict[str, dict[str, str]] = {
    "USD": {"EUR": "1.08", "GBP": "1.27", "CAD": "0.73", "AUD": "0.66"},
    "EUR": {"USD": "0.93", "GBP": "1.18", "CHF": "1.06", "SEK": "0.088"},
}
COUNTRY_CURRENCY = {
    "GB": "GBP",
    "DE": "EUR",
    "FR": "EUR",
    "NL": "EUR",
    "IT": "EUR",
    "ES": "EUR",
    "AT": "EUR",
    "BE": "EUR",
    "PT": "EUR",
    "US": "USD",
    "CA": "CAD",
    "AU": "AUD",
    "CH": "CHF",
    "SE": "SEK",
}
REJECTIONS = [
    "The customer is a named account of our direct team.",
    "Not a new opportunity: the customer renewed directly last quarter.",
    "Insufficient detail: no customer contact or budget confirmed.",
    "The customer is outside the partner's authorised territory.",
    "Duplicate of an earlier registration by the same partner.",
]
CONFLICT_REJECTION = (
    "Another partner registered this opportunity first and was approved; it has the protection."
)
# Sourced share by partner type: resellers and integrators bring deals, advisors influence them.
SOURCED_SHARE: dict[str, float] = {
    PartnerType.RESELLER: 0.85,
    PartnerType.SYSTEM_INTEGRATOR: 0.75,
    PartnerType.MSP: 0.7,
    PartnerType.ISV: 0.5,
    PartnerType.REFERRAL: 0.6,
    PartnerType.ADVISOR: 0.15,
}
# Per tier: share of registrations, typical deal size (reporting currency), win rate.
TIER_PROFILE = {
    "strategic": (3.0, 140_000, 0.72),
    "Gold": (1.6, 60_000, 0.5),
    "Silver": (1.0, 38_000, 0.42),
    "other": (0.6, 22_000, 0.33),
}
# Revenue behaviour after a win: monthly chance of expansion and contraction, churn at renewal.
HEALTH = {
    "growing": (0.05, 0.005, 0.03),
    "steady": (0.02, 0.015, 0.08),
    "leaky": (0.01, 0.05, 0.3),
}


@dataclass
class _Partner:
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
class _Draft:
    """A registration to be, with its history: (from, to, when, by, reason) per move."""

    registration: DealRegistration
    moves: list[tuple[str, str, datetime, User | None, str]] = field(default_factory=list)
    conflicts_with: list[_Draft] = field(default_factory=list)


def seed(*, tenant: Tenant, staff: dict[str, User]) -> dict[str, Any]:
    """Create the tenant's demo pipeline unless it has registrations already."""
    if DealRegistration.objects.exists():
        return {}
    partners = list(
        Partner.objects.filter(status=Partner.Status.ACTIVE, archived_at__isnull=True)
        .select_related("tier", "partner_manager")
        .prefetch_related("attributes")
        .order_by("pk")
    )
    if not partners:
        return {}
    with transaction.atomic():
        _Seeder(tenant, staff, partners).run()
    return {}


class _Seeder:
    def __init__(self, tenant: Tenant, staff: dict[str, User], partners: list[Partner]) -> None:
        self.tenant = tenant
        self.staff = staff
        self.rng = random.Random(f"prm-pipeline-demo-{tenant.slug}")  # noqa: S311 (demo data, not security)
        self.now = timezone.now().replace(microsecond=0)
        self.today = timezone.localdate()
        self.rules = desk_settings(tenant)
        quarter = fiscal_quarter_of(self.today, tenant.fiscal_year_start_month)
        for _ in range(7):
            quarter = quarter.previous()
        self.window_days = (self.today - quarter.start).days  # the last eight fiscal quarters
        self.partners = partners
        self.products = PRODUCTS.get(tenant.slug) or [
            f"{tenant.name} {p}" for p in ("Platform", "Suite", "Services")
        ]
        self.open_owner: dict[int, int] = {}  # account → the partner holding its open registrations
        self.drafts: list[_Draft] = []

    def run(self) -> None:
        self._ensure_rates()
        self.accounts = self._accounts()
        self.profiles = self._profiles()
        portal = next((p for p in self.profiles if p.partner.domain == PORTAL_PARTNER_DOMAIN), None)
        if portal is not None:
            self._portal_partner_drafts(portal)
        while len(self.drafts) < REGISTRATION_COUNT:
            profile = self.rng.choices(self.profiles, weights=[p.weight for p in self.profiles])[0]
            self._draft(profile, self._status(profile))
        self._open_conflicts(portal)
        self._resolved_conflicts()
        vendor_accounts = self._vendor_opportunities()
        self._write(vendor_accounts)
        self._revenue()

    # --- setup ---------------------------------------------------------------------------------

    def _ensure_rates(self) -> None:
        settings = dict(self.tenant.settings or {})
        if "exchange_rates" not in settings and self.tenant.currency in DEMO_RATES:
            settings["exchange_rates"] = DEMO_RATES[self.tenant.currency]
            self.tenant.settings = settings
            self.tenant.save(update_fields=["settings", "updated_at"])

    def _accounts(self) -> list[Account]:
        chosen = self.rng.sample(ACCOUNTS, ACCOUNT_COUNT)
        accounts = []
        for name, country, industry, segment in chosen:
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
        return Account.objects.bulk_create(accounts)

    def _profiles(self) -> list[_Partner]:
        submitters: dict[int, User] = {}
        for membership in (
            Membership.objects.filter(tenant=self.tenant, is_active=True, partner__isnull=False)
            .select_related("user")
            .order_by("pk")
        ):
            if membership.partner_id is not None:
                submitters.setdefault(membership.partner_id, membership.user)
        rates = (self.tenant.settings or {}).get("exchange_rates", {})
        profiles = []
        for partner in self.partners:
            strategic = partner.classification == "strategic"
            key = (
                "strategic"
                if strategic
                else (partner.tier.name if partner.tier and partner.tier.name in TIER_PROFILE else "other")
            )
            weight, size, win_rate = TIER_PROFILE[key]
            types = partner.values_of(PartnerAttribute.Kind.TYPE) or [PartnerType.RESELLER]
            share = sum(SOURCED_SHARE.get(t, 0.6) for t in types) / len(types)
            local = COUNTRY_CURRENCY.get(str(partner.country), self.tenant.currency)
            currency = local if local in rates and self.rng.random() < 0.8 else self.tenant.currency
            health = self.rng.choices(list(HEALTH), weights=[6, 3, 1] if strategic else [2, 4, 3])[0]
            profiles.append(
                _Partner(
                    partner=partner,
                    strategic=strategic,
                    weight=weight * (0.6 if PartnerType.ADVISOR in types else 1),
                    deal_size=size,
                    win_rate=win_rate,
                    sourced_share=share,
                    currency=currency,
                    territory=self.rng.sample(
                        self.accounts, self.rng.randint(6, 9) if strategic else self.rng.randint(3, 6)
                    ),
                    health=health,
                    submitter=submitters.get(partner.pk),
                )
            )
        # NRR must differ by partner: at least two partners of each kind, whatever the dice said.
        for index, health in ((0, "growing"), (1, "growing"), (-1, "leaky"), (-2, "leaky"), (-3, "leaky")):
            profiles[index].health = health
        return profiles

    # --- registrations ---------------------------------------------------------------------------

    def _status(self, profile: _Partner) -> str:
        rejected, expired = (7, 11) if profile.strategic else (14, 18)
        status = self.rng.choices(
            [Status.SUBMITTED, Status.APPROVED, Status.REJECTED, Status.EXPIRED, "decided"],
            weights=[5, 10, rejected, expired, 52],
        )[0]
        if status == "decided":
            return Status.WON if self.rng.random() < profile.win_rate else Status.LOST
        return status

    def _portal_partner_drafts(self, portal: _Partner) -> None:
        """The demo portal partner has registrations in every status, so the portal shows all."""
        for status, variant in [
            (Status.SUBMITTED, "fresh"),
            (Status.SUBMITTED, "overdue"),
            (Status.APPROVED, "protected"),
            (Status.APPROVED, "extension_requested"),
            (Status.APPROVED, "lapsed"),
            (Status.REJECTED, ""),
            (Status.WON, ""),
            (Status.WON, ""),
            (Status.LOST, ""),
            (Status.EXPIRED, ""),
        ]:
            self._draft(portal, status, variant)

    def _days_ago(self, low: float, high: float) -> datetime:
        """A moment ``low``–``high`` days ago, recent ones a little more likely (a growing program)."""
        high = max(low, min(high, self.window_days))
        days = low + (high - low) * self.rng.random() ** 1.25
        return self.now - timedelta(days=days)

    def _after(self, moment: datetime, low_hours: float, high_hours: float) -> datetime:
        return min(
            moment + timedelta(hours=self.rng.uniform(low_hours, high_hours)), self.now - timedelta(minutes=5)
        )

    def _draft(
        self,
        profile: _Partner,
        status: str,
        variant: str = "",
        *,
        account: Account | None = None,
        submitted_at: datetime | None = None,
    ) -> _Draft:
        rng = self.rng
        protection = timedelta(days=self.rules["protection_days"])
        if not variant:
            variants: dict[str, str] = {
                Status.SUBMITTED: rng.choices(["fresh", "overdue", "stale"], weights=[3, 5, 1])[0],
                Status.APPROVED: rng.choices(
                    ["protected", "lapsed", "extended", "extension_requested"], weights=[14, 3, 3, 2]
                )[0],
            }
            variant = variants.get(status, "")
        is_open = status == Status.SUBMITTED or variant in ("protected", "extended", "extension_requested")
        if account is None:
            account = self._account_for(profile, is_open)
            if account is None:  # every account is held by another partner's open registration
                status, variant, is_open = Status.LOST, "", False
                account = rng.choice(profile.territory)
        if is_open:
            self.open_owner.setdefault(account.pk, profile.partner.pk)

        sla = timedelta(hours=self.rules["sla_hours"])
        if submitted_at is None:
            submitted_at = {
                "fresh": lambda: self.now - timedelta(hours=rng.uniform(0.5, sla.total_seconds() / 3600 - 6)),
                "overdue": lambda: self.now - sla - timedelta(hours=rng.uniform(2, 200)),
                "stale": lambda: self.now - timedelta(days=rng.uniform(12, 30)),
                "protected": lambda: self._days_ago(3, protection.days - 8),
                "lapsed": lambda: self._days_ago(protection.days + 8, protection.days + 35),
                "extended": lambda: self._days_ago(protection.days + 10, protection.days + 70),
                "extension_requested": lambda: self._days_ago(protection.days - 25, protection.days - 12),
                "": lambda: self._days_ago(
                    {str(Status.EXPIRED): protection.days + 8, str(Status.REJECTED): 4}.get(status, 14),
                    self.window_days,
                ),
            }[variant]()

        amount = self._amount(profile)
        role = Role.SOURCED if rng.random() < profile.sourced_share else Role.INFLUENCED
        product = rng.choice(self.products)
        person = rng.choice(PEOPLE)
        on_behalf = profile.submitter is None and rng.random() < 0.12
        submitted_by = self.staff["manager"] if on_behalf else profile.submitter
        registration = DealRegistration(
            partner=profile.partner,
            account=account,
            opportunity_name=f"{account.name.split(' ')[0]} {product.split(' ', 1)[-1]} {rng.choice(PROJECTS)}",
            products=product,
            amount=amount,
            currency=profile.currency,
            amount_reporting=to_reporting(amount, profile.currency, tenant=self.tenant),
            expected_close_date=(submitted_at + timedelta(days=rng.randint(30, 150))).date(),
            stage=rng.choices(list(Stage.values), weights=[4, 4, 3, 2, 1])[0],
            customer_contact_name=person,
            customer_contact_email=f"{person.split()[0].lower()}.{person.split()[-1].lower()}@{account.domain}",
            partner_role=role,
            notes="Registered by the partner manager on the partner's behalf." if on_behalf else "",
            status=status,
            submitted_at=submitted_at,
            submitted_by=submitted_by,
        )
        draft = _Draft(registration, [("", Status.SUBMITTED, submitted_at, submitted_by, "")])
        if status == Status.SUBMITTED:
            if variant == "stale":  # waited long enough to have been escalated already
                registration.sla_escalated_at = submitted_at + sla + timedelta(minutes=rng.randint(5, 55))
        else:
            self._decide(draft, profile, status, variant)
        self.drafts.append(draft)
        return draft

    def _amount(self, profile: _Partner) -> Decimal:
        reporting = self.rng.lognormvariate(log(profile.deal_size), 0.55)
        rates = (self.tenant.settings or {}).get("exchange_rates", {})
        rate = float(rates.get(profile.currency, 1)) if profile.currency != self.tenant.currency else 1.0
        return Decimal(max(2_000, round(reporting / rate / 500) * 500))

    def _account_for(self, profile: _Partner, is_open: bool) -> Account | None:
        if not is_open:
            return self.rng.choice(profile.territory)
        pid = profile.partner.pk
        for pool in (profile.territory, self.accounts):
            free = [a for a in pool if self.open_owner.get(a.pk, pid) == pid]
            if free:
                return self.rng.choice(free)
        return None

    def _decide(self, draft: _Draft, profile: _Partner, status: str, variant: str) -> None:
        rng, registration = self.rng, draft.registration
        manager = profile.partner.partner_manager or self.staff["manager"]
        decided_at = self._after(registration.submitted_at, 3, 80)
        registration.decided_at, registration.decided_by = decided_at, manager
        if status == Status.REJECTED:
            registration.decision_reason = rng.choice(REJECTIONS)
            draft.moves.append(
                (Status.SUBMITTED, Status.REJECTED, decided_at, manager, registration.decision_reason)
            )
            return
        draft.moves.append((Status.SUBMITTED, Status.APPROVED, decided_at, manager, ""))
        protected_until = decided_at.date() + timedelta(days=self.rules["protection_days"])
        if variant == "extended":
            registration.extensions = 1
            protected_until += timedelta(days=self.rules["extension_days"])
        registration.protected_until = protected_until
        if variant == "extension_requested":
            registration.extension_requested_at = self.now - timedelta(hours=rng.uniform(6, 70))
            registration.extension_reason = (
                "The customer moved the board approval to next quarter; we need more time."
            )
        if status in (Status.APPROVED, Status.WON) and rng.random() < 0.4:
            registration.sales_rep = rng.choice(
                [self.staff["manager"], self.staff["admin"], self.staff["executive"]]
            )
        if status == Status.EXPIRED:
            expired_at = timezone.make_aware(
                datetime.combine(protected_until + timedelta(days=1), time(0, 17))
            )
            draft.moves.append(
                (Status.APPROVED, Status.EXPIRED, expired_at, None, "Protection period ended.")
            )
        elif status in DealRegistration.DECIDED:
            last = min(self.today - timedelta(days=1), protected_until)
            first = min(decided_at.date() + timedelta(days=1), last)
            closed_on = first + timedelta(days=rng.randint(0, max(0, min((last - first).days, 85))))
            registration.closed_on = closed_on
            registration.expected_close_date = closed_on + timedelta(days=rng.randint(-20, 20))
            registration.stage = (
                rng.choice([Stage.NEGOTIATION, Stage.COMMIT]) if status == Status.WON else registration.stage
            )
            if status == Status.WON:
                won_for = round(float(registration.amount) * rng.uniform(0.8, 1.15) / 10) * 10
                registration.closed_amount = Decimal(won_for).quantize(Decimal("0.01"))
                registration.closed_amount_reporting = to_reporting(
                    registration.closed_amount, registration.currency, tenant=self.tenant
                )
            closed_at = timezone.make_aware(datetime.combine(closed_on, time(16, rng.randint(0, 59))))
            draft.moves.append(
                (Status.APPROVED, status, min(closed_at, self.now - timedelta(minutes=1)), manager, "")
            )

    def _is_open(self, draft: _Draft) -> bool:
        reg = draft.registration
        if reg.status == Status.APPROVED:
            return reg.protected_until is not None and reg.protected_until >= self.today
        return reg.status == Status.SUBMITTED

    def _open_conflicts(self, portal: _Partner | None) -> None:
        """Open conflicts: a second partner registers an account that another partner holds open."""
        candidates = [d for d in self.drafts if self._is_open(d)]
        self.rng.shuffle(candidates)
        if portal is not None:  # the portal partner is flagged second in one (it learns no name)
            candidates.sort(key=lambda d: d.registration.partner_id == portal.partner.pk)
        used: set[int] = set()
        for first in candidates:
            account = first.registration.account
            if len(used) >= 5 or account.pk in used:
                continue
            used.add(account.pk)
            if portal is not None and len(used) == 1:
                second = portal
            else:
                second = self._other_partner(first.registration.partner_id, account)
            holders = [
                d
                for d in self.drafts
                if d.registration.account_id == account.pk
                and d.registration.partner_id != second.partner.pk
                and self._is_open(d)
            ]
            variant = self.rng.choice(["fresh", "overdue"])
            sla_hours = self.rules["sla_hours"]
            hours = (
                self.rng.uniform(1, sla_hours - 6)
                if variant == "fresh"
                else self.rng.uniform(sla_hours + 2, 150)
            )
            # After the registration it conflicts with (halfway to now when that one is very recent).
            earliest = first.registration.submitted_at + min(
                timedelta(hours=2), (self.now - first.registration.submitted_at) / 2
            )
            submitted_at = max(self.now - timedelta(hours=hours), earliest)
            draft = self._draft(second, Status.SUBMITTED, variant, account=account, submitted_at=submitted_at)
            draft.conflicts_with += holders

    def _other_partner(self, partner_id: int, account: Account) -> _Partner:
        others = [p for p in self.profiles if p.partner.pk != partner_id]
        near = [p for p in others if account in p.territory]
        return self.rng.choice(near or others)

    def _resolved_conflicts(self) -> None:
        """History: conflicts resolved by approving one registration and rejecting the other."""
        closed = [
            d for d in self.drafts if d.registration.status in (Status.WON, Status.LOST, Status.EXPIRED)
        ]
        for winner in self.rng.sample(closed, min(5, len(closed))):
            reg = winner.registration
            if reg.decided_at is None:
                continue
            submitted_at = reg.submitted_at + (reg.decided_at - reg.submitted_at) * self.rng.uniform(0.2, 0.8)
            loser = self._draft(
                self._other_partner(reg.partner_id, reg.account),
                Status.REJECTED,
                account=reg.account,
                submitted_at=submitted_at,
            )
            loser.registration.decided_at, loser.registration.decided_by = reg.decided_at, reg.decided_by
            loser.registration.decision_reason = CONFLICT_REJECTION
            loser.moves[-1] = (
                Status.SUBMITTED,
                Status.REJECTED,
                reg.decided_at,
                reg.decided_by,
                CONFLICT_REJECTION,
            )
            loser.conflicts_with.append(winner)

    def _vendor_opportunities(self) -> set[int]:
        """A few opportunities of the vendor's own sales team; returns the accounts with open ones.

        One sits on an account a partner has just registered (its registrations are flagged), two
        more are open on accounts no partner holds, and two are closed."""
        rng = self.rng
        held = sorted(
            {d.registration.account_id for d in self.drafts if d.registration.status == Status.SUBMITTED}
        )
        flagged = rng.sample(held, min(1, len(held)))
        quiet = [a.pk for a in self.accounts if a.pk not in self.open_owner] or [
            a.pk for a in self.accounts if a.pk not in held
        ]
        open_ = flagged + rng.sample(quiet, min(2, len(quiet)))
        closed = rng.sample([a.pk for a in self.accounts if a.pk not in open_], 2)
        by_pk = {a.pk: a for a in self.accounts}
        owners = [self.staff["manager"], self.staff["admin"]]
        opportunities = [
            VendorOpportunity(
                account=by_pk[pk],
                name=f"{by_pk[pk].name} – {rng.choice(self.products)} (direct)",
                external_id=f"006{rng.randint(10**11, 10**12 - 1)}",
                is_open=pk in open_,
                owner=rng.choice(owners),
            )
            for pk in open_ + closed
        ]
        VendorOpportunity.objects.bulk_create(opportunities)
        return set(open_)

    # --- writing -------------------------------------------------------------------------------

    def _write(self, vendor_accounts: set[int]) -> None:
        for draft in self.drafts:
            reg = draft.registration
            if draft.conflicts_with:
                reg.has_conflict = True
                for other in draft.conflicts_with:
                    other.registration.has_conflict = True
            if self._is_open(draft) and reg.account_id in vendor_accounts:
                reg.has_conflict = True
        registrations = DealRegistration.objects.bulk_create(
            [d.registration for d in self.drafts], batch_size=500
        )
        for draft in self.drafts:  # backdate: created when submitted, updated at the last move
            draft.registration.created_at = draft.registration.submitted_at
            draft.registration.updated_at = max(
                [m[2] for m in draft.moves]
                + [draft.registration.extension_requested_at or draft.registration.submitted_at]
            )
        DealRegistration.objects.bulk_update(registrations, ["created_at", "updated_at"], batch_size=500)

        changes = []
        for draft in self.drafts:
            for before, after, when, by, reason in draft.moves:
                change = DealStatusChange(
                    registration=draft.registration,
                    from_status=before,
                    to_status=after,
                    reason=reason,
                    changed_by=by,
                )
                change.created_at = when
                changes.append(change)
        stamps = [c.created_at for c in changes]
        changes = DealStatusChange.objects.bulk_create(changes, batch_size=500)
        for change, when in zip(changes, stamps, strict=True):
            change.created_at = change.updated_at = when
        DealStatusChange.objects.bulk_update(changes, ["created_at", "updated_at"], batch_size=500)

        links = []
        for draft in self.drafts:
            for other in draft.conflicts_with:
                links += [
                    DealConflict(registration=draft.registration, other=other.registration, reason="domain"),
                    DealConflict(registration=other.registration, other=draft.registration, reason="domain"),
                ]
        DealConflict.objects.bulk_create(links)

    # --- revenue -------------------------------------------------------------------------------

    def _revenue(self) -> None:
        """Recurring revenue starting with won deals, then moving month by month, plus bookings."""
        rng = self.rng
        health = {p.partner.pk: p.health for p in self.profiles}
        first_month = _month(self.today, -23)
        this_month = _month(self.today, 0)
        records: list[RevenueRecord] = []
        won = [d.registration for d in self.drafts if d.registration.status == Status.WON]
        for reg in sorted(won, key=lambda r: (r.closed_on, r.pk)):
            if reg.closed_on is None or reg.closed_amount is None or _month(reg.closed_on, 0) < first_month:
                continue
            start = _month(reg.closed_on, 0)
            if rng.random() < 0.88:
                records += self._subscription(
                    reg.account,
                    reg.partner,
                    reg.currency,
                    reg.closed_amount,
                    start,
                    this_month,
                    health[reg.partner_id],
                    registration=reg,
                )
            if rng.random() < 0.35:  # implementation services booked with the deal
                records.append(
                    self._record(
                        reg.account,
                        reg.partner,
                        start,
                        Kind.NEW,
                        (reg.closed_amount * Decimal("0.15")).quantize(Decimal("1")),
                        reg.currency,
                        recurring=False,
                        reference=f"SOW-{reg.pk:05d}",
                    )
                )
        for profile in self.profiles:  # the installed base the partner brought before this window
            for account in rng.sample(
                profile.territory, rng.randint(2, 4) if profile.strategic else rng.randint(0, 2)
            ):
                start = _month(self.today, -rng.randint(13, 23))
                records += self._subscription(
                    account,
                    profile.partner,
                    profile.currency,
                    self._amount(profile),
                    start,
                    this_month,
                    profile.health,
                )
        for account in rng.sample(self.accounts, 8):  # some customers buy directly
            start = _month(self.today, -rng.randint(6, 23))
            amount = Decimal(round(rng.lognormvariate(log(45_000), 0.5), -2))
            records += self._subscription(
                account, None, self.tenant.currency, amount, start, this_month, "steady"
            )
        RevenueRecord.objects.bulk_create(records, batch_size=500)

    def _subscription(self, account, partner, currency, amount, start, until, health, registration=None):
        rng = self.rng
        expand, contract, churn = HEALTH[health]
        arr = Decimal(amount)
        records = [
            self._record(
                account,
                partner,
                start,
                Kind.NEW,
                arr,
                currency,
                registration=registration,
                reference=f"Registration {registration.pk}" if registration else "",
            )
        ]
        month, age = start, 0
        while True:
            month, age = _month(month, 1), age + 1
            if month > until:
                break
            if age % 12 == 0:  # the anniversary: churn, or renew (sometimes with a change)
                if rng.random() < churn:
                    records.append(self._record(account, partner, month, Kind.CHURN, arr, currency))
                    break
                records.append(self._record(account, partner, month, Kind.RENEWAL, arr, currency))
                continue
            if rng.random() < expand:
                step = (arr * Decimal(str(rng.uniform(0.05, 0.25)))).quantize(Decimal("1"))
                arr += step
                records.append(self._record(account, partner, month, Kind.EXPANSION, step, currency))
            elif rng.random() < contract:
                step = (arr * Decimal(str(rng.uniform(0.05, 0.25)))).quantize(Decimal("1"))
                arr -= step
                records.append(self._record(account, partner, month, Kind.CONTRACTION, step, currency))
        return records

    def _record(
        self,
        account,
        partner,
        period,
        kind,
        amount,
        currency,
        *,
        recurring=True,
        registration=None,
        reference="",
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
            amount_reporting=to_reporting(amount, currency, tenant=self.tenant),
            registration=registration,
            reference=reference or f"INV-{period:%Y%m}-{account.pk:04d}-{self.rng.randint(100, 999)}",
        )


def _month(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
