"""Partner companies and what the program knows about them.

A partner has one row of identity and program data, many classification values (types,
motions, regions, verticals, segments) in ``PartnerAttribute``, contacts, certifications,
internal notes and a status history. Nothing is deleted: partners, contacts and
certifications are archived.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_countries.fields import CountryField

from prm.constraints import check, unique
from prm.domains import normalize_domain, validate_domain
from prm.models import TenantOwnedModel, actor_key_field

from .vocab import (
    AgreementType,
    Classification,
    CompanySize,
    ContactRole,
    Motion,
    PartnerType,
    Region,
    Segment,
    Vertical,
)

LOGO_MAX_BYTES = 1024 * 1024


def validate_logo(file) -> None:
    if file and file.size > LOGO_MAX_BYTES:
        raise ValidationError("The logo must be 1 MB or smaller.")


class Tier(TenantOwnedModel):
    """A program tier. Its classification is what makes a partner strategic or tactical.

    A tier is a name, a rank (1 is the top), a classification, the benefits it brings (the
    standard terms: MDF and rebate eligibility, deal protection days) and its entry rules: a
    minimum score and optional requirements. A partner qualifies for the best-ranked tier whose
    rules it meets (``tiering.scoring.recommend``).
    """

    name = models.CharField(max_length=60)
    rank = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(99)])
    classification = models.CharField(max_length=10, choices=Classification.choices)
    benefits = models.TextField(blank=True, help_text="What partners of this tier receive, in words.")
    mdf_eligible = models.BooleanField("MDF eligible", default=False)
    rebate_eligible = models.BooleanField(default=False)
    deal_protection_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=None,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text="How long an approved registration is protected, in days; "
        "leave empty to use the program's protection period.",
    )
    min_score = models.DecimalField(
        "minimum score",
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Score (0–100) a partner needs to qualify.",
    )
    min_active_certifications = models.PositiveSmallIntegerField(
        "minimum active certifications", null=True, blank=True, help_text="Leave empty for no requirement."
    )
    min_revenue_ttm = models.DecimalField(
        "minimum trailing-twelve-month revenue",
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="In the reporting currency; leave empty for no requirement.",
    )
    requires_signed_jbp = models.BooleanField(
        "requires a signed joint business plan", default=False, help_text="For strategic tiers."
    )

    class Meta:
        ordering = ["rank"]
        constraints = [
            unique("tier_name_unique", ["tenant", "name"], "Another tier has this name.", field="name"),
            unique(
                "tier_rank_unique",
                ["tenant", "rank"],
                "Another tier has this rank: give each tier its own.",
                field="rank",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Partner(TenantOwnedModel):
    class Status(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        ONBOARDING = "onboarding", "Onboarding"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        EXITED = "exited", "Exited"

    # Which lifecycle moves are allowed, from → to.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.PROSPECT: frozenset({Status.ONBOARDING, Status.EXITED}),
        Status.ONBOARDING: frozenset({Status.ACTIVE, Status.SUSPENDED, Status.EXITED}),
        Status.ACTIVE: frozenset({Status.SUSPENDED, Status.EXITED}),
        Status.SUSPENDED: frozenset({Status.ACTIVE, Status.EXITED}),
        Status.EXITED: frozenset({Status.PROSPECT, Status.ONBOARDING}),
    }

    # identity
    name = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=200, blank=True)
    website = models.URLField(blank=True)
    domain = models.CharField(
        "primary e-mail domain",
        max_length=253,
        blank=True,
        validators=[validate_domain],
        help_text="e.g. northwind.example — how contacts, imports and deals are matched to the partner.",
    )
    country = CountryField(blank=True, help_text="Headquarters.")
    company_size = models.CharField(max_length=10, choices=CompanySize.choices, blank=True)
    description = models.TextField(blank=True)
    logo = models.ImageField(upload_to="partner-logos/%Y/", blank=True, validators=[validate_logo])

    # program
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROSPECT)
    status_changed_at = models.DateTimeField(default=timezone.now)
    join_date = models.DateField(null=True, blank=True)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="partners")
    partner_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    vendor_sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="vendor executive sponsor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    partner_sponsor = models.ForeignKey(
        "Contact",
        verbose_name="partner executive sponsor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    agreement_type = models.CharField(
        max_length=10, choices=AgreementType.choices, default=AgreementType.STANDARD
    )
    agreement_start = models.DateField(null=True, blank=True)
    agreement_end = models.DateField(null=True, blank=True)

    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    archived_by_key = actor_key_field()

    class Meta:
        swappable = "PRM_PARTNER_MODEL"  # the core's memberships, keys and invitations point here
        ordering = ["name"]
        constraints = [
            unique(
                "partner_domain_unique",
                ["tenant", "domain"],
                "Another partner has this domain.",
                field="domain",
                condition=~Q(domain=""),
            ),
            check(
                "partner_agreement_dates_in_order",
                Q(agreement_end__isnull=True)
                | Q(agreement_start__isnull=True)
                | Q(agreement_end__gte=models.F("agreement_start")),
                "The agreement must end on or after the day it starts.",
                field="agreement_end",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "name"]),
            models.Index(fields=["tenant", "status"]),
            models.Index(fields=["tenant", "tier"]),
            models.Index(fields=["tenant", "partner_manager"]),
            models.Index(fields=["tenant", "country"]),
            models.Index(fields=["tenant", "archived_at"]),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.domain = normalize_domain(self.domain)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.domain = normalize_domain(self.domain)
        if self.agreement_start and self.agreement_end and self.agreement_end < self.agreement_start:
            raise ValidationError({"agreement_end": "The agreement cannot end before it starts."})
        sponsor = self.partner_sponsor if self.partner_sponsor_id is not None else None
        if sponsor is not None and (self.pk is None or sponsor.partner_id != self.pk):
            raise ValidationError({"partner_sponsor": "Choose one of this partner's own contacts."})

    @property
    def classification(self) -> str | None:
        """Strategic or tactical, as implied by the tier (None without a tier)."""
        return self.tier.classification if self.tier is not None else None

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, frozenset())

    def values_of(self, kind: str) -> list[str]:
        """The partner's values of one attribute kind (uses prefetched attributes when present)."""
        return sorted(a.value for a in self.attributes.all() if a.kind == kind)

    def labels_of(self, kind: str) -> list[str]:
        return [a.label for a in sorted(self.attributes.all(), key=lambda a: a.value) if a.kind == kind]


