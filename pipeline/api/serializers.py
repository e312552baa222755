"""Serializers of the pipeline API: what registrations, accounts, vendor opportunities and revenue
records look like, and what each caller may send.

A partner caller reads its own registrations with the conflict *flag* only: which registrations
conflict (and so which other partner) is for staff, and never appears in a partner's response.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from partners import queries as partner_queries
from partners.models import Partner
from prm.access import TenantAccess
from prm.api import BatchReferenceId, PersonSerializer, ReferenceId, StrictInputMixin, TenantModelSerializer
from prm.metrics import Metric, Unit
from prm.models import User

from ..models import Account, DealRegistration, RevenueRecord, VendorOpportunity
from ..services import REGISTRATION_FIELDS, desk_settings

Status = DealRegistration.Status
CENT = Decimal("0.01")


def _access(serializer: serializers.BaseSerializer) -> TenantAccess | None:
    """The caller, from the serializer context (absent during schema generation)."""
    return serializer.context.get("access")


def registration_context(access: TenantAccess) -> dict[str, Any]:
    """What a registration's SLA fields are computed against: one clock and rule per response."""
    return {"now": timezone.now(), "sla_hours": desk_settings(access.tenant)["sla_hours"]}


# --- reading -----------------------------------------------------------------------------------


class PartnerSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Partner
        fields = ["id", "name"]
        read_only_fields = fields


class AccountSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "name", "domain"]
        read_only_fields = fields


