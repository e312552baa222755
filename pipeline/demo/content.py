"""What the demo pipeline contains: the end customers, products, people and texts it uses, and the
proportions, windows and behaviours its registrations and revenue follow. Data only; the other
modules of ``pipeline.demo`` turn it into rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from partners.vocab import PartnerType, Segment, Vertical

from ..models import DealRegistration

Status = DealRegistration.Status

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


# NRR must differ by partner: at least two partners of each kind, whatever the dice said
# (index into the active partners by primary key, negative from the end).
FORCED_HEALTH: tuple[tuple[int, str], ...] = (
    (0, "growing"),
    (1, "growing"),
    (-1, "leaky"),
    (-2, "leaky"),
    (-3, "leaky"),
)
# Chance that a partner with a local currency the tenant has a rate for registers in it.
LOCAL_CURRENCY_SHARE = 0.8
# Health of a partner's customers, as weights over HEALTH's keys: strategic partners keep theirs.
HEALTH_WEIGHTS = {True: [6, 3, 1], False: [2, 4, 3]}
# Accounts in a partner's territory: (fewest, most), strategic or not.
TERRITORY_SIZE = {True: (6, 9), False: (3, 6)}

# Status weights of a registration: submitted, approved, rejected, expired, decided (won or lost,
# by the partner's win rate); strategic partners are rejected and let deals expire less often.
STATUS_CHOICES: list[str] = [Status.SUBMITTED, Status.APPROVED, Status.REJECTED, Status.EXPIRED, "decided"]
STATUS_WEIGHTS = {True: [5, 10, 7, 11, 52], False: [5, 10, 14, 18, 52]}
# Where a submitted or approved registration stands, with weights.
SUBMITTED_VARIANTS = (["fresh", "overdue", "stale"], [3, 5, 1])
APPROVED_VARIANTS = (["protected", "lapsed", "extended", "extension_requested"], [14, 3, 3, 2])
OPEN_VARIANTS = ("protected", "extended", "extension_requested")
# The demo portal partner has registrations in every status, so the portal shows all.
PORTAL_DRAFTS: list[tuple[str, str]] = [
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
]


@dataclass(frozen=True)
class DaysAgo:
    """A bound of a submission window in days before now, from zero or from the protection period."""

    days: int
    after_protection: bool = False

    def resolve(self, protection_days: int) -> int:
        return self.days + (protection_days if self.after_protection else 0)


# When approved registrations were submitted, by variant: (at least, at most) days ago.
APPROVED_SUBMITTED: dict[str, tuple[DaysAgo, DaysAgo]] = {
    "protected": (DaysAgo(3), DaysAgo(-8, after_protection=True)),
    "lapsed": (DaysAgo(8, after_protection=True), DaysAgo(35, after_protection=True)),
    "extended": (DaysAgo(10, after_protection=True), DaysAgo(70, after_protection=True)),
    "extension_requested": (DaysAgo(-25, after_protection=True), DaysAgo(-12, after_protection=True)),
}
# Decided registrations were submitted at least this long ago (and within the eight quarters).
DECIDED_SUBMITTED_FROM: dict[str, DaysAgo] = {
    str(Status.EXPIRED): DaysAgo(8, after_protection=True),
    str(Status.REJECTED): DaysAgo(4),
}
DECIDED_SUBMITTED_FROM_DEFAULT = DaysAgo(14)
EXTENSION_REASON = "The customer moved the board approval to next quarter; we need more time."
ON_BEHALF_NOTE = "Registered by the partner manager on the partner's behalf."
ON_BEHALF_SHARE = 0.12  # of registrations by partners without a login, entered by the manager
SALES_REP_SHARE = 0.4  # of approved and won registrations with a vendor sales rep named
EXPIRY_REASON = "Protection period ended."

OPEN_CONFLICTS = 5  # open conflicts waiting for a decision
RESOLVED_CONFLICTS = 5  # conflicts in history, resolved for one partner
VENDOR_OPEN_QUIET = 2  # open vendor opportunities on accounts no partner holds
VENDOR_CLOSED = 2

# Revenue: the share of won deals that become a subscription and that book services with it.
SUBSCRIBED_SHARE = 0.88
SERVICES_SHARE = 0.35
SERVICES_FRACTION = Decimal("0.15")  # of the deal's closed amount
REVENUE_MONTHS = 24  # two years of monthly records, this month included
# The installed base a partner brought before the window: (fewest, most) accounts, strategic or
# not, each subscribed this many months ago (most recent, oldest).
INSTALLED_BASE = {True: (2, 4), False: (0, 2)}
INSTALLED_BASE_AGE = (13, 23)
# Some customers buy directly: how many, since how many months, typical yearly amount.
DIRECT_CUSTOMERS = 8
DIRECT_AGE = (6, 23)
DIRECT_ARR = 45_000
