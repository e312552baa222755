"""Tiering API: tiers, scorecard versions (with what-if), manual ratings, score snapshots, score
runs (trigger a recalculation), tier change proposals (propose, approve, reject) and the tier
history. Reads come from the sealed tenant queryset; every write goes through the services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from partners.models import Partner, Tier
from prm.api import TenantModelSerializer, TenantViewSet
from prm.permissions import Perm

from . import queries, recalculation, services
from .models import (
    Criterion,
    ManualRating,
    Scorecard,
    ScoreRun,
    ScoreSnapshot,
    TierChange,
    TierChangeProposal,
)

READ = Perm.VIEW_PROGRAM


class TierSerializer(TenantModelSerializer):
    class Meta:
        model = Tier
        fields = [
            "id",
            "name",
            "rank",
            "classification",
            "benefits",
            "mdf_eligible",
            "rebate_eligible",
            "deal_protection_days",
            "min_score",
            "min_active_certifications",
            "min_revenue_ttm",
            "requires_signed_jbp",
        ]
        read_only_fields = ["rank", "classification"]


class TierViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's tiers, best first; admins change benefits and entry rules (PATCH)."""

    model = Tier
    serializer_class = TierSerializer
    permissions = {"list": READ, "retrieve": READ, "partial_update": Perm.MANAGE_PROGRAM}
    ordering_fields = ["rank"]

    def base_queryset(self) -> QuerySet:
        return Tier.objects.order_by("rank")

    def partial_update(self, request: Request, tenant_slug: str, pk: str) -> Response:
        tier = self.get_object()
        serializer = self.get_serializer(tier, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.tier_update(access=self.access, tier=tier, **serializer.validated_data)
        return Response(self.get_serializer(tier).data)


class CriterionSerializer(serializers.ModelSerializer):
    target = serializers.DecimalField(max_digits=16, decimal_places=4, required=False, allow_null=True)

    class Meta:
        model = Criterion
        fields = ["key", "label", "kind", "metric_key", "normalisation", "target", "weight"]
        extra_kwargs = {"metric_key": {"required": False}, "normalisation": {"required": False}}
        validators: list[Any] = []


class ScorecardSerializer(serializers.ModelSerializer):
    criteria = CriterionSerializer(many=True)

    class Meta:
        model = Scorecard
        fields = ["id", "version", "is_active", "note", "created_at", "criteria"]
        read_only_fields = ["version", "is_active", "created_at"]


class WhatIfSerializer(serializers.Serializer):
    criteria = CriterionSerializer(many=True, required=False)
    tier_rules = serializers.DictField(
        child=serializers.DictField(), required=False, help_text="tier id → fields"
    )


WHAT_IF_RESULT = inline_serializer(
    "WhatIfResult",
    {
        "counts": serializers.ListField(child=serializers.DictField()),
        "up": serializers.ListField(child=serializers.DictField()),
        "down": serializers.ListField(child=serializers.DictField()),
    },
)


class ScorecardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Scorecard versions, newest first. POST saves new criteria as a new active version."""

    model = Scorecard
    serializer_class = ScorecardSerializer
    permissions = {
        "list": READ,
        "retrieve": READ,
        "create": Perm.MANAGE_PROGRAM,
        "what_if": Perm.MANAGE_PROGRAM,
    }
    filterset_fields = ["is_active"]

    def base_queryset(self) -> QuerySet:
        return Scorecard.objects.prefetch_related("criteria").order_by("-version")

    def create(self, request: Request, tenant_slug: str) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        card = services.scorecard_save_version(
            access=self.access,
            criteria=serializer.validated_data["criteria"],
            note=serializer.validated_data.get("note", ""),
        )
        return Response(self.get_serializer(card).data, status=201)

    @extend_schema(request=WhatIfSerializer, responses=WHAT_IF_RESULT)
    @action(detail=False, methods=["post"], url_path="what-if")
    def what_if(self, request: Request, tenant_slug: str) -> Response:
        """Which partners would change tier with these criteria and/or tier rules (nothing saved)."""
        payload = WhatIfSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rules = {
            int(k): v for k, v in payload.validated_data.get("tier_rules", {}).items() if str(k).isdigit()
        }
        criteria = payload.validated_data.get("criteria")
        return Response(queries.what_if(self.access, criteria=criteria, tier_rules=rules))


class ManualRatingSerializer(TenantModelSerializer):
    class Meta:
        model = ManualRating
        fields = ["id", "partner", "key", "value", "comment", "rated_by", "updated_at"]
        read_only_fields = ["rated_by", "updated_at"]
        validators: list[Any] = []


class ManualRatingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Managers' 1–5 ratings on the manual criteria. POST sets (or replaces) one rating."""

    model = ManualRating
    serializer_class = ManualRatingSerializer
    permissions = {"list": READ, "retrieve": READ, "create": Perm.MANAGE_PARTNERS}
    filterset_fields = ["partner", "key"]

    def base_queryset(self) -> QuerySet:
        return ManualRating.objects.order_by("partner_id", "key")

    def create(self, request: Request, tenant_slug: str) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        rating = services.manual_rating_set(
            access=self.access,
            partner=data["partner"],
            key=data["key"],
            value=data["value"],
            comment=data.get("comment", ""),
        )
        return Response(self.get_serializer(rating).data, status=201)


class ScoreSnapshotSerializer(serializers.ModelSerializer):
    scorecard_version = serializers.IntegerField(source="scorecard.version", read_only=True)
    # The fiscal quarter the score measures (the last one finished before ``run_on``).
    period_start = serializers.DateField(source="period.start", read_only=True, allow_null=True)
    period_end = serializers.DateField(source="period.end", read_only=True, allow_null=True)

    class Meta:
        model = ScoreSnapshot
        fields = [
            "id",
            "partner",
            "run_on",
            "period_label",
            "period_start",
            "period_end",
            "scorecard_version",
            "score",
            "breakdown",
            "tier_at_run",
            "recommended_tier",
            "rules",
        ]


class ScoreSnapshotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Score snapshots with their breakdown; partner callers see their own partner's only."""

    model = ScoreSnapshot
    serializer_class = ScoreSnapshotSerializer
    partner_field = "partner_id"
    filterset_fields = ["partner", "run_on"]
    ordering_fields = ["run_on", "score"]

    def required_permission(self, request: Request) -> Perm | None:
        if self.action in {"list", "retrieve"}:
            return READ if self.access.is_staff else Perm.USE_PORTAL
        return None

    def base_queryset(self) -> QuerySet:
        return ScoreSnapshot.objects.select_related("scorecard").order_by("-run_on", "partner_id")


class ScoreRunSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ScoreRun
        fields = [
            "id",
            "run_on",
            "period_label",
            "status",
            "total",
            "processed",
            "percent",
            "proposals_opened",
            "changes_applied",
            "error_message",
            "finished_at",
        ]


class ScoreRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Recalculation runs. POST starts today's recalculation (queued; poll the run for progress)."""

    model = ScoreRun
    serializer_class = ScoreRunSerializer
    permissions = {"list": READ, "retrieve": READ, "create": Perm.MANAGE_PROGRAM}

    def base_queryset(self) -> QuerySet:
        return ScoreRun.objects.order_by("-run_on")

    @extend_schema(request=None, responses={202: ScoreRunSerializer})
    def create(self, request: Request, tenant_slug: str) -> Response:
        run = recalculation.score_run_request(access=self.access)
        run.refresh_from_db()
        return Response(self.get_serializer(run).data, status=202)


class ProposalSerializer(TenantModelSerializer):
    class Meta:
        model = TierChangeProposal
        fields = [
            "id",
            "partner",
            "from_tier",
            "to_tier",
            "direction",
            "status",
            "score",
            "explanation",
            "reason",
            "proposed_by",
            "decided_by",
            "decided_at",
            "decision_reason",
            "cap_override_reason",
            "created_at",
        ]
        read_only_fields = [f for f in fields if f not in {"partner", "to_tier", "reason"}]


class DecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    cap_override_reason = serializers.CharField(required=False, allow_blank=True, default="")


class ProposalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Tier change proposals. Managers propose (POST); admins and executives approve or reject."""

    model = TierChangeProposal
    serializer_class = ProposalSerializer
    permissions = {
        "list": READ,
        "retrieve": READ,
        "create": Perm.MANAGE_PARTNERS,
        "approve": Perm.DECIDE_TIER_CHANGES,
        "reject": Perm.DECIDE_TIER_CHANGES,
    }
    filterset_fields = ["status", "partner", "direction"]
    ordering_fields = ["created_at", "score"]

    def base_queryset(self) -> QuerySet:
        return TierChangeProposal.objects.order_by("-created_at", "-pk")

    def create(self, request: Request, tenant_slug: str) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        partner = Partner.objects.select_related("tier").get(pk=data["partner"].pk)
        proposal = services.tier_proposal_create(
            access=self.access, partner=partner, to_tier=data["to_tier"], reason=data.get("reason", "")
        )
        return Response(self.get_serializer(proposal).data, status=201)

    @extend_schema(request=DecisionSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, tenant_slug: str, pk: str) -> Response:
        payload = DecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        proposal = services.tier_proposal_approve(
            access=self.access, proposal=self.get_object(), **payload.validated_data
        )
        return Response(self.get_serializer(proposal).data)

    @extend_schema(request=DecisionSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, tenant_slug: str, pk: str) -> Response:
        payload = DecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        proposal = services.tier_proposal_reject(
            access=self.access, proposal=self.get_object(), reason=payload.validated_data["reason"]
        )
        return Response(self.get_serializer(proposal).data)


class TierChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = TierChange
        fields = ["id", "partner", "from_tier", "to_tier", "changed_at", "reason", "changed_by", "proposal"]


class TierChangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The history of tier changes, newest first."""

    model = TierChange
    serializer_class = TierChangeSerializer
    permissions = {"list": READ, "retrieve": READ}
    filterset_fields = ["partner"]

    def base_queryset(self) -> QuerySet:
        return TierChange.objects.order_by("-changed_at", "-pk")


def register(router: SimpleRouter) -> None:
    router.register("tiers", TierViewSet, basename="tier")
    router.register("scorecards", ScorecardViewSet, basename="scorecard")
    router.register("ratings", ManualRatingViewSet, basename="rating")
    router.register("score-snapshots", ScoreSnapshotViewSet, basename="score-snapshot")
    router.register("score-runs", ScoreRunViewSet, basename="score-run")
    router.register("tier-proposals", ProposalViewSet, basename="tier-proposal")
    router.register("tier-changes", TierChangeViewSet, basename="tier-change")
