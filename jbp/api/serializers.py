"""Joint business plan API: the shapes of answers and of request bodies."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from prm.api import ReferenceId, StrictInputMixin, TenantModelSerializer
from prm.models import User

from .. import queries, services
from ..models import ActionItem, Activity, Comment, Investment, Plan, PlanExport, Review, Side, Target

# --- serializers -------------------------------------------------------------------------------


class TargetSerializer(TenantModelSerializer):
    class Meta:
        model = Target
        fields = ["id", "plan", "kind", "metric_key", "quarter", "value", "note"]
        read_only_fields = fields


class TargetActualSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="target.pk")
    kind = serializers.CharField(source="target.kind")
    metric_key = serializers.CharField(source="target.metric_key")
    metric = serializers.CharField(source="label")
    unit = serializers.CharField()
    quarter = serializers.IntegerField(source="target.quarter", allow_null=True)
    period = serializers.CharField(source="period.label")
    target = serializers.DecimalField(source="target.value", max_digits=16, decimal_places=4)
    actual = serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True)
    attainment = serializers.DecimalField(max_digits=10, decimal_places=4, allow_null=True)


class TargetWriteSerializer(StrictInputMixin, TenantModelSerializer):
    change_summary = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the plan is active (an amendment).",
    )

    class Meta:
        model = Target
        fields = ["plan", "kind", "metric_key", "quarter", "value", "note", "change_summary"]
        extra_kwargs = {"metric_key": {"required": False, "allow_blank": True}}


class InvestmentSerializer(TenantModelSerializer):
    class Meta:
        model = Investment
        fields = [
            "id",
            "plan",
            "side",
            "kind",
            "description",
            "quarter",
            "amount",
            "quantity",
            "delivered_amount",
            "delivered_note",
        ]
        read_only_fields = fields


class InvestmentWriteSerializer(StrictInputMixin, TenantModelSerializer):
    change_summary = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        model = Investment
        fields = ["plan", *services.INVESTMENT_FIELDS, "change_summary"]


class ActivitySerializer(TenantModelSerializer):
    class Meta:
        model = Activity
        fields = ["id", "plan", *services.ACTIVITY_FIELDS]
        read_only_fields = fields


class ActivityWriteSerializer(StrictInputMixin, TenantModelSerializer):
    change_summary = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        model = Activity
        fields = ["plan", *services.ACTIVITY_FIELDS, "change_summary"]


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "author_label", "side", "body", "created_at"]
        read_only_fields = fields


class CommentWriteSerializer(StrictInputMixin, serializers.Serializer):
    body = serializers.CharField()


class PlanSerializer(TenantModelSerializer):
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    shared_by: serializers.StringRelatedField = serializers.StringRelatedField()
    partner_approved_by = serializers.CharField(source="partner_approved_by_name", read_only=True)
    signed_by: serializers.StringRelatedField = serializers.StringRelatedField()

    class Meta:
        model = Plan
        fields = [
            "id",
            "partner",
            "partner_name",
            "fiscal_year",
            "title",
            "status",
            "version",
            "summary",
            "objectives",
            "vendor_owner",
            "vendor_sponsor",
            "partner_owner",
            "partner_sponsor",
            "review_cadence",
            "next_review_on",
            "shared_at",
            "shared_by",
            "partner_approved_at",
            "partner_approved_by",
            "signed_at",
            "signed_by",
            "closed_at",
            "created_at",
        ]
        read_only_fields = fields


class PlanDetailSerializer(PlanSerializer):
    targets = serializers.SerializerMethodField()

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "targets"]
        read_only_fields = fields

    @extend_schema_field(TargetActualSerializer(many=True))
    def get_targets(self, plan: Plan) -> list[dict[str, Any]]:
        return TargetActualSerializer(queries.scorecard(plan), many=True).data  # type: ignore[return-value]


class PlanCreateSerializer(StrictInputMixin, TenantModelSerializer):
    class Meta:
        model = Plan
        fields = [
            "partner",
            "fiscal_year",
            "title",
            "summary",
            "objectives",
            "review_cadence",
            "next_review_on",
        ]
        extra_kwargs = {"title": {"required": False}}


class PlanUpdateSerializer(StrictInputMixin, TenantModelSerializer):
    staff_references = frozenset({"vendor_owner", "vendor_sponsor"})
    change_summary = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        model = Plan
        fields = [*services.PLAN_FIELDS, "change_summary"]


class ActionItemSerializer(TenantModelSerializer):
    class Meta:
        model = ActionItem
        fields = [
            "id",
            "plan",
            "review",
            "title",
            "owner_side",
            "owner",
            "owner_name",
            "due_on",
            "status",
            "done_at",
        ]
        read_only_fields = fields


class ReviewSerializer(TenantModelSerializer):
    class Meta:
        model = Review
        fields = [
            "id",
            "plan",
            "quarter",
            "held_on",
            "vendor_attendees",
            "partner_attendees",
            "snapshot",
            "notes",
            "decisions",
            "created_at",
        ]
        read_only_fields = fields


class NewActionItemSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    owner_side = serializers.ChoiceField(choices=Side.choices)
    owner_name = serializers.CharField(max_length=120)
    due_on = serializers.DateField()
    owner_id = ReferenceId(
        User,
        required=False,
        allow_null=True,
        default=None,
        help_text="Whom to remind: a member of the program (vendor staff or the partner's people).",
    )


class ReviewWriteSerializer(StrictInputMixin, TenantModelSerializer):
    action_items = NewActionItemSerializer(many=True, required=False, default=list)

    class Meta:
        model = Review
        fields = [
            "plan",
            "quarter",
            "held_on",
            "vendor_attendees",
            "partner_attendees",
            "notes",
            "decisions",
            "action_items",
        ]


class ExportSerializer(TenantModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = PlanExport
        fields = [
            "id",
            "plan",
            "status",
            "error",
            "pages",
            "requested_by_label",
            "created_at",
            "started_at",
            "finished_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, export: PlanExport) -> str | None:
        request = self.context.get("request")
        if export.status != PlanExport.Status.DONE or request is None:
            return None
        return request.build_absolute_uri(
            f"{export.pk}/download/" if request.path.endswith("/plan-exports/") else "download/"
        )


class ExportRequestSerializer(StrictInputMixin, TenantModelSerializer):
    class Meta:
        model = PlanExport
        fields = ["plan"]
