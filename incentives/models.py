"""Money the vendor owes partners: MDF (funds → allocations → requests → claims → payouts) and
rebate programs (rate tables → accruals → statements).

The MDF ledger is kept in columns on the fund and on each allocation, changed only by
``incentives.services`` under row locks, and backed by check constraints so that, per fund and
per partner, budget ≥ allocated ≥ committed ≥ claimed ≥ paid ≥ 0 holds in the database itself.

- *allocated*: what the fund hands each partner (sum of allocations);
- *committed*: approved fund requests not yet settled (approved amount), plus settled claims;
- *claimed*: claims finance approved (what the vendor owes);
- *paid*: payouts recorded against approved claims.

Amounts are Decimal in the fund's (or program's) currency, which is the tenant's reporting
currency: a fund is one pot of money, never mixed.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from partners.models import Partner, Tier
from pipeline.models import DealRegistration
from prm.constraints import check, unique
from prm.models import TenantOwnedModel, actor_key_field, currency_validator

ZERO = Decimal("0.00")


def _money(verbose_name: str = "", **kwargs) -> models.DecimalField:
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(
        verbose_name or None, max_digits=14, decimal_places=2, validators=[MinValueValidator(ZERO)], **kwargs
    )


class Fund(TenantOwnedModel):
    """An MDF budget for one fiscal period."""

    name = models.CharField(max_length=120)
    period = models.CharField("fiscal period", max_length=10, help_text="FY2026 or FY2026-Q3.")
    starts_on = models.DateField(editable=False)
    ends_on = models.DateField(editable=False)
    budget = _money("budget")
    currency = models.CharField(max_length=3, validators=[currency_validator])
    claim_deadline = models.DateField(
        help_text="Claims must be submitted by this day; unclaimed approvals then expire."
    )
    eligible_tiers = models.ManyToManyField(Tier, through="FundTier", related_name="+", blank=True)
    tier_amounts = models.JSONField(
        default=dict, blank=True, help_text="Programmatic allocation rule: tier id → amount per partner."
    )
    allocated = _money(editable=False)
    committed = _money(editable=False)
    claimed = _money(editable=False)
    paid = _money(editable=False)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            unique(
                "fund_name_period_unique",
                ["tenant", "name", "period"],
                "A fund with this name exists for this period already.",
                field="name",
            ),
            check(
                "fund_budget_covers_allocated",
                Q(budget__gte=F("allocated")),
                "The budget cannot be less than what is allocated from it.",
                field="budget",
            ),
            check(
                "fund_allocated_covers_committed",
                Q(allocated__gte=F("committed")),
                "The fund cannot allocate less than what is committed from it.",
                field="allocated",
            ),
            check(
                "fund_committed_covers_claimed",
                Q(committed__gte=F("claimed")),
                "The fund cannot commit less than what is claimed from it.",
                field="committed",
            ),
            check(
                "fund_claimed_covers_paid",
                Q(claimed__gte=F("paid")),
                "The fund cannot pay more than what is claimed from it.",
                field="claimed",
            ),
            check(
                "fund_paid_not_negative",
                Q(paid__gte=0),
                "What the fund paid cannot be negative.",
                field="paid",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "starts_on"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.period})"

    @property
    def unallocated(self) -> Decimal:
        return self.budget - self.allocated


class FundTier(TenantOwnedModel):
    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="tier_links")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            unique(
                "fund_tier_unique",
                ["tenant", "fund", "tier"],
                "The fund lists this tier already.",
                field="tier",
            )
        ]

    def __str__(self) -> str:
        return f"{self.fund_id}:{self.tier_id}"


class Allocation(TenantOwnedModel):
    """One partner's share of a fund, with its own ledger."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Set by a manager"
        TIER_RULE = "tier_rule", "Tier rule"
        JBP = "jbp", "Joint business plan commitment"

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="allocations")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="mdf_allocations")
    allocated = _money("amount")
    committed = _money(editable=False)
    claimed = _money(editable=False)
    paid = _money(editable=False)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["fund", "partner__name"]
        constraints = [
            unique(
                "allocation_fund_partner_unique",
                ["tenant", "fund", "partner"],
                "The partner has an allocation from this fund already.",
                field="partner",
            ),
            check(
                "allocation_covers_committed",
                Q(allocated__gte=F("committed")),
                "The allocation cannot be less than what the partner has committed from it.",
                field="allocated",
            ),
            check(
                "allocation_committed_covers_claimed",
                Q(committed__gte=F("claimed")),
                "The allocation cannot commit less than what is claimed from it.",
                field="committed",
            ),
            check(
                "allocation_claimed_covers_paid",
                Q(claimed__gte=F("paid")),
                "The allocation cannot pay more than what is claimed from it.",
                field="claimed",
            ),
            check(
                "allocation_paid_not_negative",
                Q(paid__gte=0),
                "What the allocation paid cannot be negative.",
                field="paid",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "partner"])]

    def __str__(self) -> str:
        return f"{self.partner} · {self.fund}"

    @property
    def available(self) -> Decimal:
        return self.allocated - self.committed


