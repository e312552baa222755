"""End-customer accounts, deal registrations, vendor opportunities and revenue records.

Amounts are Decimal with their ISO currency, and stored a second time in the tenant's
reporting currency (``*_reporting``), which is what metrics add up.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField

from partners.models import Partner
from partners.vocab import Segment, Vertical
from prm.constraints import check, unique
from prm.domains import normalize_domain, validate_domain
from prm.models import TenantManager, TenantOwnedModel, TenantQuerySet, actor_key_field, currency_validator
from prm.tenancy import require_current_tenant

_LEGAL_SUFFIXES = re.compile(
    r"\b(inc|incorporated|llc|ltd|limited|gmbh|ag|sa|sas|srl|bv|nv|plc|corp|corporation|co|company|ab|as|oy)\b"
)


class RolledUpQuerySet(TenantQuerySet):
    """Bulk writes of registrations and revenue records keep ``PipelineQuarterTotal`` current,
    in the same transaction (through ``ROLLUP_HOOKS``, which ``pipeline.rollup`` fills at start-up,
    so this module does not import it)."""

    def update(self, **kwargs: Any) -> int:
        rollup = ROLLUP_HOOKS
        if not rollup.touches_totals(self.model, kwargs):
            return super().update(**kwargs)
        rows = list(self.values_list("pk", *rollup.FACTS[self.model]))
        count = super().update(**kwargs)
        pks = [row[0] for row in rows]
        after = rollup.stored_facts(self.model, pks)
        _refresh_current(self.model, [row[1:] for row in rows] + after)
        return count

    def bulk_update(self, objs: Iterable[Any], fields: Any, batch_size: int | None = None) -> int:
        rollup = ROLLUP_HOOKS
        objs = list(objs)
        if not rollup.touches_totals(self.model, fields):
            return super().bulk_update(objs, fields, batch_size=batch_size)
        before = rollup.stored_facts(self.model, [obj.pk for obj in objs])
        count = super().bulk_update(objs, fields, batch_size=batch_size)
        _refresh_current(self.model, before + rollup.facts_of(self.model, objs))
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        rollup = ROLLUP_HOOKS
        before = list(self.values_list(*rollup.FACTS[self.model]))
        result = super().delete()
        _refresh_current(self.model, before)
        return result


def _refresh_current(model: type, facts: list[Any]) -> None:
    ROLLUP_HOOKS.refresh(require_current_tenant().pk, model, facts)


class _Hooks:
    """What the rollup module provides to the managers (set by ``pipeline.rollup.connect``)."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("pipeline.rollup is not connected (PipelineConfig.ready connects it).")


ROLLUP_HOOKS: Any = _Hooks()


class RolledUpManager(TenantManager.from_queryset(RolledUpQuerySet)):  # type: ignore[misc]
    """The scoped manager of registrations and revenue records (see ``RolledUpQuerySet``)."""

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        rollup = ROLLUP_HOOKS
        created = super().bulk_create(objs, *args, **kwargs)
        _refresh_current(self.model, rollup.facts_of(self.model, created))
        return created