class PartnerAttribute(TenantOwnedModel):
    """One classification value of a partner: a type, motion, region, vertical or segment.

    Stored as rows (not a list in a column) so every directory filter is an indexed lookup
    on the same portable table, on SQLite and PostgreSQL alike.
    """

    class Kind(models.TextChoices):
        TYPE = "type", "Partner type"
        MOTION = "motion", "Motion"
        REGION = "region", "Region"
        VERTICAL = "vertical", "Vertical"
        SEGMENT = "segment", "Customer segment"

    VOCABULARIES: dict[str, type[models.TextChoices]] = {
        Kind.TYPE: PartnerType,
        Kind.MOTION: Motion,
        Kind.REGION: Region,
        Kind.VERTICAL: Vertical,
        Kind.SEGMENT: Segment,
    }

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="attributes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=40)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            unique(
                "partner_attribute_unique",
                ["tenant", "partner", "kind", "value"],
                "The partner has this value already.",
                field="value",
            )
        ]
        indexes = [models.Index(fields=["tenant", "kind", "value", "partner"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"

    @property
    def label(self) -> str:
        vocabulary = self.VOCABULARIES[self.kind]
        return dict(vocabulary.choices).get(self.value, self.value)


class PartnerStatusChange(TenantOwnedModel):
    """One lifecycle move of a partner, with the reason given."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Partner.Status.choices)
    to_status = models.CharField(max_length=20, choices=Partner.Status.choices)
    reason = models.TextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_by_key = actor_key_field()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "partner", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.partner}: {self.from_status} → {self.to_status}"


class Contact(TenantOwnedModel):
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField("e-mail address")
    phone = models.CharField(max_length=40, blank=True)
    title = models.CharField("job title", max_length=120, blank=True)
    role = models.CharField(max_length=20, choices=ContactRole.choices, default=ContactRole.PRIMARY)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="portal user",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            unique(
                "contact_email_unique_per_partner",
                ["tenant", "partner", "email"],
                "This partner has a contact with this e-mail address already.",
                field="email",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "partner", "archived_at"]),
            models.Index(fields=["tenant", "email"]),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class Certification(TenantOwnedModel):
    """A certification held by a person at the partner or by the company. Expired ones stay."""

    class Holder(models.TextChoices):
        PERSON = "person", "Person"
        COMPANY = "company", "Company"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="certifications")
    name = models.CharField(max_length=200)
    level = models.CharField(max_length=60, blank=True, help_text="e.g. Associate, Professional, Expert.")
    holder = models.CharField(max_length=10, choices=Holder.choices, default=Holder.COMPANY)
    contact = models.ForeignKey(
        Contact,
        verbose_name="person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certifications",
    )
    earned_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True, help_text="Leave empty if it never expires.")
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-earned_on", "name"]
        indexes = [
            models.Index(fields=["tenant", "partner"]),
            models.Index(fields=["tenant", "expires_on"]),
        ]
        constraints = [
            check(
                "certification_expires_after_earned",
                Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("earned_on")),
                "A certification expires on or after the day it was earned.",
                field="expires_on",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.level})" if self.level else self.name

    def clean(self) -> None:
        errors = {}
        if self.holder == self.Holder.PERSON and self.contact_id is None:
            errors["contact"] = "Name the person who holds this certification."
        if self.holder == self.Holder.COMPANY and self.contact_id is not None:
            errors["contact"] = "A company certification is not held by one person."
        if self.contact is not None and self.contact.partner_id != self.partner_id:
            errors["contact"] = "Choose a contact of this partner."
        if self.expires_on and self.earned_on and self.expires_on < self.earned_on:
            errors["expires_on"] = "A certification cannot expire before it was earned."
        if errors:
            raise ValidationError(errors)

    def is_expired_on(self, day: date) -> bool:
        return self.expires_on is not None and self.expires_on < day

    @property
    def is_expired(self) -> bool:
        return self.is_expired_on(timezone.localdate())


class PartnerNote(TenantOwnedModel):
    """An internal note by vendor staff; partners never see notes."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "partner", "-created_at"])]

    def __str__(self) -> str:
        return self.body[:60]


def import_upload_to(instance: ImportJob, filename: str) -> str:
    """Uploaded import files live under ``imports/<tenant id>/``, under a random name."""
    return f"imports/{instance.tenant_id}/{uuid.uuid4().hex}.csv"


class ImportJob(TenantOwnedModel):
    """One CSV import of partners or contacts: the uploaded file, its preview and its result.

    The file is validated in a background task (status ``previewed`` with per-row results), then
    applied on request (``done``, or ``failed`` with nothing changed in all-or-nothing mode).
    ``row_results`` keeps at most a few hundred rows (every error first); ``counts`` keeps all.
    """

    class Kind(models.TextChoices):
        PARTNERS = "partners", "Partners"
        CONTACTS = "contacts", "Contacts"

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", "All rows or none"
        VALID_ROWS_ONLY = "valid_rows_only", "Valid rows only"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        VALIDATING = "validating", "Checking rows"
        PREVIEWED = "previewed", "Ready to apply"
        APPLYING = "applying", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    RUNNING = frozenset({Status.QUEUED, Status.VALIDATING, Status.APPLYING})

    kind = models.CharField(max_length=10, choices=Kind.choices)
    file = models.FileField(upload_to=import_upload_to, max_length=200)
    original_filename = models.CharField(max_length=255)
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.ALL_OR_NOTHING)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    counts = models.JSONField(
        default=dict, blank=True, help_text="Preview: rows to create, update, leave, refuse."
    )
    applied_counts = models.JSONField(default=dict, blank=True, help_text="Result: rows created, updated, …")
    row_results = models.JSONField(default=list, blank=True)
    error_message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by_key = actor_key_field()
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    applied_by_key = actor_key_field()
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import of {self.original_filename}"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def noun(self) -> str:
        """What one row is: "partner" or "contact"."""
        return "partner" if self.kind == self.Kind.PARTNERS else "contact"

    @property
    def error_rows(self) -> list[dict]:
        return [r for r in self.row_results if r.get("action") == "error"]

    @property
    def other_rows(self) -> list[dict]:
        return [r for r in self.row_results if r.get("action") != "error"]
