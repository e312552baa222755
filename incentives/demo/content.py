"""What the demo incentives contain: the quarterly MDF fund and its allocations, which requests
each partner makes and how far each goes through the workflow, the activities, amounts and texts
of requests and claims, and the rebate program. Amounts are rules of the request's position,
dates offsets in days. Data only; ``incentives.demo`` turns it into rows through the services."""

from __future__ import annotations

from decimal import Decimal

from ..proof import blank_pdf

PORTAL_PARTNER_DOMAIN = "northwindsystems.example"
PARTNER_COUNT = 12  # the active partners (by primary key) that get allocations, the portal's among them

FUND_NAME = "Field marketing"
FUND_BUDGET = "150000"
CLAIM_DEADLINE_DAYS = 45  # after the fund's quarter ends
# Quarters that ended longer ago than this, and future ones, get allocations only.
ACTIVE_QUARTER_DAYS = 120
# Allocations: the featured (portal) partner's, the next partners' by position, everybody else's.
FEATURED_ALLOCATION = "30000"
LARGE_ALLOCATION, LARGE_ALLOCATION_COUNT = "15000", 4
SMALL_ALLOCATION = "8000"

# How far a request goes, as the workflow steps after its submission.
WORKFLOW: dict[str, list[str]] = {
    "submitted": [],
    "rejected": ["reject"],
    "approved": ["approve"],
    "claimed": ["approve", "claim"],
    "claim_rejected": ["approve", "claim", "reject_claim"],
    "paid": ["approve", "claim", "approve_claim", "pay"],
}
# This quarter: the featured partner has a request in every status; the next four partners one
# each. Last quarter: paid requests of the featured and three more partners, and an approval of
# the featured partner's that expires unclaimed.
EVERY_STATUS = ["submitted", "approved", "rejected", "claimed", "claim_rejected", "paid"]
OTHERS_THIS_QUARTER = ["submitted", "approved", "claimed", "paid"]
LAST_QUARTER_PAID = 4  # the featured partner and three more
LAST_QUARTER_UNCLAIMED_INDEX = 5

# Activities of requests, by the request's position: (type, title, description).
ACTIVITIES = [
    ("event", "Customer roundtable", "Half-day roundtable with 20 IT leaders in our office."),
    ("webinar", "Migration webinar", "Live webinar on migrating to the platform, with a demo."),
    ("digital", "LinkedIn campaign", "Six-week paid social campaign to mid-market CIOs."),
    ("content", "Customer case study", "Written and video case study of a joint customer."),
    ("training", "Sales enablement day", "Training for our 15 sellers on the new release."),
    ("trade_show", "Regional trade show booth", "Shared booth at the regional cloud expo."),
    ("event", "Partner summit dinner", "Dinner for prospects after the partner summit."),
    ("webinar", "Security webinar", "Webinar on compliance features for finance customers."),
]


def requested_amount(index: int) -> Decimal:
    """A request's amount by its position: 1,500 to 3,500 in steps of 500."""
    return Decimal(1500 + 500 * (index % 5))


REQUEST_STARTS_DAYS_AGO = 20  # plus the request's position, within the fund's quarter
REQUEST_REJECTION = "Outside this quarter's focus on the mid-market."
CLAIM_EXTRA_COST = 120  # the actual cost exceeds the claimed amount by this much
CLAIM_NOTES = "Attendee list and invoice attached."
CLAIM_REJECTION = "The invoice is addressed to another company; attach yours."
DEMO_PDF = blank_pdf()  # a real one-page PDF: proof files are read, not only sniffed
FIRST_REFERENCE = 1000  # payout and rebate payment references count up from here

REBATE_NAME = "Resale rebate"
REBATE_BANDS = [
    {"threshold": "0", "rate": "1"},
    {"threshold": "50000", "rate": "2"},
    {"threshold": "150000", "rate": "3"},
]
REBATE_BASIS_METRIC = "revenue"
REBATE_METHOD = "marginal"
REBATE_ACCELERATOR_RATE = "1"
REBATE_CAP = "25000"
