"""Joint business plan API viewsets: plans with sign-off transitions and comments, targets (with
actuals), investments, activities, reviews, action items and PDF exports (request, poll, download).

Reads come from the sealed tenant queryset built on ``queries.plans`` (partner callers see
their own partner's plans once shared); every write goes through ``jbp.services``, which checks
the role, the workflow state and validates (errors name the field). Transition endpoints are open
to every staff reader at the routing level so another tenant's plan answers 404, never 403; the
service then refuses a role that may not make the transition (403).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from prm.api import PartnerScopedViewSet, StableOrderingFilter
from prm.permissions import Perm

from .. import queries, services
from ..models import ActionItem, Activity, Investment, Plan, PlanExport, Review, Target
from .serializers import (
    ActionItemSerializer,
    ActivitySerializer,
    ActivityWriteSerializer,
    CommentSerializer,
    CommentWriteSerializer,
    ExportRequestSerializer,
    ExportSerializer,
    InvestmentSerializer,
    InvestmentWriteSerializer,
    PlanCreateSerializer,
    PlanDetailSerializer,
    PlanSerializer,
    PlanUpdateSerializer,
    ReviewSerializer,
    ReviewWriteSerializer,
    TargetSerializer,
    TargetWriteSerializer,
)

READ = {"list": Perm.VIEW_PROGRAM, "retrieve": Perm.VIEW_PROGRAM}
PARTNER_READ = {"list": Perm.USE_PORTAL, "retrieve": Perm.USE_PORTAL}


# --- viewsets ----------------------------------------------------------------------------------


class _PlanChildViewSet(PartnerScopedViewSet):
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_fields = ["plan"]
    ordering = ["pk"]
    ordering_fields = ["pk"]
    partner_field = "plan__partner_id"

    def base_queryset(self) -> QuerySet:
        return self.model._default_manager.filter(plan__in=queries.plans(self.access))

    def _plan(self, plan: Plan) -> Plan:
        return queries.access_plan(self.access, plan.pk)


class PlanViewSet(PartnerScopedViewSet):
    """Plans. Staff list and read all, managers create and edit (an edit of an active plan is an
    amendment and needs ``change_summary``), share, withdraw, close; executives sign off; the
    partner admin approves its side; both sides comment. ``/plans/{id}/`` carries the targets
    with their actuals from the metric catalog and the attainment."""

    model = Plan
    serializer_class = PlanSerializer
    read_serializer = PlanSerializer
    write_serializers = {"create": PlanCreateSerializer, "partial_update": PlanUpdateSerializer}
    partner_field = "partner_id"
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_fields = ["status", "fiscal_year", "partner"]
    ordering_fields = ["fiscal_year", "created_at", "status"]
    ordering = ["-fiscal_year", "pk"]
    permissions = {
        **READ,
        "create": Perm.MANAGE_PLANS,
        "partial_update": Perm.MANAGE_PLANS,
        "share": Perm.MANAGE_PLANS,
        "withdraw": Perm.MANAGE_PLANS,
        "close": Perm.MANAGE_PLANS,
        # Open at routing so a foreign plan is 404; the service refuses roles that may not (403).
        "sign_off": Perm.VIEW_PROGRAM,
        "approve": Perm.VIEW_PROGRAM,
        "comments": Perm.VIEW_PROGRAM,
        "versions": Perm.VIEW_PROGRAM,
    }
    partner_permissions = {
        **PARTNER_READ,
        "approve": Perm.USE_PORTAL,
        "sign_off": Perm.USE_PORTAL,
        "comments": Perm.USE_PORTAL,
        "versions": Perm.USE_PORTAL,
    }

    def base_queryset(self) -> QuerySet:
        return queries.plans(self.access).select_related(
            "partner", "shared_by", "partner_approved_by", "signed_by"
        )

    def retrieve(self, request: Request, tenant_slug: str, pk: str) -> Response:
        return Response(PlanDetailSerializer(self.get_object(), context=self.get_serializer_context()).data)

    @extend_schema(request=PlanCreateSerializer, responses={201: PlanSerializer})
    def create(self, request: Request, tenant_slug: str) -> Response:
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        fields = dict(payload.validated_data)
        plan = services.plan_create(
            access=self.access,
            partner=fields.pop("partner"),
            fiscal_year=fields.pop("fiscal_year"),
            fields=fields,
        )
        return self._read(plan, 201)

    @extend_schema(request=PlanUpdateSerializer, responses=PlanSerializer)
    def partial_update(self, request: Request, tenant_slug: str, pk: str) -> Response:
        plan = self.get_object()
        payload = self.get_serializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        fields = dict(payload.validated_data)
        summary = fields.pop("change_summary", "")
        return self._read(
            services.plan_update(access=self.access, plan=plan, fields=fields, change_summary=summary)
        )

    def _transition(self, service: Any) -> Response:
        return self._read(service(access=self.access, plan=self.get_object()))

    @extend_schema(request=None, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def share(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Draft → shared with the partner."""
        return self._transition(services.plan_share)

    @extend_schema(request=None, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Shared or partner-approved → back to draft."""
        return self._transition(services.plan_unshare)

    @extend_schema(request=None, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Shared → approved by the partner (partner admin of the plan's partner only)."""
        return self._transition(services.plan_partner_approve)

    @extend_schema(request=None, responses=PlanSerializer)
    @action(detail=True, methods=["post"], url_path="sign-off")
    def sign_off(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Partner-approved → active, version 1 frozen (vendor executives only)."""
        return self._transition(services.plan_sign_off)

    @extend_schema(request=None, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Active → closed, once the fiscal year is over."""
        return self._transition(services.plan_close)

    @extend_schema(methods=["get"], request=None, responses=CommentSerializer(many=True))
    @extend_schema(methods=["post"], request=CommentWriteSerializer, responses={201: CommentSerializer})
    @action(detail=True, methods=["get", "post"])
    def comments(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """The plan's comment thread; post to add one (both sides)."""
        plan = self.get_object()
        if request.method == "POST":
            payload = CommentWriteSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            comment = services.comment_add(access=self.access, plan=plan, body=payload.validated_data["body"])
            return Response(CommentSerializer(comment).data, status=201)
        return Response(CommentSerializer(queries.comments(plan), many=True).data)

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def versions(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Signed versions; ``?a=1&b=2`` adds the field-by-field differences between two."""
        plan = self.get_object()
        data: dict[str, Any] = {
            "versions": [
                {
                    "number": v.number,
                    "change_summary": v.change_summary,
                    "created_by": v.created_by_label,
                    "created_at": v.created_at,
                    "content": v.content,
                }
                for v in queries.versions(plan)
            ]
        }
        a, b = request.query_params.get("a", ""), request.query_params.get("b", "")
        if a.isdigit() and b.isdigit():
            older, newer = queries.access_version(plan, int(a)), queries.access_version(plan, int(b))
            data["differences"] = [
                {"field": d.field, "change": d.change, "before": d.before, "after": d.after}
                for d in services.versions_compare(older, newer)
            ]
        return Response(data)


class _PlanPartViewSet(_PlanChildViewSet):
    """Create and change one kind of plan part (target, investment, activity) through its service.

    A subclass names its write serializer and its service; the service takes the plan, the part
    (``None`` on create, under ``part_name``), the fields and the change summary.
    """

    write_serializer: type[serializers.Serializer]
    part_name: str
    save_part: Callable[..., Any]

    def create(self, request: Request, tenant_slug: str) -> Response:
        fields = self.validated_payload(self.write_serializer)
        plan, summary = self._plan(fields.pop("plan")), fields.pop("change_summary", "")
        return self._read(
            self.save_part(access=self.access, plan=plan, fields=fields, change_summary=summary), 201
        )

    def partial_update(self, request: Request, tenant_slug: str, pk: str) -> Response:
        part = self.get_object()
        payload = self.write_serializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        fields = dict(payload.validated_data)
        fields.pop("plan", None)
        summary = fields.pop("change_summary", "")
        return self._read(
            self.save_part(
                access=self.access,
                plan=self._plan(part.plan),
                fields=fields,
                change_summary=summary,
                **{self.part_name: part},
            )
        )


def _part_schema(write: type[serializers.Serializer], read: type[serializers.Serializer]) -> Any:
    return extend_schema_view(
        create=extend_schema(request=write, responses={201: read}),
        partial_update=extend_schema(request=write, responses=read),
    )


@_part_schema(TargetWriteSerializer, TargetSerializer)
class TargetViewSet(_PlanPartViewSet):
    """Targets of plans (revenue commitments, pipeline targets, other catalog metrics)."""

    model = Target
    serializer_class = TargetSerializer
    read_serializer = TargetSerializer
    write_serializer = TargetWriteSerializer
    write_serializers = {"create": TargetWriteSerializer, "partial_update": TargetWriteSerializer}
    permissions = {**READ, "create": Perm.MANAGE_PLANS, "partial_update": Perm.MANAGE_PLANS}
    partner_permissions = PARTNER_READ
    part_name = "target"
    save_part = staticmethod(services.target_save)


@_part_schema(InvestmentWriteSerializer, InvestmentSerializer)
class InvestmentViewSet(_PlanPartViewSet):
    """Investments of both sides; partner admins add and change their own side's while shared."""

    model = Investment
    serializer_class = InvestmentSerializer
    read_serializer = InvestmentSerializer
    write_serializer = InvestmentWriteSerializer
    write_serializers = {"create": InvestmentWriteSerializer, "partial_update": InvestmentWriteSerializer}
    permissions = {**READ, "create": Perm.MANAGE_PLANS, "partial_update": Perm.MANAGE_PLANS}
    partner_permissions = {
        **PARTNER_READ,
        "create": Perm.APPROVE_OWN_PLAN,
        "partial_update": Perm.APPROVE_OWN_PLAN,
    }
    part_name = "investment"
    save_part = staticmethod(services.investment_save)


@_part_schema(ActivityWriteSerializer, ActivitySerializer)
class ActivityViewSet(_PlanPartViewSet):
    """Co-marketing activities of plans."""

    model = Activity
    serializer_class = ActivitySerializer
    read_serializer = ActivitySerializer
    write_serializer = ActivityWriteSerializer
    write_serializers = {"create": ActivityWriteSerializer, "partial_update": ActivityWriteSerializer}
    permissions = {**READ, "create": Perm.MANAGE_PLANS, "partial_update": Perm.MANAGE_PLANS}
    partner_permissions = PARTNER_READ
    part_name = "activity"
    save_part = staticmethod(services.activity_save)


class ReviewViewSet(_PlanChildViewSet):
    """Quarterly reviews with their frozen attainment snapshot; post one with its action items."""

    model = Review
    serializer_class = ReviewSerializer
    read_serializer = ReviewSerializer
    write_serializers = {"create": ReviewWriteSerializer}
    http_method_names = ["get", "post", "head", "options"]
    permissions = {**READ, "create": Perm.MANAGE_PLANS}
    partner_permissions = PARTNER_READ

    @extend_schema(request=ReviewWriteSerializer, responses={201: ReviewSerializer})
    def create(self, request: Request, tenant_slug: str) -> Response:
        fields = self.validated_payload(ReviewWriteSerializer)
        plan = self._plan(fields.pop("plan"))
        items = [services.NewActionItem(**item) for item in fields.pop("action_items", [])]
        return self._read(
            services.review_record(access=self.access, plan=plan, fields=fields, action_items=items), 201
        )


class ActionItemViewSet(_PlanChildViewSet):
    """Action items from reviews; ``?status=open`` for the open ones. Complete one with ``/complete/``
    (the vendor any; the partner its own side's)."""

    model = ActionItem
    serializer_class = ActionItemSerializer
    read_serializer = ActionItemSerializer
    filterset_fields = ["plan", "review", "status", "owner_side"]
    ordering_fields = ["pk", "due_on"]
    permissions = {**READ, "complete": Perm.MANAGE_PLANS}
    partner_permissions = {**PARTNER_READ, "complete": Perm.USE_PORTAL}

    @extend_schema(request=None, responses=ActionItemSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, tenant_slug: str, pk: str) -> Response:
        return self._read(services.action_item_complete(access=self.access, item=self.get_object()))


class ExportViewSet(_PlanChildViewSet):
    """PDF exports: post ``{"plan": id}`` to queue one, poll ``/plan-exports/{id}/`` until
    ``status`` is ``done`` (or ``failed`` with ``error``), then GET ``/download/``."""

    model = PlanExport
    serializer_class = ExportSerializer
    read_serializer = ExportSerializer
    write_serializers = {"create": ExportRequestSerializer}
    http_method_names = ["get", "post", "head", "options"]
    permissions = {**READ, "create": Perm.VIEW_PROGRAM, "download": Perm.VIEW_PROGRAM}
    partner_permissions = {**PARTNER_READ, "create": Perm.USE_PORTAL, "download": Perm.USE_PORTAL}

    @extend_schema(request=ExportRequestSerializer, responses={201: ExportSerializer})
    def create(self, request: Request, tenant_slug: str) -> Response:
        fields = self.validated_payload(ExportRequestSerializer)
        export = services.export_request(access=self.access, plan=self._plan(fields["plan"]))
        export.refresh_from_db()
        return self._read(export, 201)

    @extend_schema(request=None, responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, tenant_slug: str, pk: str) -> FileResponse:
        export = self.get_object()
        if export.status != PlanExport.Status.DONE or not export.file:
            raise Http404
        return FileResponse(
            export.file.open("rb"),
            as_attachment=True,
            filename=f"plan-{export.plan_id}-export-{export.pk}.pdf",
            content_type="application/pdf",
        )