class ActivityType(models.TextChoices):
    EVENT = "event", "Event"
    WEBINAR = "webinar", "Webinar"
    DIGITAL = "digital", "Digital campaign"
    CONTENT = "content", "Content"
    TRAINING = "training", "Training"
    TRADE_SHOW = "trade_show", "Trade show"
    OTHER = "other", "Other"


class FundRequest(TenantOwnedModel):
    """A partner's request for MDF for one activity, decided by a partner manager."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for a decision"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired (not claimed in time)"
        SETTLED = "settled", "Claim approved"

    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="requests")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="mdf_requests")
    activity_type = models.CharField(max_length=12, choices=ActivityType.choices)
    title = models.CharField(max_length=200)
    description = models.TextField()
    starts_on = models.DateField("activity starts")
    ends_on = models.DateField("activity ends")
    requested_amount = _money("requested amount")
    expected_leads = models.PositiveIntegerField(default=0)
    expected_pipeline = _money("expected pipeline")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    approved_amount = _money("approved amount")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_by_key = actor_key_field()
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by_key = actor_key_field()
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "status", "submitted_at"]),
            models.Index(fields=["tenant", "partner", "status"]),
        ]
        constraints = [
            check(
                "fund_request_dates_in_order",
                Q(ends_on__gte=F("starts_on")),
                "The activity must end on or after the start date.",
                field="ends_on",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def claim(self) -> Claim | None:
        """The request's one claim (resubmissions reuse it); prefetch ``claims`` in lists."""
        claims = list(self.claims.all())
        return claims[0] if claims else None


