"""Reporting API: the executive dashboard's figures, the rows behind a figure, a partner's QBR
and PDF exports — the same numbers as the pages, from the same query code and cache.

Permissions come from the one table (``prm.permissions``): staff with ``VIEW_REPORTS`` read
everything; a partner caller reads only its own partner's QBR and exports (``partner_field``),
another partner's is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from partners import queries as partner_queries
from partners.models import Partner
from prm.access import TenantAccess
from prm.api import PartnerScopedViewSet, ReferenceId, StrictInputMixin, TenantApiRequest, TenantScopedMixin
from prm.drf import Pagination
from prm.periods import FiscalPeriod, parse_period
from prm.permissions import Perm

from . import exports, presenters, queries
from .models import ReportExport
from .pages import download_response
from .serializers import DashboardSerializer, DrillRowSerializer, DrillSerializer, QbrSerializer

PERIOD = OpenApiParameter(
    "period",
    OpenApiTypes.STR,
    description="FY2026-Q3 (fiscal quarter), FY2026 (fiscal year) or TTM-FY2026-Q3 (four quarters to "
    "FY2026-Q3); default: the last complete fiscal quarter.",
)


def period_param(access: TenantAccess, label: str | None) -> FiscalPeriod:
    if not label:
        return queries.default_period(access)
    try:
        return parse_period(label, access.tenant.fiscal_year_start_month)
    except ValueError as error:
        raise serializers.ValidationError({"period": [str(error)]}) from None


class _ReportView(TenantScopedMixin, APIView):
    permissions = {"get": Perm.VIEW_REPORTS}


class DashboardView(_ReportView):
    """The executive dashboard for a period: headline figures in total, strategic vs tactical
    and per tier with the change against the previous period, 8-quarter trends, top and bottom
    partners, portfolio balance, JBP attainment, MDF and rebates. Equal to the page's numbers."""

    @extend_schema(
        parameters=[
            PERIOD,
            OpenApiParameter(
                "fresh", OpenApiTypes.BOOL, description="Recompute instead of the cached figures."
            ),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: TenantApiRequest, tenant_slug: str) -> Response:
        period = period_param(self.access, request.query_params.get("period"))
        fresh = request.query_params.get("fresh") in {"1", "true"}
        context = presenters.dashboard_page(self.access, period, fresh=fresh)
        return Response(DashboardSerializer(context["dashboard"]).data)


class FigureRowsView(_ReportView):
    """The rows behind one figure: each partner of a group (``total``, ``class_key:strategic``,
    ``tier_key:<tier id>``) with the metric's parts and value; ``total`` is the group's figure."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "metric", OpenApiTypes.STR, enum=queries.HEADLINE, description="Default: pipeline_sourced."
            ),
            OpenApiParameter(
                "group", OpenApiTypes.STR, description="total (default), class_key:strategic, tier_key:3"
            ),
            PERIOD,
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: TenantApiRequest, tenant_slug: str) -> Response:
        key = request.query_params.get("metric") or queries.HEADLINE[0]
        if key not in queries.HEADLINE:
            raise serializers.ValidationError({"metric": [f"Choose one of {', '.join(queries.HEADLINE)}."]})
        period = period_param(self.access, request.query_params.get("period"))
        try:
            drill = queries.drill(
                self.access, queries.metric_or_404(key), period, request.query_params.get("group")
            )
        except Http404:  # an unknown group is the caller's mistake: name the field
            raise serializers.ValidationError({"group": ["No such group of partners."]}) from None
        paginator = Pagination()
        rows = paginator.paginate_queryset(drill.rows, request, view=self) or []
        return _drill_response(paginator, drill, rows)


def _drill_response(paginator: Pagination, drill: queries.Drill, rows: list[queries.DrillRow]) -> Response:
    """The figure's heading, then the page of rows (count, next, previous, results)."""
    listed: Any = rows  # many=True takes the list
    page = paginator.get_paginated_response(
        DrillRowSerializer(listed, many=True, context={"drill": drill}).data
    )
    page.data = {**DrillSerializer(drill).data, **page.data}
    return page


class PartnerQbrSerializer(serializers.ModelSerializer):
    """A partner whose QBR can be read (the list); the QBR itself is a document of figures."""

    tier = serializers.CharField(source="tier.name", default=None, read_only=True)
    classification = serializers.CharField(source="tier.classification", default=None, read_only=True)

    class Meta:
        model = Partner
        fields = ["id", "name", "tier", "classification"]
        read_only_fields = fields


class PartnerQbrViewSet(PartnerScopedViewSet):
    """Partners' QBRs: the list names the partners whose QBR the caller may read; ``{id}`` (the
    partner's id) is one partner's QBR for a period. A partner caller lists and reads its own
    partner's only; any other partner is a 404."""

    model = Partner
    partner_field = "pk"
    http_method_names = ["get", "head", "options"]
    permissions = {"list": Perm.VIEW_REPORTS, "retrieve": Perm.VIEW_REPORTS}
    partner_permissions = {"list": Perm.USE_PORTAL, "retrieve": Perm.USE_PORTAL}
    serializer_class = read_serializer = PartnerQbrSerializer
    search_fields = ["name"]
    ordering_fields = ["name"]
    ordering = ["name", "pk"]

    def base_queryset(self) -> QuerySet:
        return partner_queries.partners(self.access).select_related("tier")

    @extend_schema(parameters=[PERIOD], responses=OpenApiTypes.OBJECT)
    def retrieve(self, request: Request, tenant_slug: str, pk: str) -> Response:
        partner = self.get_object()
        period = period_param(self.access, request.query_params.get("period"))
        return Response(QbrSerializer(queries.qbr(self.access, partner, period)).data)


# --- exports ----------------------------------------------------------------------------------


class ReportExportSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ReportExport
        fields = [
            "id",
            "kind",
            "period",
            "partner",
            "status",
            "error",
            "created_at",
            "finished_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, export: ReportExport) -> str | None:
        if export.status != ReportExport.Status.DONE:
            return None
        # The caller's tenant (every export listed is of it), not ``export.tenant``: one query per row.
        access: TenantAccess = self.context["access"]
        return reverse(
            "api:report-export-download", kwargs={"tenant_slug": access.tenant.slug, "pk": export.pk}
        )


class ReportExportCreateSerializer(StrictInputMixin, serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportExport.Kind.choices)
    period = serializers.CharField(
        required=False, allow_blank=True, help_text="Default: the last complete quarter."
    )
    partner = ReferenceId(
        Partner,
        required=False,
        allow_null=True,
        help_text="For a QBR: the partner (a partner caller: its own, the default).",
    )


class ReportExportViewSet(mixins.CreateModelMixin, PartnerScopedViewSet):
    """PDF exports of the dashboard (staff) and of partners' QBRs: request one (rendered in the
    background), poll its ``status`` (queued, running, done, failed), then download it."""

    model = ReportExport
    partner_field = "partner_id"
    http_method_names = ["get", "post", "head", "options"]
    read_serializer = serializer_class = ReportExportSerializer
    write_serializers = {"create": ReportExportCreateSerializer}
    filterset_fields = ["kind", "status", "partner"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    permissions = {
        "list": Perm.VIEW_REPORTS,
        "retrieve": Perm.VIEW_REPORTS,
        "create": Perm.VIEW_REPORTS,
        "download": Perm.VIEW_REPORTS,
    }
    partner_permissions = {
        "list": Perm.USE_PORTAL,
        "retrieve": Perm.USE_PORTAL,
        "create": Perm.USE_PORTAL,
        "download": Perm.USE_PORTAL,
    }

    def base_queryset(self) -> QuerySet:
        return ReportExport.objects.defer("content")

    @extend_schema(request=ReportExportCreateSerializer, responses={202: ReportExportSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = ReportExportCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        access = self.access
        period = period_param(access, data.get("period"))
        partner_id = None
        if data["kind"] == ReportExport.Kind.QBR:
            wanted = data.get("partner") or (access.partner_id if access.is_partner else None)
            if wanted is None:
                raise serializers.ValidationError({"partner": ["Name the partner of the QBR."]})
            # The field refused other tenants' and partners' ids (400); this read checks again.
            partner_id = partner_queries.access_partner(access, wanted).pk
        export = exports.export_request(
            access=access, kind=data["kind"], period=period, partner_id=partner_id
        )
        return self._read(self.base_queryset().get(pk=export.pk), 202)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, tenant_slug: str, pk: str) -> HttpResponse:
        """The PDF, once ``status`` is ``done`` (404 before)."""
        export = self.get_object()
        return _pdf(ReportExport.objects.get(pk=export.pk))


def _pdf(export: ReportExport) -> HttpResponse:
    return download_response(export)
