"""Incentives API: the shapes of answers and of request bodies."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from partners.models import Partner, Tier
from pipeline.models import DealRegistration
from prm.api import ReferenceId, StrictInputMixin

from ..models import (
    ActivityType,
    Allocation,
    Claim,
    Fund,
    FundRequest,
    Payout,
    ProofDocument,
    RebateAccrual,
    RebateProgram,
    RebateStatement,
)

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2, "min_value": 0}


# --- serializers -------------------------------------------------------------------------------


class FundSerializer(serializers.ModelSerializer):
    eligible_tiers: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Fund
        fields = [
            "id",
            "name",
            "period",
            "starts_on",
            "ends_on",
            "currency",
            "budget",
            "allocated",
            "committed",
            "claimed",
            "paid",
            "claim_deadline",
            "eligible_tiers",
            "tier_amounts",
        ]
        read_only_fields = fields


class FundCreateSerializer(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=120)
    period = serializers.CharField(max_length=10, help_text="FY2026 or FY2026-Q3.")
    budget = serializers.DecimalField(**MONEY)
    claim_deadline = serializers.DateField()
    eligible_tiers = ReferenceId(Tier, many=True, required=False, default=list)
    tier_amounts = serializers.DictField(
        child=serializers.DecimalField(**MONEY),
        required=False,
        default=dict,
        help_text="Tier id → amount per partner (programmatic allocation).",
    )


class AllocationSerializer(serializers.ModelSerializer):
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    available = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Allocation
        fields = [
            "id",
            "fund",
            "partner",
            "partner_name",
            "allocated",
            "committed",
            "claimed",
            "paid",
            "available",
            "source",
            "note",
        ]
        read_only_fields = fields


class AllocationLineSerializer(serializers.Serializer):
    partner_id = serializers.IntegerField(read_only=True)
    partner = serializers.CharField(read_only=True, help_text="The partner's name.")
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="Allocated; for a partner left out, what it needed (null when it had no amount).",
    )
    reason = serializers.CharField(read_only=True, help_text="Why it was left out (empty when allocated).")


class AllocationReportSerializer(serializers.Serializer):
    """What a programmatic allocation did: who got what, in the order served, and who was left out."""

    rule = serializers.CharField(read_only=True, help_text="“tier rule” or “JBP commitment”.")
    order = serializers.CharField(read_only=True, help_text="The order partners are served in.")
    fit = serializers.CharField(read_only=True, help_text="What happens when a full amount does not fit.")
    left = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text="Unallocated after the run."
    )
    allocated = AllocationLineSerializer(many=True, read_only=True)
    left_out = AllocationLineSerializer(many=True, read_only=True)


class FundUpdateSerializer(StrictInputMixin, serializers.Serializer):
    budget = serializers.DecimalField(**MONEY)
    claim_deadline = serializers.DateField()


class AllocateSerializer(StrictInputMixin, serializers.Serializer):
    partner = ReferenceId(Partner)
    amount = serializers.DecimalField(**MONEY)
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class FundRequestSerializer(serializers.ModelSerializer):
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    fund = serializers.IntegerField(source="allocation.fund_id", read_only=True)
    claim = serializers.SerializerMethodField()

    class Meta:
        model = FundRequest
        fields = [
            "id",
            "allocation",
            "fund",
            "partner",
            "partner_name",
            "activity_type",
            "title",
            "description",
            "starts_on",
            "ends_on",
            "requested_amount",
            "expected_leads",
            "expected_pipeline",
            "status",
            "approved_amount",
            "submitted_at",
            "decided_at",
            "decision_reason",
            "claim",
        ]
        read_only_fields = fields

    def get_claim(self, obj: FundRequest) -> int | None:
        claim = obj.claim
        return claim.pk if claim else None


class FundRequestCreateSerializer(StrictInputMixin, serializers.Serializer):
    allocation = ReferenceId(Allocation, help_text="The allocation (of your partner) to draw on.")
    activity_type = serializers.ChoiceField(choices=ActivityType.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    requested_amount = serializers.DecimalField(**MONEY)
    expected_leads = serializers.IntegerField(min_value=0, required=False, default=0)
    expected_pipeline = serializers.DecimalField(required=False, default=Decimal("0"), **MONEY)


class MoneyDecisionSerializer(StrictInputMixin, serializers.Serializer):
    amount = serializers.DecimalField(required=False, allow_null=True, default=None, **MONEY)
    reason = serializers.CharField(required=False, default="", allow_blank=True)


class DecisionReasonSerializer(StrictInputMixin, serializers.Serializer):
    reason = serializers.CharField()


class ProofSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProofDocument
        fields = ["id", "original_name", "content_type", "size", "created_at"]
        read_only_fields = fields


class ClaimSerializer(serializers.ModelSerializer):
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    documents = ProofSerializer(many=True, read_only=True)
    registrations: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "request",
            "partner",
            "partner_name",
            "actual_cost",
            "amount",
            "leads",
            "pipeline_sourced",
            "registrations",
            "notes",
            "status",
            "submitted_at",
            "decided_at",
            "approved_amount",
            "rejection_reason",
            "paid_amount",
            "documents",
        ]
        read_only_fields = fields


class ClaimCreateSerializer(StrictInputMixin, serializers.Serializer):
    request = ReferenceId(FundRequest, help_text="The approved fund request being claimed.")
    actual_cost = serializers.DecimalField(**MONEY)
    amount = serializers.DecimalField(required=False, allow_null=True, default=None, **MONEY)
    leads = serializers.IntegerField(min_value=0, required=False, default=0)
    pipeline_sourced = serializers.DecimalField(required=False, default=Decimal("0"), **MONEY)
    notes = serializers.CharField(required=False, default="", allow_blank=True)
    registrations = ReferenceId(DealRegistration, many=True, required=False, default=list)
    proof = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text="Proof of performance files (multipart/form-data, repeat the field).",
    )


class PayoutSerializer(serializers.ModelSerializer):
    partner_name = serializers.CharField(source="partner.name", read_only=True)

    class Meta:
        model = Payout
        fields = ["id", "claim", "partner", "partner_name", "amount", "reference", "paid_on", "created_at"]
        read_only_fields = fields


class PayoutCreateSerializer(StrictInputMixin, serializers.Serializer):
    reference = serializers.CharField(max_length=100)
    paid_on = serializers.DateField()
    amount = serializers.DecimalField(required=False, allow_null=True, default=None, **MONEY)


class BandSerializer(serializers.Serializer):
    threshold = serializers.DecimalField(**MONEY)
    rate = serializers.DecimalField(max_digits=6, decimal_places=3, min_value=0, help_text="Percent.")


class RebateProgramSerializer(serializers.ModelSerializer):
    bands = BandSerializer(many=True, read_only=True)
    eligible_tiers: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = RebateProgram
        fields = [
            "id",
            "name",
            "period",
            "starts_on",
            "ends_on",
            "basis_metric",
            "method",
            "currency",
            "bands",
            "eligible_tiers",
            "accelerator_rate",
            "accelerator_attainment",
            "cap",
        ]
        read_only_fields = fields


class RebateProgramCreateSerializer(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=120)
    period = serializers.CharField(max_length=10)
    basis_metric = serializers.CharField(max_length=60)
    method = serializers.ChoiceField(choices=RebateProgram.Method.choices)
    bands = BandSerializer(many=True)
    eligible_tiers = ReferenceId(Tier, many=True, required=False, default=list)
    accelerator_rate = serializers.DecimalField(
        max_digits=6, decimal_places=3, min_value=0, required=False, allow_null=True, default=None
    )
    accelerator_attainment = serializers.DecimalField(
        max_digits=6, decimal_places=4, required=False, default=Decimal("1.0")
    )
    cap = serializers.DecimalField(required=False, allow_null=True, default=None, **MONEY)


class RebateAccrualSerializer(serializers.ModelSerializer):
    partner_name = serializers.CharField(source="partner.name", read_only=True)

    class Meta:
        model = RebateAccrual
        fields = [
            "id",
            "program",
            "partner",
            "partner_name",
            "as_of",
            "basis",
            "amount",
            "lines",
            "accelerated",
            "capped",
            "forecast_basis",
            "forecast_amount",
        ]
        read_only_fields = fields


class RebateStatementSerializer(serializers.ModelSerializer):
    partner_name = serializers.CharField(source="partner.name", read_only=True)

    class Meta:
        model = RebateStatement
        fields = [
            "id",
            "program",
            "partner",
            "partner_name",
            "basis",
            "amount",
            "lines",
            "status",
            "approved_at",
            "paid_reference",
            "paid_on",
            "paid_amount",
        ]
        read_only_fields = fields


class StatementPaySerializer(StrictInputMixin, serializers.Serializer):
    reference = serializers.CharField(max_length=100)
    paid_on = serializers.DateField()


Liability = inline_serializer(
    "IncentiveLiability",
    {
        "period": serializers.CharField(),
        "funds": serializers.DictField(
            child=serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True)
        ),
        "rebates": serializers.DictField(child=serializers.DecimalField(max_digits=16, decimal_places=2)),
    },
)
