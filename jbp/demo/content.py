"""What the demo plans contain: texts, quarterly growth, targets, the investments of both sides,
co-marketing activities, review notes and action items, with amounts as shares of the plan's
quarterly base and dates as offsets in days. Data only; ``jbp.demo`` turns it into plans."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..models import Activity, Investment, Side

PORTAL_PARTNER_DOMAIN = "northwindsystems.example"

SUMMARY = (
    "{partner} and our team grow joint revenue in the mid-market and enterprise segments: "
    "co-sell on named accounts, two joint campaigns per half and a certified delivery bench."
)
OBJECTIVES = (
    "Grow partner-sourced revenue by 15 % year over year\n"
    "Certify six more consultants on the platform\n"
    "Launch a packaged joint offering by Q3\n"
    "Co-sell on 20 named enterprise accounts"
)
NEXT_REVIEW_IN_DAYS = (3, 40)
SHARE_COMMENT = (
    "Draft for your review: the commitments follow last year's run rate plus the growth we discussed."
)
PARTNER_AGREES = "Agreed. We add a second pre-sales engineer from Q2."

# The quarterly base is a quarter of last year's revenue, at least this much.
MIN_QUARTERLY_BASE = Decimal(60000)
# Revenue committed per quarter: the base grown by the quarter's factor and the plan's uplift,
# rounded to 5,000; the pipeline target covers it three times.
QUARTER_GROWTH = [Decimal("0.95"), Decimal("1.05"), Decimal("1.10"), Decimal("1.25")]
COMMITMENT_UPLIFT = Decimal("1.15")
PIPELINE_COVERAGE = 3
# Yearly targets on other metrics: a fixed value, or (lowest, highest) whole number drawn.
OTHER_TARGETS: list[tuple[str, Decimal | tuple[int, int]]] = [
    ("win_rate", Decimal("0.35")),
    ("deals_won_count", (8, 16)),
    ("active_certifications", (6, 10)),
]

# The vendor's MDF commitment: this share of the quarterly base, rounded to 1,000.
MDF_SHARE = Decimal("0.12")


@dataclass(frozen=True)
class InvestmentSpec:
    """An investment of one side: a fixed amount, a share of the plan's MDF commitment (rounded
    to 1,000), or a quantity."""

    side: str
    kind: str
    description: str
    quarter: int | None = None
    amount: Decimal | None = None
    mdf_share: Decimal | None = None
    quantity: Decimal | None = None


INVESTMENTS: list[InvestmentSpec] = [
    InvestmentSpec(
        Side.VENDOR, Investment.Kind.MDF, "Market development funds for joint campaigns", mdf_share=Decimal(1)
    ),
    InvestmentSpec(
        Side.VENDOR, Investment.Kind.HEADCOUNT, "Dedicated partner sales manager", quantity=Decimal("1")
    ),
    InvestmentSpec(
        Side.VENDOR,
        Investment.Kind.ENABLEMENT,
        "Two technical bootcamps and certification vouchers",
        quarter=2,
        amount=Decimal(12000),
    ),
    InvestmentSpec(
        Side.VENDOR, Investment.Kind.CO_SELL, "Co-sell coverage on 20 named accounts", quantity=Decimal("20")
    ),
    InvestmentSpec(
        Side.PARTNER, Investment.Kind.HEADCOUNT, "Certified pre-sales engineers", quantity=Decimal("2")
    ),
    InvestmentSpec(
        Side.PARTNER, Investment.Kind.MARKETING, "Co-funded demand generation", mdf_share=Decimal("0.5")
    ),
]
# Share of an investment's amount delivered so far (drawn).
DELIVERED_SHARES = ["0.2", "0.35", "0.5"]

ACTIVITIES = [
    ("Joint customer webinar", Activity.Type.WEBINAR),
    ("Regional roadshow", Activity.Type.EVENT),
    ("Industry campaign", Activity.Type.CAMPAIGN),
    ("Joint solution brief", Activity.Type.CONTENT),
    ("Sales enablement bootcamp", Activity.Type.TRAINING),
]
ACTIVITY_COUNT = 4  # one per quarter, the first one done; owners alternate partner, vendor
ACTIVITY_BUDGETS = [5000, 8000, 12000, 20000]
PARTNER_ACTIVITY_OWNER = "Partner marketing"  # when the partner has no contact

# Two past reviews, each held early in its quarter (this many days in) about the quarter before.
REVIEW_HELD_DAY = (5, 12)
REVIEW_NOTES = "Pipeline coverage is healthy; conversion in the enterprise segment lags the plan."
REVIEW_DECISIONS = [
    "Start the certification push; agree the named account list.",
    "Focus co-sell on the ten largest named accounts; move the roadshow budget to the industry campaign.",
]
PARTNER_OWNER = "Partner alliance lead"  # when the plan names no partner owner
PARTNER_SPONSOR = "Partner sponsor"
VENDOR_SPONSOR = "Executive sponsor"
# Action items of every review: (title, side, due this many days after the review); the partner's
# are owned by the plan's partner owner, the vendor's by the manager.
ACTION_ITEMS: list[tuple[str, str, int]] = [
    ("Share the named account list with the vendor sales team", Side.PARTNER, 21),
    ("Book the technical bootcamp dates", Side.VENDOR, 30),
]