class RegistrationSerializer(TenantModelSerializer):
    """A deal registration as both sides see it. ``conflicting_registration_ids`` is for staff
    only: partner callers get the ``has_conflict`` flag, never who else claims the account."""

    partner = PartnerSummarySerializer(read_only=True)
    account = AccountSummarySerializer(read_only=True)
    sales_rep = PersonSerializer(read_only=True, allow_null=True, help_text="The vendor's co-sell rep.")
    age_hours = serializers.SerializerMethodField(
        help_text="Hours from submission to the decision (to now while it waits)."
    )
    sla_overdue = serializers.SerializerMethodField(
        help_text="Waiting for a decision longer than the program's SLA."
    )
    conflicting_registration_ids = serializers.SerializerMethodField(
        help_text="Staff only: the registrations claiming the same account."
    )

    class Meta:
        model = DealRegistration
        fields = [
            "id",
            "partner",
            "account",
            "opportunity_name",
            "products",
            "amount",
            "currency",
            "amount_reporting",
            "expected_close_date",
            "stage",
            "customer_contact_name",
            "customer_contact_email",
            "partner_role",
            "notes",
            "status",
            "submitted_at",
            "age_hours",
            "sla_overdue",
            "decided_at",
            "decision_reason",
            "protected_until",
            "protection_days",
            "protection_source",
            "extension_requested_at",
            "extension_reason",
            "extensions",
            "closed_on",
            "original_closed_on",
            "adjustment_reason",
            "closed_amount",
            "closed_amount_reporting",
            "sales_rep",
            "has_conflict",
            "conflicting_registration_ids",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    # Left out of partner callers' answers (the schema marks them optional): the vendor's view of
    # conflicts and its finance note.
    staff_only_fields = ("conflicting_registration_ids", "adjustment_reason")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        access = _access(self)
        if access is not None and access.is_partner:
            for name in self.staff_only_fields:
                del self.fields[name]

    def _now(self) -> datetime:
        return self.context.get("now") or timezone.now()

    def get_age_hours(self, registration: DealRegistration) -> int:
        end = (
            self._now()
            if registration.status == Status.SUBMITTED
            else (registration.decided_at or self._now())
        )
        return max(0, int((end - registration.submitted_at).total_seconds() // 3600))

    def get_sla_overdue(self, registration: DealRegistration) -> bool:
        sla_hours = self.context.get("sla_hours", 48)
        return registration.status == Status.SUBMITTED and (
            registration.submitted_at <= self._now() - timedelta(hours=sla_hours)
        )

    def get_conflicting_registration_ids(self, registration: DealRegistration) -> list[int]:
        return sorted(link.other_id for link in registration.conflict_links.all())


class AccountSerializer(TenantModelSerializer):
    country = serializers.CharField(
        source="country.code", read_only=True, help_text="ISO 3166-1 alpha-2, or empty."
    )
    merged_into: serializers.PrimaryKeyRelatedField[Account] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The account this duplicate was merged into."
    )

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "domain",
            "country",
            "segment",
            "industry",
            "merged_into",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class VendorOpportunitySerializer(TenantModelSerializer):
    account = AccountSummarySerializer(read_only=True)
    owner = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = VendorOpportunity
        fields = ["id", "account", "name", "external_id", "is_open", "owner", "created_at", "updated_at"]
        read_only_fields = fields


class RevenueRecordSerializer(TenantModelSerializer):
    account = AccountSummarySerializer(read_only=True)
    partner = PartnerSummarySerializer(
        read_only=True, allow_null=True, help_text="Attribution; null for direct."
    )
    registration: serializers.PrimaryKeyRelatedField[DealRegistration] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )

    class Meta:
        model = RevenueRecord
        fields = [
            "id",
            "account",
            "partner",
            "period",
            "kind",
            "recurring",
            "amount",
            "currency",
            "amount_reporting",
            "registration",
            "reference",
            "original_period",
            "adjustment_reason",
            "created_at",
        ]
        read_only_fields = fields

    staff_only_fields = ("adjustment_reason",)  # the vendor's finance note, not in partners' answers

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        access = _access(self)
        if access is not None and access.is_partner:
            for name in self.staff_only_fields:
                del self.fields[name]


# --- writing: registrations --------------------------------------------------------------------


class RegistrationCreateSerializer(StrictInputMixin, TenantModelSerializer):
    """A new registration. Staff name the partner; a partner caller registers for its own company."""

    partner = ReferenceId(
        Partner,
        required=False,
        help_text="Staff only: the partner the deal is registered for (partners leave it out).",
    )
    account_name = serializers.CharField(max_length=200, help_text="The customer's company name.")
    account_domain = serializers.CharField(
        max_length=253,
        required=False,
        allow_blank=True,
        default="",
        help_text="The customer's web or e-mail domain (a URL is reduced to it).",
    )
    currency = serializers.CharField(
        max_length=3,
        required=False,
        allow_blank=True,
        help_text="ISO 4217; the program's currency when left out.",
    )

    refusals = {"status": "A registration starts submitted; staff decide it with …/approve/ or …/reject/."}

    class Meta:
        model = DealRegistration
        fields = ["partner", "account_name", "account_domain", *REGISTRATION_FIELDS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        access = _access(self)
        if access is not None and access.is_partner:
            del self.fields["partner"]
            self.refusals = {
                **self.refusals,
                "partner": "You register deals for your own company; leave this out.",
            }

    def validate_currency(self, value: str) -> str:
        return value.upper()


class PrecheckSerializer(StrictInputMixin, serializers.Serializer):
    account_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    account_domain = serializers.CharField(max_length=253, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs["account_name"].strip() or attrs["account_domain"].strip()):
            raise serializers.ValidationError({"account_name": ["Give the customer's name or domain."]})
        return attrs


class PrecheckResultSerializer(serializers.Serializer):
    conflict = serializers.BooleanField(help_text="A registration for this customer would be flagged.")
    open_registrations = serializers.IntegerField(help_text="Open registrations by other partners.")
    vendor_opportunity = serializers.BooleanField(
        help_text="The vendor's own sales team works this customer."
    )
    known_account = serializers.BooleanField()


class ReasonSerializer(StrictInputMixin, serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text="Why; the other side reads it.")


class ApproveSerializer(StrictInputMixin, serializers.Serializer):
    reject_conflicting_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when other open registrations claim the account: they are rejected with it.",
    )


class CloseSerializer(StrictInputMixin, serializers.Serializer):
    won = serializers.BooleanField()
    closed_on = serializers.DateField()
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        allow_null=True,
        default=None,
        help_text="The amount won (required when won), in the registration's currency.",
    )
    create_booking = serializers.BooleanField(
        required=False, default=False, help_text="Also record the won amount as new recurring revenue."
    )
    adjustment_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Only for a close date inside a closed fiscal quarter, when the program books late "
        "entries as adjustments: why it comes late (the close is then dated in the first open quarter).",
    )


class AssignRepSerializer(StrictInputMixin, serializers.Serializer):
    user_id = ReferenceId(
        User, staff=True, allow_null=True, help_text="An active staff member; null removes the rep."
    )


# --- writing: accounts and vendor opportunities ------------------------------------------------


class MergeSerializer(StrictInputMixin, serializers.Serializer):
    into = ReferenceId(Account, help_text="The account that stays.")


class VendorOpportunityUpdateSerializer(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    external_id = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="The CRM's id."
    )
    is_open = serializers.BooleanField(required=False)
    owner = ReferenceId(
        User, staff=True, required=False, allow_null=True, help_text="A staff member's user id."
    )

    refusals = {
        "account": "An opportunity stays with its account; merge accounts with …/accounts/{id}/merge/."
    }

    def fields_for_service(self) -> dict[str, Any]:
        fields = dict(self.validated_data)
        if "owner" in fields:
            fields["owner_id"] = fields.pop("owner")
        return fields


class VendorOpportunityCreateSerializer(VendorOpportunityUpdateSerializer):
    account_name = serializers.CharField(max_length=200)
    account_domain = serializers.CharField(max_length=253, required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=200)
    is_open = serializers.BooleanField(required=False, default=True)


# --- writing: revenue --------------------------------------------------------------------------


