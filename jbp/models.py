"""Joint business plans: one per partner per fiscal year, with targets, investments, co-marketing
activities, comments, signed versions, quarterly reviews with action items, and PDF exports.

A plan moves draft → shared → partner approved → active → closed (``Plan.Status``); the
services in ``jbp.services`` hold the rules of each step. Amounts are Decimal in the tenant's
reporting currency (a plan is a commitment between two companies in one currency).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from partners.models import Contact, Partner
from prm.constraints import unique
from prm.models import TenantOwnedModel, actor_key_field

QUARTER_VALIDATORS = [MinValueValidator(1), MaxValueValidator(4)]


class Side(models.TextChoices):
    VENDOR = "vendor", "Vendor"
    PARTNER = "partner", "Partner"


class Plan(TenantOwnedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SHARED = "shared", "Shared with partner"
        PARTNER_APPROVED = "partner_approved", "Approved by partner"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"
        SUPERSEDED = "superseded", "Superseded"

    # A partner has at most one plan per fiscal year that is not closed or superseded.
    OPEN = frozenset({Status.DRAFT, Status.SHARED, Status.PARTNER_APPROVED, Status.ACTIVE})
    # Signed: the partner approved and the vendor executive signed.
    SIGNED = frozenset({Status.ACTIVE, Status.CLOSED})
    # The vendor may edit without an amendment while the plan is not yet signed.
    EDITABLE = frozenset({Status.DRAFT, Status.SHARED, Status.PARTNER_APPROVED})

    class Cadence(models.TextChoices):
        QUARTERLY = "quarterly", "Quarterly"
        MONTHLY = "monthly", "Monthly"
        HALF_YEARLY = "half_yearly", "Every six months"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="plans")
    fiscal_year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    title = models.CharField(max_length=200)
    summary = models.TextField("summary", blank=True)
    objectives = models.TextField("objectives", blank=True, help_text="One objective per line.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=0, help_text="Signed version number; 0 until signed.")

    vendor_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="vendor plan owner",
    )
    vendor_sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="vendor executive sponsor",
    )
    partner_owner = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="partner plan owner",
    )
    partner_sponsor = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="partner executive sponsor",
    )
    review_cadence = models.CharField(max_length=12, choices=Cadence.choices, default=Cadence.QUARTERLY)
    next_review_on = models.DateField("next review", null=True, blank=True)
    review_reminded_for = models.DateField(null=True, blank=True, editable=False)

    shared_at = models.DateTimeField(null=True, blank=True)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    shared_by_key = actor_key_field()
    partner_approved_at = models.DateTimeField(null=True, blank=True)
    partner_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    partner_approved_by_name = models.CharField(max_length=200, blank=True, editable=False)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_by_key = actor_key_field()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-fiscal_year", "partner__name"]
        constraints = [
            unique(
                "plan_one_open_per_partner_year",
                ["tenant", "partner", "fiscal_year"],
                "The partner has an open plan for this fiscal year already.",
                field="fiscal_year",
                condition=Q(status__in=["draft", "shared", "partner_approved", "active"]),
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "fiscal_year", "status"]),
            models.Index(fields=["tenant", "partner", "fiscal_year"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_signed(self) -> bool:
        return self.status in self.SIGNED

    @property
    def objective_list(self) -> list[str]:
        return [line.strip(" -•\t") for line in self.objectives.splitlines() if line.strip(" -•\t")]


class Target(TenantOwnedModel):
    """A number the partner commits to for a quarter (or the whole year), on a catalog metric."""

    class Kind(models.TextChoices):
        REVENUE = "revenue", "Revenue commitment"
        PIPELINE = "pipeline", "Pipeline target"
        OTHER = "other", "Other target"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    metric_key = models.CharField("metric", max_length=60)
    quarter = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=QUARTER_VALIDATORS, help_text="Empty for the whole fiscal year."
    )
    value = models.DecimalField("target", max_digits=16, decimal_places=4)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "metric_key", "quarter", "pk"]
        constraints = [
            unique(
                "target_one_per_metric_quarter",
                ["tenant", "plan", "metric_key", "quarter"],
                "The plan already has a target on this metric for this quarter.",
                field="quarter",
            )
        ]

    def __str__(self) -> str:
        when = f"Q{self.quarter}" if self.quarter else "full year"
        return f"{self.get_kind_display()}: {self.metric_key} {when}"


class Investment(TenantOwnedModel):
    """What one side puts into the partnership: money, people, enablement, coverage."""

    class Kind(models.TextChoices):
        MDF = "mdf", "MDF commitment"
        HEADCOUNT = "headcount", "Dedicated headcount"
        ENABLEMENT = "enablement", "Enablement and training"
        TECHNICAL = "technical", "Technical resources"
        CO_SELL = "co_sell", "Co-sell coverage"
        MARKETING = "marketing", "Marketing spend"
        OTHER = "other", "Other"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="investments")
    side = models.CharField(max_length=8, choices=Side.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    description = models.CharField(max_length=200)
    quarter = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=QUARTER_VALIDATORS, help_text="Empty for the whole fiscal year."
    )
    amount = models.DecimalField(
        "committed amount",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    quantity = models.DecimalField(
        max_digits=8,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="People, seats or days, when not money.",
    )
    delivered_amount = models.DecimalField(
        "delivered so far",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    delivered_note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["side", "kind", "quarter", "pk"]

    def __str__(self) -> str:
        return f"{self.get_side_display()} {self.get_kind_display().lower()}: {self.description}"


class Activity(TenantOwnedModel):
    """A co-marketing activity of the plan."""

    class Type(models.TextChoices):
        WEBINAR = "webinar", "Webinar"
        EVENT = "event", "Event"
        CAMPAIGN = "campaign", "Campaign"
        CONTENT = "content", "Content"
        TRAINING = "training", "Training"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="activities")
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=10, choices=Type.choices)
    quarter = models.PositiveSmallIntegerField(validators=QUARTER_VALIDATORS)
    budget = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    owner_side = models.CharField(max_length=8, choices=Side.choices, default=Side.PARTNER)
    owner_name = models.CharField("owner", max_length=120)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)

    class Meta:
        ordering = ["quarter", "name", "pk"]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return self.name


class Comment(TenantOwnedModel):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author_label = models.CharField(max_length=200)
    side = models.CharField(max_length=8, choices=Side.choices)
    body = models.TextField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author_label}: {self.body[:40]}"


class PlanVersion(TenantOwnedModel):
    """A frozen copy of the plan's content: version 1 at sign-off, one more per amendment."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    change_summary = models.TextField()
    content = models.JSONField(help_text="Flat mapping of readable field names to values.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by_label = models.CharField(max_length=200)

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [
            unique(
                "plan_version_unique",
                ["tenant", "plan", "number"],
                "This plan version exists already.",
                field="number",
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"


class Review(TenantOwnedModel):
    """A quarterly business review of the plan, with the attainment frozen as it was that day."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reviews")
    quarter = models.PositiveSmallIntegerField(validators=QUARTER_VALIDATORS)
    held_on = models.DateField("date")
    vendor_attendees = models.TextField("vendor attendees", help_text="One per line.")
    partner_attendees = models.TextField("partner attendees", help_text="One per line.")
    snapshot = models.JSONField(default=list, editable=False)
    notes = models.TextField(blank=True)
    decisions = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by_key = actor_key_field()

    class Meta:
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"FY{self.plan.fiscal_year}-Q{self.quarter} review of {self.plan}"


class ActionItem(TenantOwnedModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="action_items")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="action_items")
    title = models.CharField(max_length=200)
    owner_side = models.CharField(max_length=8, choices=Side.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The person reminded by e-mail; empty: the side's plan owner.",
    )
    owner_name = models.CharField("owner", max_length=120)
    due_on = models.DateField("due")
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["status", "due_on", "pk"]
        indexes = [models.Index(fields=["tenant", "status", "due_on"])]

    def __str__(self) -> str:
        return self.title


class PlanExport(TenantOwnedModel):
    """A PDF of the plan, rendered in the background."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Rendering"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_by_label = models.CharField(max_length=200)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    file = models.FileField(upload_to="plan-exports/%Y/%m/", blank=True)
    pages = models.PositiveSmallIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"PDF of {self.plan} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
