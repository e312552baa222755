"""Tiering: portfolio settings, scorecard versions and criteria, manual ratings, score runs and
snapshots, tier change proposals, the tier history, balance alerts and annual portfolio reviews.

The tables keep the names they had when tiering lived inside ``partners``. Scores are 0–100 with two
decimals; a snapshot keeps the scorecard version it was computed with, so history stays
comparable after the weights change.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from partners.models import Partner, Tier
from prm.constraints import unique
from prm.models import TenantOwnedModel, actor_key_field
from prm.periods import FiscalPeriod, parse_period
from prm.tenancy import require_current_tenant


class TieringSettings(TenantOwnedModel):
    """The tenant's portfolio rules (one row per tenant, created with defaults on first use)."""

    strategic_cap = models.PositiveSmallIntegerField(
        "strategic partner cap",
        default=10,
        validators=[MinValueValidator(1)],
        help_text="Promotions beyond this many strategic partners need an admin's written override.",
    )
    concentration_share = models.DecimalField(
        "concentration alert share",
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.350"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1"))],
        help_text="Alert when one strategic partner holds more than this share of partner-sourced revenue (0.35 = 35 %).",
    )
    tactical_auto_apply = models.BooleanField(
        "apply tactical tier changes automatically",
        default=False,
        help_text="Moves between tactical tiers are applied after each run (recorded in the history); "
        "anything touching a strategic tier always waits for approval.",
    )
    show_rating_comments_in_portal = models.BooleanField(
        "show manual-rating comments in the portal", default=False
    )

    class Meta:
        db_table = "partners_tieringsettings"  # created by partners before tiering was an app
        verbose_name_plural = "tiering settings"
        constraints = [
            unique(
                "tiering_settings_one_per_tenant",
                ["tenant"],
                "The program has its tiering settings already: change them instead.",
            )
        ]

    def __str__(self) -> str:
        return "Tiering settings"