class RevenueRowSerializer(StrictInputMixin, serializers.Serializer):
    """One month of revenue of one account (ids are resolved for the whole batch at once)."""

    account = BatchReferenceId(Account, help_text="Account id.")
    partner = BatchReferenceId(
        Partner, required=False, allow_null=True, default=None, help_text="Null for direct."
    )
    period = serializers.DateField(help_text="Any day of the month; stored as its first day.")
    kind = serializers.ChoiceField(choices=RevenueRecord.Kind.choices)
    recurring = serializers.BooleanField(required=False, default=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True, default="")
    registration = BatchReferenceId(DealRegistration, required=False, allow_null=True, default=None)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    adjustment_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Only for a month inside a closed fiscal quarter, when the program books late entries "
        "as adjustments: why it comes late (the record is then dated in the first open quarter).",
    )

    def validate_currency(self, value: str) -> str:
        return value.upper()


MAX_BULK_ROWS = 2000


def _row_key(row: int | None, field: str) -> str:
    return field if row is None else f"row {row}: {field}"


def revenue_fields(access: TenantAccess, data: Any, *, bulk: bool) -> list[Mapping[str, Any]]:
    """Validate revenue rows and resolve their ids in three queries (whatever the number of rows).

    Returns the rows as ``revenue_record_create`` takes them; raises a 400 naming the row (when
    ``bulk``) and the field.
    """
    if bulk:
        if not isinstance(data, list) or not data:
            raise serializers.ValidationError({"non_field_errors": ["Send a non-empty JSON list of rows."]})
        if len(data) > MAX_BULK_ROWS:
            raise serializers.ValidationError(
                {"non_field_errors": [f"Send at most {MAX_BULK_ROWS} rows at once."]}
            )
    rows: Sequence[Any] = data if bulk else [data]
    errors: dict[str, Any] = {}
    valid: list[tuple[int | None, dict[str, Any]]] = []
    for index, row in enumerate(rows, start=1):
        number = index if bulk else None
        payload = RevenueRowSerializer(data=row)
        if not isinstance(row, Mapping):
            errors[_row_key(number, "non_field_errors")] = ["Each row is a JSON object."]
        elif payload.is_valid():
            valid.append((number, dict(payload.validated_data)))
        else:
            for field, messages in payload.errors.items():
                errors[_row_key(number, field)] = messages
    accounts = Account.objects.filter(merged_into__isnull=True).in_bulk({row["account"] for _, row in valid})
    partners = partner_queries.partners(access).in_bulk(
        {row["partner"] for _, row in valid if row["partner"]}
    )
    registrations = DealRegistration.objects.in_bulk(
        {row["registration"] for _, row in valid if row["registration"]}
    )
    resolved: list[Mapping[str, Any]] = []
    for number, row in valid:
        row["account"] = accounts.get(row["account"])
        if row["account"] is None:
            errors[_row_key(number, "account")] = [
                "No such account (merged accounts: use the one they merged into)."
            ]
        if row["partner"] is not None:
            row["partner"] = partners.get(row["partner"])
            if row["partner"] is None:
                errors[_row_key(number, "partner")] = ["No such partner."]
        if row["registration"] is not None:
            row["registration"] = registrations.get(row["registration"])
            if row["registration"] is None:
                errors[_row_key(number, "registration")] = ["No such registration."]
        resolved.append(row)
    if errors:
        raise serializers.ValidationError(errors)
    return resolved


class BulkRevenueResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    results = RevenueRecordSerializer(many=True)


# --- metrics -----------------------------------------------------------------------------------


class MetricDefinitionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the field, not Field.label
    unit = serializers.ChoiceField(choices=[(unit.value, unit.value) for unit in Unit])
    definition = serializers.CharField()


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "integer"}], "nullable": True},
        "description": "Partner id → value: money and ratios as decimal strings, counts as integers, "
        "null when the metric is undefined for the partner (a ratio without a base).",
    }
)
class MetricValuesField(serializers.DictField):
    pass


class MetricValuesSerializer(MetricDefinitionSerializer):
    values = MetricValuesField()


@extend_schema_serializer(many=False)  # the answer of a `list` action, but one object, not a list
class MetricsResultSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="The fiscal period, e.g. FY2026-Q3.")
    start = serializers.DateField()
    end = serializers.DateField()
    currency = serializers.CharField(help_text="The reporting currency of every money value.")
    partners = serializers.ListField(child=serializers.IntegerField())
    metrics = MetricValuesSerializer(many=True)


def metric_definition(metric: Metric) -> dict[str, Any]:
    return {"key": metric.key, "label": metric.label, "unit": metric.unit, "definition": metric.definition}


def metric_value(metric: Metric, value: Any) -> Any:
    """JSON-safe and Decimal-safe: money and ratios as strings, counts as integers."""
    if value is None:
        return None
    if metric.unit == Unit.COUNT:
        return int(value)
    if metric.unit == Unit.MONEY:
        return str(value.quantize(CENT))
    return str(value)