def normalize_name(name: str) -> str:
    """Company names compared loosely: "ACME, Inc." and "Acme" are the same account."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    text = _LEGAL_SUFFIXES.sub(" ", text)
    return " ".join(text.split())


class Account(TenantOwnedModel):
    """An end customer. Duplicates are merged into one; the merged one stays, pointing at it."""

    name = models.CharField(max_length=200)
    normalized_name = models.CharField(max_length=200, editable=False)
    domain = models.CharField(max_length=253, blank=True, validators=[validate_domain])
    country = CountryField(blank=True)
    segment = models.CharField(max_length=20, choices=Segment.choices, blank=True)
    industry = models.CharField(max_length=40, choices=Vertical.choices, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_accounts"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            unique(
                "account_domain_unique",
                ["tenant", "domain"],
                "Another account has this domain.",
                field="domain",
                condition=~Q(domain=""),
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "normalized_name"]),
            models.Index(fields=["tenant", "merged_into"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.domain})" if self.domain else self.name

    def save(self, *args, **kwargs) -> None:
        self.domain = normalize_domain(self.domain)
        self.normalized_name = normalize_name(self.name)
        super().save(*args, **kwargs)


class DealRegistration(TenantOwnedModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WON = "won", "Won"
        LOST = "lost", "Lost"
        EXPIRED = "expired", "Expired"

    OPEN = frozenset({Status.SUBMITTED, Status.APPROVED})
    DECIDED = frozenset({Status.WON, Status.LOST})

    class Role(models.TextChoices):
        SOURCED = "sourced", "Sourced (we brought the opportunity)"
        INFLUENCED = "influenced", "Influenced (we help win it)"

    class Stage(models.TextChoices):
        QUALIFICATION = "qualification", "Qualification"
        DISCOVERY = "discovery", "Discovery"
        PROPOSAL = "proposal", "Proposal"
        NEGOTIATION = "negotiation", "Negotiation"
        COMMIT = "commit", "Commit"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="registrations")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="registrations")
    opportunity_name = models.CharField(max_length=200)
    products = models.CharField("products / solution", max_length=300)
    amount = models.DecimalField(
        "estimated amount", max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(max_length=3, validators=[currency_validator])
    amount_reporting = models.DecimalField(max_digits=14, decimal_places=2, editable=False)
    expected_close_date = models.DateField()
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.QUALIFICATION)
    customer_contact_name = models.CharField("contact at the customer", max_length=200, blank=True)
    customer_contact_email = models.EmailField("contact's e-mail", blank=True)
    partner_role = models.CharField(max_length=12, choices=Role.choices, default=Role.SOURCED)
    notes = models.TextField(blank=True)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_by_key = actor_key_field()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by_key = actor_key_field()
    decision_reason = models.TextField(blank=True)
    protected_until = models.DateField(null=True, blank=True, help_text="End of the deal protection period.")
    protection_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Days of protection granted on approval (before any extension)."
    )
    protection_source = models.CharField(
        max_length=80,
        blank=True,
        help_text="Where the protection term came from: “tier <name>” or “program default”.",
    )
    extension_requested_at = models.DateTimeField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    extensions = models.PositiveSmallIntegerField(default=0)
    closed_on = models.DateField(null=True, blank=True)
    original_closed_on = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="The close date given, when it fell in a closed quarter and the close was booked "
        "as an adjustment in the first open quarter (``closed_on``).",
    )
    adjustment_reason = models.TextField(
        blank=True, editable=False, help_text="Why a close dated in a closed quarter came late."
    )
    closed_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    closed_amount_reporting = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, editable=False
    )
    sales_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    has_conflict = models.BooleanField(default=False)
    sla_escalated_at = models.DateTimeField(null=True, blank=True)

    # Redeclared together so ``all_tenants`` stays the default manager (Django's internals).
    all_tenants = models.Manager()  # type: ignore[misc]
    objects = RolledUpManager()  # type: ignore[misc]  # keeps PipelineQuarterTotal current on bulk writes

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            # The desk's queue: a status tab in its order is one index range read in order, no
            # sort (pending: conflicts first, oldest first; other statuses: newest first, read
            # backwards), whatever the number of deals.
            models.Index(
                fields=["tenant", "status", "-has_conflict", "submitted_at", "id"], name="deal_queue_pending"
            ),
            models.Index(fields=["tenant", "status", "submitted_at", "id"], name="deal_queue_by_status"),
            models.Index(fields=["tenant", "partner", "status"]),
            models.Index(fields=["tenant", "account", "status"]),
            models.Index(fields=["tenant", "status", "protected_until"]),
            # Covering indexes for the catalog's pipeline metrics over all partners (reporting):
            # a period's rows are one range, read without visiting the table.
            models.Index(
                fields=["tenant", "submitted_at"],
                include=["partner", "partner_role", "status", "amount_reporting", "id"],
                name="deal_submitted_metrics",
            ),
            models.Index(
                fields=["tenant", "closed_on"],
                include=["partner", "status", "closed_amount_reporting", "id"],
                condition=Q(closed_on__isnull=False),
                name="deal_closed_metrics",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_name} · {self.account.name}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class DealConflict(TenantOwnedModel):
    """Two open registrations that claim the same account. Stored both ways, one row each."""

    registration = models.ForeignKey(
        DealRegistration, on_delete=models.CASCADE, related_name="conflict_links"
    )
    other = models.ForeignKey(DealRegistration, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(
        max_length=20,
        choices=[("domain", "Same domain"), ("name", "Same company name"), ("vendor", "Vendor opportunity")],
    )

    class Meta:
        constraints = [
            unique(
                "deal_conflict_unique",
                ["tenant", "registration", "other"],
                "This conflict is recorded already.",
                field="other",
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} ↔ {self.other_id}"


class DealStatusChange(TenantOwnedModel):
    """One move of a registration through its status machine, with who and why."""

    registration = models.ForeignKey(
        DealRegistration, on_delete=models.PROTECT, related_name="status_changes"
    )
    from_status = models.CharField(max_length=12, choices=DealRegistration.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=DealRegistration.Status.choices)
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_by_key = actor_key_field()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class VendorOpportunity(TenantOwnedModel):
    """An opportunity the vendor's own sales team works (synced from the CRM by API)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="vendor_opportunities")
    name = models.CharField(max_length=200)
    external_id = models.CharField(max_length=100, blank=True)
    is_open = models.BooleanField(default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["tenant", "account", "is_open"])]

    def __str__(self) -> str:
        return self.name