class Claim(TenantOwnedModel):
    """What an approved activity actually cost and achieved, with proof; decided by finance."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for finance"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected (may be resubmitted)"
        PAID = "paid", "Paid"

    request = models.ForeignKey(FundRequest, on_delete=models.PROTECT, related_name="claims")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="mdf_claims")
    actual_cost = _money("actual cost")
    amount = _money("amount claimed", help_text="At most the approved amount of the request.")
    leads = models.PositiveIntegerField("leads generated", default=0)
    pipeline_sourced = _money("pipeline sourced")
    registrations = models.ManyToManyField(
        DealRegistration, through="ClaimRegistration", related_name="+", blank=True
    )
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_by_key = actor_key_field()
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by_key = actor_key_field()
    decided_at = models.DateTimeField(null=True, blank=True)
    approved_amount = _money("approved amount")
    rejection_reason = models.TextField(blank=True)
    paid_amount = _money("paid", editable=False)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "status", "submitted_at"]),
            models.Index(fields=["tenant", "partner"]),
        ]
        constraints = [
            check(
                "claim_never_paid_twice",
                Q(approved_amount__gte=F("paid_amount")),
                "A claim is never paid beyond its approved amount.",
                field="paid_amount",
            ),
            unique(
                "claim_one_per_request",
                ["tenant", "request"],
                "This request has a claim already.",
                field="request",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim for {self.request}"

    @property
    def outstanding(self) -> Decimal:
        return self.approved_amount - self.paid_amount


class ClaimRegistration(TenantOwnedModel):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="registration_links")
    registration = models.ForeignKey(DealRegistration, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            unique(
                "claim_registration_unique",
                ["tenant", "claim", "registration"],
                "The claim links this deal registration already.",
                field="registration",
            )
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}:{self.registration_id}"


def proof_upload_to(instance: ProofDocument, filename: str) -> str:
    return f"mdf-proof/{instance.tenant_id}/{instance.claim_id}/{filename}"


class ProofDocument(TenantOwnedModel):
    """A proof of performance file (invoice, photo, report) in media storage."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=proof_upload_to, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_by_key = actor_key_field()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Payout(TenantOwnedModel):
    """Money sent for an approved claim (one claim may be paid in parts, never beyond its amount)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="payouts")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="mdf_payouts")
    amount = _money("amount")
    reference = models.CharField(
        max_length=100, help_text="Payment reference in the accounts-payable system."
    )
    paid_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by_key = actor_key_field()

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [
            unique(
                "payout_reference_unique",
                ["tenant", "reference"],
                "This payment reference is recorded already.",
                field="reference",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"


# --- rebates -----------------------------------------------------------------------------------


class RebateProgram(TenantOwnedModel):
    """A rebate per fiscal period on a catalog metric, by a tiered rate table."""

    class Method(models.TextChoices):
        RETROACTIVE = "retroactive", "Retroactive (whole volume at the reached rate)"
        MARGINAL = "marginal", "Marginal (each band at its own rate)"

    name = models.CharField(max_length=120)
    period = models.CharField("fiscal period", max_length=10)
    starts_on = models.DateField(editable=False)
    ends_on = models.DateField(editable=False)
    basis_metric = models.CharField(max_length=60, help_text="Key of a money metric of the catalog.")
    method = models.CharField(max_length=12, choices=Method.choices, default=Method.RETROACTIVE)
    currency = models.CharField(max_length=3, validators=[currency_validator])
    eligible_tiers = models.ManyToManyField(Tier, through="RebateProgramTier", related_name="+", blank=True)
    accelerator_rate = models.DecimalField(
        "accelerator (percentage points)",
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    accelerator_attainment = models.DecimalField(
        "accelerator from JBP attainment",
        max_digits=6,
        decimal_places=4,
        default=Decimal("1.0000"),
        help_text="The plan's revenue attainment that earns the accelerator (1.0 = 100 %).",
    )
    cap = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Most a partner can earn in the period.",
    )

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            unique(
                "rebate_program_name_period_unique",
                ["tenant", "name", "period"],
                "A rebate program with this name exists for this period already.",
                field="name",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.period})"


class RebateProgramTier(TenantOwnedModel):
    program = models.ForeignKey(RebateProgram, on_delete=models.CASCADE, related_name="tier_links")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            unique(
                "rebate_tier_unique",
                ["tenant", "program", "tier"],
                "The program lists this tier already.",
                field="tier",
            )
        ]

    def __str__(self) -> str:
        return f"{self.program_id}:{self.tier_id}"


class RebateBand(TenantOwnedModel):
    """From ``threshold`` of basis upward, ``rate`` percent (until the next band's threshold)."""

    program = models.ForeignKey(RebateProgram, on_delete=models.CASCADE, related_name="bands")
    threshold = _money("from")
    rate = models.DecimalField("rate (%)", max_digits=6, decimal_places=3, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["program", "threshold"]
        constraints = [
            unique(
                "rebate_band_threshold_unique",
                ["tenant", "program", "threshold"],
                "Two bands have this threshold: give each band its own.",
                field="threshold",
            )
        ]

    def __str__(self) -> str:
        return f"≥ {self.threshold}: {self.rate} %"


class RebateAccrual(TenantOwnedModel):
    """A partner's rebate to date in a program, with every line explained, and the forecast."""

    program = models.ForeignKey(RebateProgram, on_delete=models.CASCADE, related_name="accruals")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="rebate_accruals")
    as_of = models.DateField()
    basis = _money("basis")
    amount = _money("accrued")
    lines = models.JSONField(default=list, blank=True)
    accelerated = models.BooleanField(default=False)
    capped = models.BooleanField(default=False)
    forecast_basis = _money("forecast basis")
    forecast_amount = _money("forecast")

    class Meta:
        ordering = ["program", "partner__name"]
        constraints = [
            unique(
                "rebate_accrual_unique",
                ["tenant", "program", "partner"],
                "The partner has an accrual in this program already.",
                field="partner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner} · {self.program}: {self.amount}"


class RebateStatement(TenantOwnedModel):
    """The rebate a partner earned in a closed period: approved by finance, then paid."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Waiting for finance"
        APPROVED = "approved", "Approved"
        PAID = "paid", "Paid"

    program = models.ForeignKey(RebateProgram, on_delete=models.PROTECT, related_name="statements")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="rebate_statements")
    basis = _money("basis")
    amount = _money("rebate")
    lines = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by_key = actor_key_field()
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_reference = models.CharField(max_length=100, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    paid_amount = _money("paid")

    class Meta:
        ordering = ["program", "partner__name"]
        constraints = [
            unique(
                "rebate_statement_unique",
                ["tenant", "program", "partner"],
                "The partner has a statement for this program already.",
                field="partner",
            ),
            check(
                "rebate_statement_not_overpaid",
                Q(amount__gte=F("paid_amount")),
                "A statement is never paid beyond its amount.",
                field="paid_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} · {self.partner}"