class Scorecard(TenantOwnedModel):
    """One version of the tenant's weighted criteria. Exactly one version is active."""

    version = models.PositiveIntegerField()
    is_active = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True, help_text="Why this version was made.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by_key = actor_key_field()

    class Meta:
        db_table = "partners_scorecard"  # created by partners before tiering was an app
        ordering = ["-version"]
        constraints = [
            unique(
                "scorecard_version_unique",
                ["tenant", "version"],
                "This scorecard version exists already.",
                field="version",
            ),
            unique(
                "scorecard_one_active",
                ["tenant"],
                "Another scorecard version is active: only one is at a time.",
                field="is_active",
                condition=Q(is_active=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Scorecard v{self.version}"


class Criterion(TenantOwnedModel):
    """A weighted criterion of a scorecard version: computed from a catalog metric or rated 1–5."""

    class Kind(models.TextChoices):
        COMPUTED = "computed", "Computed from a metric"
        MANUAL = "manual", "Manual rating (1–5)"

    class Normalisation(models.TextChoices):
        TARGET = "target", "Against a target"
        PERCENTILE = "percentile", "Percentile rank in the tenant"

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(
        max_length=40, help_text="Stable name; manual ratings are kept per key across versions."
    )
    label = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    metric_key = models.CharField(max_length=60, blank=True)
    normalisation = models.CharField(max_length=10, choices=Normalisation.choices, blank=True)
    target = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    weight = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(100)])
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "partners_criterion"  # created by partners before tiering was an app
        ordering = ["position", "pk"]
        constraints = [
            unique(
                "criterion_key_unique",
                ["tenant", "scorecard", "key"],
                "The scorecard has this criterion already.",
                field="key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.weight})"


class ManualRating(TenantOwnedModel):
    """A manager's current 1–5 rating of a partner on one manual criterion key, with a comment."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="manual_ratings")
    key = models.SlugField(max_length=40)
    value = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rated_by_key = actor_key_field()

    class Meta:
        db_table = "partners_manualrating"  # created by partners before tiering was an app
        ordering = ["key"]
        constraints = [
            unique(
                "manual_rating_unique",
                ["tenant", "partner", "key"],
                "The partner has a rating on this criterion already.",
                field="key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.key} = {self.value}"


class ScoreRun(TenantOwnedModel):
    """One recalculation of every scored partner of the tenant, on one day (re-runs replace it)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    run_on = models.DateField()
    period_label = models.CharField(max_length=12)
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="runs", null=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    proposals_opened = models.PositiveIntegerField(default=0)
    changes_applied = models.PositiveIntegerField(default=0)
    error_message = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_by_key = actor_key_field()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "partners_scorerun"  # created by partners before tiering was an app
        ordering = ["-run_on", "-pk"]
        constraints = [
            unique(
                "score_run_one_per_day",
                ["tenant", "run_on"],
                "Scores were calculated for this day already.",
                field="run_on",
            )
        ]

    def __str__(self) -> str:
        return f"Score run of {self.run_on}"

    @property
    def percent(self) -> int:
        return (
            100
            if self.status == self.Status.DONE
            else (self.processed * 100 // self.total if self.total else 0)
        )

    @property
    def is_running(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}


class ScoreSnapshot(TenantOwnedModel):
    """A partner's score on one run day, with the breakdown per criterion and the recommendation.

    ``breakdown`` is a list of ``{key, label, kind, raw, normalised, weight, contribution}`` (raw
    as a string or None; normalised 0–100 and contribution as strings with two decimals).
    ``rules`` lists the recommended tier's and the next tier's rules, each met or missed.
    """

    run = models.ForeignKey(ScoreRun, on_delete=models.PROTECT, related_name="snapshots")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="score_snapshots")
    run_on = models.DateField()
    period_label = models.CharField(
        max_length=12,
        blank=True,
        help_text="The fiscal quarter the score measures (FY2027-Q2): the last one finished before the run.",
    )
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(max_digits=5, decimal_places=2)
    breakdown = models.JSONField(default=list)
    tier_at_run = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recommended_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rules = models.JSONField(default=list)

    class Meta:
        db_table = "partners_scoresnapshot"  # created by partners before tiering was an app
        ordering = ["-run_on"]
        constraints = [
            unique(
                "score_snapshot_one_per_day",
                ["tenant", "partner", "run_on"],
                "The partner was scored on this day already.",
                field="run_on",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "run_on"]),
            models.Index(fields=["tenant", "partner", "-run_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.score} on {self.run_on}"

    @property
    def period(self) -> FiscalPeriod | None:
        """The scored period with its dates (None for a snapshot stored without one)."""
        if not self.period_label:
            return None
        return parse_period(self.period_label, require_current_tenant().fiscal_year_start_month)


class TierChangeProposal(TenantOwnedModel):
    """A proposed move of a partner to another tier, from a run or a manager, decided by an admin
    or executive. Never applied without a decision, except tactical moves under auto-apply."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        SUPERSEDED = "superseded", "Superseded"
        WITHDRAWN = "withdrawn", "Withdrawn (its reason no longer holds)"

    class Direction(models.TextChoices):
        PROMOTION = "promotion", "Promotion"
        DEMOTION = "demotion", "Demotion"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="tier_proposals")
    from_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    explanation = models.JSONField(
        default=dict, help_text="Score, what moved since the last run, rules met or missed."
    )
    snapshot = models.ForeignKey(
        ScoreSnapshot, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_by_key = actor_key_field()
    reason = models.TextField(blank=True, help_text="Why a manager proposes this move.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by_key = actor_key_field()
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    cap_override_reason = models.TextField(blank=True)

    class Meta:
        db_table = "partners_tierchangeproposal"  # created by partners before tiering was an app
        ordering = ["-created_at", "-pk"]
        constraints = [
            unique(
                "tier_proposal_one_pending",
                ["tenant", "partner"],
                "This partner has a tier change waiting for a decision already.",
                field="partner",
                condition=Q(status="pending"),
            )
        ]
        indexes = [models.Index(fields=["tenant", "status"])]

    def __str__(self) -> str:
        return f"{self.partner}: {self.from_tier or 'no tier'} → {self.to_tier}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def is_manual(self) -> bool:
        """A manager proposed it (a person or an API key), not the recalculation."""
        return self.proposed_by_id is not None or self.proposed_by_key_id is not None


class TierChange(TenantOwnedModel):
    """One change of a partner's tier: the history, never rewritten."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="tier_changes")
    from_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    changed_at = models.DateTimeField()
    reason = models.TextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_by_key = actor_key_field()
    proposal = models.ForeignKey(
        TierChangeProposal, on_delete=models.PROTECT, null=True, blank=True, related_name="changes"
    )

    class Meta:
        db_table = "partners_tierchange"  # created by partners before tiering was an app
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["tenant", "changed_at"]), models.Index(fields=["tenant", "partner"])]

    def __str__(self) -> str:
        return f"{self.partner}: {self.from_tier or 'no tier'} → {self.to_tier or 'no tier'}"


class BalanceAlert(TenantOwnedModel):
    """A portfolio balance warning, open until a later run no longer finds the condition."""

    class Kind(models.TextChoices):
        CONCENTRATION = "concentration", "Revenue concentration"
        BELOW_MINIMUM = "below_minimum", "Below tier minimum for two runs"

    kind = models.CharField(max_length=15, choices=Kind.choices)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="balance_alerts")
    opened_on = models.DateField()
    resolved_on = models.DateField(null=True, blank=True)
    message = models.TextField()
    share = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)

    class Meta:
        db_table = "partners_balancealert"  # created by partners before tiering was an app
        ordering = ["resolved_on", "-opened_on", "pk"]
        constraints = [
            unique(
                "balance_alert_one_open",
                ["tenant", "kind", "partner"],
                "This alert is open already.",
                field="kind",
                condition=Q(resolved_on__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.message


class PortfolioReview(TenantOwnedModel):
    """The annual refresh of the portfolio for one fiscal year: decisions, then a summary."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    fiscal_year = models.CharField(max_length=6, help_text="e.g. FY2027")
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_by_key = actor_key_field()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_by_key = actor_key_field()
    closed_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(blank=True)

    class Meta:
        db_table = "partners_portfolioreview"  # created by partners before tiering was an app
        ordering = ["-fiscal_year"]
        constraints = [
            unique(
                "portfolio_review_one_per_year",
                ["tenant", "fiscal_year"],
                "The review of this fiscal year exists already.",
                field="fiscal_year",
            )
        ]

    def __str__(self) -> str:
        return f"Portfolio review {self.fiscal_year}"


class ReviewDecision(TenantOwnedModel):
    class Decision(models.TextChoices):
        KEEP = "keep", "Keep"
        PROMOTE = "promote", "Promote to strategic"
        MOVE_TO_TACTICAL = "move_to_tactical", "Move to tactical"

    review = models.ForeignKey(PortfolioReview, on_delete=models.PROTECT, related_name="decisions")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by_key = actor_key_field()

    class Meta:
        db_table = "partners_reviewdecision"  # created by partners before tiering was an app
        ordering = ["partner__name"]
        constraints = [
            unique(
                "review_decision_one_per_partner",
                ["tenant", "review", "partner"],
                "The review has a decision on this partner already.",
                field="partner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.get_decision_display()}"