class RevenueRecord(TenantOwnedModel):
    """Revenue of one account in one month, attributed to a partner (or to none: direct).

    ``recurring`` records move ARR: new and expansion add, contraction and churn subtract,
    renewal keeps it. One-time records are bookings (services, licences) outside ARR.
    ``amount`` is always positive; the kind says which way ARR moves.
    """

    class Kind(models.TextChoices):
        NEW = "new", "New"
        EXPANSION = "expansion", "Expansion"
        CONTRACTION = "contraction", "Contraction"
        CHURN = "churn", "Churn"
        RENEWAL = "renewal", "Renewal"

    ARR_SIGN = {Kind.NEW: 1, Kind.EXPANSION: 1, Kind.CONTRACTION: -1, Kind.CHURN: -1, Kind.RENEWAL: 0}
    BOOKING_KINDS = frozenset({Kind.NEW, Kind.EXPANSION, Kind.RENEWAL})

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="revenue_records")
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="revenue_records"
    )
    period = models.DateField(help_text="The month, as its first day.")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    recurring = models.BooleanField(default=True, help_text="ARR (recurring) or a one-time booking.")
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, validators=[currency_validator])
    amount_reporting = models.DecimalField(max_digits=14, decimal_places=2, editable=False)
    registration = models.ForeignKey(
        DealRegistration, on_delete=models.PROTECT, null=True, blank=True, related_name="revenue_records"
    )
    reference = models.CharField(max_length=100, blank=True, help_text="Invoice or contract reference.")
    original_period = models.DateField(
        null=True,
        blank=True,
        help_text="The month given, when it fell in a closed quarter and the record was booked as an "
        "adjustment in the first open quarter (``period``).",
    )
    adjustment_reason = models.TextField(
        blank=True, help_text="Why a record dated in a closed quarter came late (adjustments only)."
    )

    # Redeclared together so ``all_tenants`` stays the default manager (Django's internals).
    all_tenants = models.Manager()  # type: ignore[misc]
    objects = RolledUpManager()  # type: ignore[misc]  # keeps PipelineQuarterTotal current on bulk writes

    class Meta:
        ordering = ["-period", "account__name"]
        indexes = [
            models.Index(fields=["tenant", "partner", "period"]),
            models.Index(fields=["tenant", "account", "period"]),
            models.Index(
                fields=["tenant", "period"],
                include=["partner", "kind", "recurring", "amount_reporting", "account"],
                name="revenue_period_metrics",
            ),
        ]
        constraints = [
            check(
                "revenue_period_is_first_of_month",
                Q(period__day=1),
                "The period is a month: give its first day.",
                field="period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.period:%Y-%m} {self.get_kind_display()} {self.amount} {self.currency}"

    def save(self, *args, **kwargs) -> None:
        if isinstance(self.period, date):
            self.period = self.period.replace(day=1)
        super().save(*args, **kwargs)


class RevenueImport(TenantOwnedModel):
    """One CSV file of revenue records: its text, the preview of every row, and the result.

    Previewed on upload (synchronously: revenue rows are simple); applied once on request, in
    ``all_or_nothing`` mode (any invalid row refuses the file) or ``valid_only`` mode.
    ``row_results`` keeps at most a few hundred rows (errors first); ``counts`` covers all.
    """

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", "All rows or none"
        VALID_ONLY = "valid_only", "Only the valid rows"

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Ready to apply"
        APPLIED = "applied", "Applied"

    filename = models.CharField(max_length=255)
    content = models.TextField(help_text="The uploaded CSV, decoded.")
    mode = models.CharField(max_length=20, choices=Mode.choices, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PREVIEWED)
    counts = models.JSONField(default=dict, blank=True)
    row_results = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by_key = actor_key_field()
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.filename


class PipelineQuarterTotal(TenantOwnedModel):
    """Per partner and fiscal quarter of the tenant, the sums and counts the additive pipeline
    and revenue metrics are made of (``pipeline.rollup``): the catalog reads thousands of these
    instead of millions of registrations and records. Maintained in the transaction of every
    write to a registration or a revenue record, rebuilt by ``manage.py rebuild_rollups``.

    ``quarter_start`` is the first day of the tenant's fiscal quarter (its fiscal year start
    month, as recorded in ``PipelineRollupState``); submissions count by their date in the time
    zone recorded there, closes by ``closed_on``, revenue by its month.
    """

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    quarter_start = models.DateField()
    sourced_amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    sourced_count = models.IntegerField(default=0)
    influenced_amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    influenced_count = models.IntegerField(default=0)
    won_count = models.IntegerField(default=0)
    won_amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    lost_count = models.IntegerField(default=0)
    revenue_amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    revenue_count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            unique(
                "pipeline_quarter_total_unique",
                ["tenant", "partner", "quarter_start"],
                "This partner's quarter is rolled up already.",
            )
        ]
        indexes = [models.Index(fields=["tenant", "quarter_start"], name="quarter_total_by_quarter")]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.quarter_start}"


class PipelineRollupState(TenantOwnedModel):
    """What the tenant's ``PipelineQuarterTotal`` rows were built for. The rollup serves reads
    only while the tenant's fiscal year start month and the time zone are the recorded ones;
    otherwise metrics read the base tables until it is rebuilt."""

    fiscal_year_start_month = models.PositiveSmallIntegerField()
    time_zone = models.CharField(max_length=64)
    built_at = models.DateTimeField()

    class Meta:
        constraints = [unique("pipeline_rollup_state_unique", ["tenant"], "The tenant has a rollup state.")]

    def __str__(self) -> str:
        return f"rollup of tenant {self.tenant_id} ({self.fiscal_year_start_month}, {self.time_zone})"
