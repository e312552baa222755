"""Pipeline API: deal registrations, accounts, vendor opportunities, revenue records and metrics.

Reads come from the sealed tenant queryset (partner roles see their own partner's registrations
and revenue only: ``partner_field``); every write goes through ``pipeline.services``, which checks
the role, validates (errors name the field), records the status history and the audit event.
Input is strict: a field the caller may not set is a 400 naming it, never silently ignored.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response

import prm.metrics
from partners import queries as partner_queries
from prm.access import TenantAccess
from prm.api import PartnerScopedViewSet, StableOrderingFilter, TenantScopedMixin
from prm.filters import IdFilter
from prm.periods import FiscalPeriod, fiscal_quarter_of, parse_period
from prm.permissions import Perm

from .. import services
from ..models import Account, DealConflict, DealRegistration, RevenueRecord, VendorOpportunity
from .serializers import (
    AccountSerializer,
    ApproveSerializer,
    AssignRepSerializer,
    BulkRevenueResultSerializer,
    CloseSerializer,
    MergeSerializer,
    MetricDefinitionSerializer,
    MetricsResultSerializer,
    PrecheckResultSerializer,
    PrecheckSerializer,
    ReasonSerializer,
    RegistrationCreateSerializer,
    RegistrationSerializer,
    RevenueRecordSerializer,
    RevenueRowSerializer,
    VendorOpportunityCreateSerializer,
    VendorOpportunitySerializer,
    VendorOpportunityUpdateSerializer,
    metric_definition,
    metric_value,
    registration_context,
    revenue_fields,
)

Status = DealRegistration.Status
MERGED_CHOICES = [("no", "Current only"), ("yes", "Merged duplicates only"), ("all", "Current and merged")]


# --- filters -----------------------------------------------------------------------------------


class RegistrationFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label="Status (repeatable)")
    partner = IdFilter(field_name="partner_id", label="Partner id")
    account = IdFilter(field_name="account_id", label="Account id")
    partner_role = django_filters.ChoiceFilter(choices=DealRegistration.Role.choices)
    has_conflict = django_filters.BooleanFilter()
    overdue = django_filters.BooleanFilter(
        method="sla_state", label="Submitted and waiting longer than the program's decision SLA"
    )
    extension_requested = django_filters.BooleanFilter(
        field_name="extension_requested_at",
        lookup_expr="isnull",
        exclude=True,
        label="An extension is requested",
    )
    sales_rep = IdFilter(field_name="sales_rep_id", label="Sales rep (user id)")
    submitted_after = django_filters.DateFilter(
        field_name="submitted_at", lookup_expr="date__gte", label="Submitted on or after (YYYY-MM-DD)"
    )
    submitted_before = django_filters.DateFilter(
        field_name="submitted_at", lookup_expr="date__lte", label="Submitted on or before (YYYY-MM-DD)"
    )

    class Meta:
        model = DealRegistration
        fields = ["stage"]

    def sla_state(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        access: TenantAccess = self.request.access
        cutoff = timezone.now() - timedelta(hours=services.desk_settings(access.tenant)["sla_hours"])
        overdue = {"status": Status.SUBMITTED, "submitted_at__lte": cutoff}
        return queryset.filter(**overdue) if value else queryset.exclude(**overdue)


class AccountFilter(django_filters.FilterSet):
    merged = django_filters.ChoiceFilter(
        choices=MERGED_CHOICES, method="merge_state", empty_label=None, label="Merged (default: current only)"
    )

    class Meta:
        model = Account
        fields = ["country", "segment", "industry"]

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        data = data.copy() if data is not None else {}
        data.setdefault("merged", "no")
        super().__init__(data, *args, **kwargs)

    def merge_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "yes":
            return queryset.filter(merged_into__isnull=False)
        if value == "all":
            return queryset
        return queryset.filter(merged_into__isnull=True)


class VendorOpportunityFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id", label="Account id")

    class Meta:
        model = VendorOpportunity
        fields = ["is_open", "external_id"]


class RevenueRecordFilter(django_filters.FilterSet):
    partner = IdFilter(field_name="partner_id", label="Partner id")
    direct = django_filters.BooleanFilter(field_name="partner", lookup_expr="isnull", label="Not attributed")
    account = IdFilter(field_name="account_id", label="Account id")
    period_from = django_filters.DateFilter(method="from_month", label="From this month on (any day of it)")
    period_to = django_filters.DateFilter(field_name="period", lookup_expr="lte", label="Up to this month")
    kind = django_filters.MultipleChoiceFilter(choices=RevenueRecord.Kind.choices, label="Kind (repeatable)")

    class Meta:
        model = RevenueRecord
        fields = ["recurring", "registration"]

    def from_month(self, queryset: QuerySet, name: str, value: date | None) -> QuerySet:
        return queryset if value is None else queryset.filter(period__gte=value.replace(day=1))


# --- registrations -----------------------------------------------------------------------------


class _PipelineViewSet(PartnerScopedViewSet):
    filter_backends = [DjangoFilterBackend, SearchFilter, StableOrderingFilter]


class RegistrationViewSet(_PipelineViewSet):
    """Deal registrations. Partner callers register deals for their own company, pre-check a
    customer, list and read their own registrations and ask for extensions; staff see all,
    register on a partner's behalf, decide (approve, reject), close (won, lost), extend and
    assign a co-sell rep.

    The manager's queue is ``?status=submitted&ordering=-has_conflict,submitted_at`` (conflicts
    first, oldest first); ``?overdue=true`` lists those waiting past the decision SLA.
    """

    model = DealRegistration
    serializer_class = RegistrationSerializer
    read_serializer = RegistrationSerializer
    write_serializers = {"create": RegistrationCreateSerializer}
    partner_field = "partner_id"
    filterset_class = RegistrationFilter
    search_fields = ["opportunity_name", "account__name", "account__domain", "partner__name"]
    ordering_fields = [
        "submitted_at",
        "decided_at",
        "amount_reporting",
        "expected_close_date",
        "protected_until",
        "status",
        "has_conflict",
        "opportunity_name",
        "closed_on",
    ]
    ordering = ["-submitted_at", "-pk"]
    permissions = {
        "list": Perm.VIEW_PROGRAM,
        "retrieve": Perm.VIEW_PROGRAM,
        "create": Perm.DECIDE_DEALS,
        "precheck": Perm.VIEW_PROGRAM,
        "request_extension": Perm.DECIDE_DEALS,
        "approve": Perm.DECIDE_DEALS,
        "reject": Perm.DECIDE_DEALS,
        "close": Perm.DECIDE_DEALS,
        "extend": Perm.DECIDE_DEALS,
        "assign_rep": Perm.DECIDE_DEALS,
    }
    partner_permissions = {
        "list": Perm.USE_PORTAL,
        "retrieve": Perm.USE_PORTAL,
        "create": Perm.USE_PORTAL,
        "precheck": Perm.USE_PORTAL,
        "request_extension": Perm.USE_PORTAL,
    }

    def base_queryset(self) -> QuerySet:
        registrations = DealRegistration.objects.select_related("partner", "account", "sales_rep")
        if self.access.is_partner:
            return registrations  # partners are not told which registrations conflict with theirs
        return registrations.prefetch_related(
            Prefetch("conflict_links", queryset=DealConflict.objects.order_by("other_id"))
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context.update(registration_context(self.access))
        return context

    @extend_schema(request=RegistrationCreateSerializer, responses={201: RegistrationSerializer})
    def create(self, request: Request, tenant_slug: str) -> Response:
        """Register a deal (conflicts are flagged at once; the SLA clock starts)."""
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        fields = dict(payload.validated_data)
        registration = services.registration_submit(
            access=self.access,
            account_name=fields.pop("account_name"),
            account_domain=fields.pop("account_domain"),
            partner_id=fields.pop("partner", None),
            fields=fields,
        )
        return self._read(registration, 201)

    @extend_schema(request=PrecheckSerializer, responses=PrecheckResultSerializer)
    @action(detail=False, methods=["post"])
    def precheck(self, request: Request, tenant_slug: str) -> Response:
        """Would a registration for this customer conflict? Says whether, never with whom."""
        payload = self.validated_payload(PrecheckSerializer)
        result = services.account_precheck(
            access=self.access, name=payload["account_name"], domain=payload["account_domain"]
        )
        return Response(PrecheckResultSerializer(result).data)

    @extend_schema(request=ReasonSerializer, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"], url_path="request-extension")
    def request_extension(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Ask for more protection time on an approved registration."""
        registration = self.get_object()
        reason = self.validated_payload(ReasonSerializer)["reason"]
        return self._read(
            services.registration_request_extension(
                access=self.access, registration=registration, reason=reason
            )
        )

    @extend_schema(request=ApproveSerializer, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Approve; when other open registrations claim the account, a reason rejects them."""
        registration = self.get_object()
        payload = self.validated_payload(ApproveSerializer)
        return self._read(
            services.registration_approve(access=self.access, registration=registration, **payload)
        )

    @extend_schema(request=ReasonSerializer, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Reject, with the reason the partner will read."""
        registration = self.get_object()
        reason = self.validated_payload(ReasonSerializer)["reason"]
        return self._read(
            services.registration_reject(access=self.access, registration=registration, reason=reason)
        )

    @extend_schema(request=CloseSerializer, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Record the outcome of an approved deal: won (with the amount, optionally booked as
        revenue) or lost."""
        registration = self.get_object()
        payload = self.validated_payload(CloseSerializer)
        return self._read(
            services.registration_close(access=self.access, registration=registration, **payload)
        )

    @extend_schema(request=None, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Grant another protection period."""
        return self._read(services.registration_extend(access=self.access, registration=self.get_object()))

    @extend_schema(request=AssignRepSerializer, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"], url_path="assign-rep")
    def assign_rep(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Name the vendor sales rep who co-sells the approved deal (null removes them)."""
        registration = self.get_object()
        user_id = self.validated_payload(AssignRepSerializer)["user_id"]
        return self._read(
            services.registration_assign_rep(access=self.access, registration=registration, user_id=user_id)
        )


# --- accounts and vendor opportunities ---------------------------------------------------------


class AccountViewSet(_PipelineViewSet):
    """End customers (staff only). Merged duplicates are hidden unless ``merged`` says otherwise."""

    model = Account
    serializer_class = AccountSerializer
    read_serializer = AccountSerializer
    filterset_class = AccountFilter
    search_fields = ["name", "domain"]
    ordering_fields = ["name", "domain", "created_at"]
    ordering = ["name", "pk"]
    permissions = {"list": Perm.VIEW_PROGRAM, "retrieve": Perm.VIEW_PROGRAM, "merge": Perm.DECIDE_DEALS}

    def base_queryset(self) -> QuerySet:
        return Account.objects.all()

    @extend_schema(request=MergeSerializer, responses=AccountSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Fold this duplicate into another account (its registrations, vendor opportunities and
        revenue move over; it stays, pointing at the survivor). Answers the survivor."""
        duplicate = self.get_object()
        payload = MergeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        into = self.get_queryset().filter(pk=payload.validated_data["into"]).first()
        if into is None:
            raise serializers.ValidationError({"into": ["No such account."]})
        return self._read(services.account_merge(access=self.access, duplicate=duplicate, into=into))


@extend_schema_view(
    create=extend_schema(
        request=VendorOpportunityCreateSerializer, responses={201: VendorOpportunitySerializer}
    ),
    partial_update=extend_schema(
        request=VendorOpportunityUpdateSerializer, responses=VendorOpportunitySerializer
    ),
)
class VendorOpportunityViewSet(_PipelineViewSet):
    """Opportunities the vendor's own sales team works, as its CRM reports them (staff only). An
    open one on a customer makes partner registrations for that customer conflict."""

    model = VendorOpportunity
    serializer_class = VendorOpportunitySerializer
    read_serializer = VendorOpportunitySerializer
    write_serializers = {
        "create": VendorOpportunityCreateSerializer,
        "partial_update": VendorOpportunityUpdateSerializer,
    }
    filterset_class = VendorOpportunityFilter
    search_fields = ["name", "external_id", "account__name", "account__domain"]
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name", "pk"]
    permissions = {
        "list": Perm.VIEW_PROGRAM,
        "retrieve": Perm.VIEW_PROGRAM,
        "create": Perm.DECIDE_DEALS,
        "partial_update": Perm.DECIDE_DEALS,
    }

    def base_queryset(self) -> QuerySet:
        return VendorOpportunity.objects.select_related("account", "owner")

    def create(self, request: Request, tenant_slug: str) -> Response:
        payload = VendorOpportunityCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        fields = payload.fields_for_service()
        opportunity = services.vendor_opportunity_create(
            access=self.access,
            account_name=fields.pop("account_name"),
            account_domain=fields.pop("account_domain"),
            fields=fields,
        )
        return self._read(opportunity, 201)

    def partial_update(self, request: Request, tenant_slug: str, pk: str) -> Response:
        opportunity = self.get_object()
        payload = VendorOpportunityUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        return self._read(
            services.vendor_opportunity_update(
                access=self.access, opportunity=opportunity, fields=payload.fields_for_service()
            )
        )


# --- revenue -----------------------------------------------------------------------------------


class RevenueRecordViewSet(_PipelineViewSet):
    """Revenue records: one month of one account, attributed to a partner or direct. Staff list
    and record them, one at a time or in bulk (all rows or none); partner callers read the
    records attributed to their own company."""

    model = RevenueRecord
    serializer_class = RevenueRecordSerializer
    read_serializer = RevenueRecordSerializer
    write_serializers = {"create": RevenueRowSerializer}
    partner_field = "partner_id"
    filterset_class = RevenueRecordFilter
    search_fields = ["account__name", "account__domain", "reference"]
    ordering_fields = ["period", "amount_reporting", "created_at"]
    ordering = ["-period", "-pk"]
    permissions = {
        "list": Perm.VIEW_PROGRAM,
        "retrieve": Perm.VIEW_PROGRAM,
        "create": Perm.MANAGE_PARTNERS,
        "bulk": Perm.MANAGE_PARTNERS,
    }
    partner_permissions = {"list": Perm.USE_PORTAL, "retrieve": Perm.USE_PORTAL}

    def base_queryset(self) -> QuerySet:
        return RevenueRecord.objects.select_related("account", "partner")

    @extend_schema(request=RevenueRowSerializer, responses={201: RevenueRecordSerializer})
    def create(self, request: Request, tenant_slug: str) -> Response:
        (fields,) = revenue_fields(self.access, request.data, bulk=False)
        return self._read(services.revenue_record_create(access=self.access, fields=fields), 201)

    @extend_schema(request=RevenueRowSerializer(many=True), responses={201: BulkRevenueResultSerializer})
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request, tenant_slug: str) -> Response:
        """Record many rows at once, all or none: any invalid row refuses the batch, and the
        errors name the row (``row 3: amount``) and the field."""
        rows = revenue_fields(self.access, request.data, bulk=True)
        records = services.revenue_records_bulk_create(access=self.access, rows=rows)
        results = RevenueRecordSerializer(records, many=True, context=self.get_serializer_context()).data
        return Response({"created": len(records), "results": results}, status=201)


# --- metrics -----------------------------------------------------------------------------------


def _listed(request: Request, name: str) -> list[str]:
    """A repeatable, comma-separable query parameter as a list of its values."""
    return [
        value.strip()
        for raw in request.query_params.getlist(name)
        for value in raw.split(",")
        if value.strip()
    ]


def _metrics_period(access: TenantAccess, request: Request) -> FiscalPeriod:
    start_month = access.tenant.fiscal_year_start_month
    label = request.query_params.get("period", "").strip()
    if not label:
        return fiscal_quarter_of(timezone.localdate(), start_month)
    try:
        return parse_period(label, start_month)
    except ValueError as error:
        raise serializers.ValidationError({"period": [str(error)]}) from None


def _metrics_chosen(request: Request) -> list[prm.metrics.Metric]:
    keys = list(dict.fromkeys(_listed(request, "keys")))
    if not keys:
        return prm.metrics.catalog()
    known = {metric.key: metric for metric in prm.metrics.catalog()}
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise serializers.ValidationError(
            {"keys": [f"Unknown metric(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}."]}
        )
    return [known[key] for key in keys]


def _metrics_partner_ids(access: TenantAccess, request: Request) -> list[int]:
    """Partner roles: their own partner, always. Staff: the partners asked for, else every
    current (not archived) partner of the tenant."""
    try:
        asked = sorted({int(value) for value in _listed(request, "partner")})
    except ValueError:
        raise serializers.ValidationError({"partner": ["Give partner ids (whole numbers)."]}) from None
    if access.is_partner:
        own = access.require_partner()
        if any(pid != own for pid in asked):
            raise serializers.ValidationError({"partner": ["You see your own company's metrics only."]})
        return [own]
    visible = partner_queries.partners(access)
    if not asked:
        return list(visible.filter(archived_at__isnull=True).order_by("pk").values_list("pk", flat=True))
    found = set(visible.filter(pk__in=asked).values_list("pk", flat=True))
    missing = [pid for pid in asked if pid not in found]
    if missing:
        raise serializers.ValidationError({"partner": [f"No such partner: {', '.join(map(str, missing))}."]})
    return asked


class MetricsViewSet(TenantScopedMixin, viewsets.ViewSet):
    """Metric values from the catalog, for a fiscal period and a set of partners."""

    permissions = {"list": Perm.VIEW_REPORTS, "catalog": Perm.VIEW_REPORTS}
    partner_permissions = {"list": Perm.USE_PORTAL, "catalog": Perm.USE_PORTAL}

    def required_permission(self, request: Request) -> Perm | None:
        table = self.partner_permissions if self.access.is_partner else self.permissions
        return table.get(getattr(self, "action", None) or "")

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "period", OpenApiTypes.STR, description="FY2026 or FY2026-Q3; default: the current quarter."
            ),
            OpenApiParameter(
                "keys",
                OpenApiTypes.STR,
                description="Comma-separated metric keys; default: the whole catalog.",
            ),
            OpenApiParameter(
                "partner",
                OpenApiTypes.INT,
                many=True,
                explode=True,
                description="Partner id (repeatable). Staff: default every current partner. Partner callers: "
                "always their own company.",
            ),
        ],
        responses=MetricsResultSerializer,
    )
    def list(self, request: Request, tenant_slug: str) -> Response:
        """Each metric's value for every partner of the set: one query per metric, whatever the
        number of partners. Money is in the program's reporting currency."""
        access = self.access
        period = _metrics_period(access, request)
        metrics = _metrics_chosen(request)
        partner_ids = _metrics_partner_ids(access, request)
        results = []
        for metric in metrics:
            values = metric.compute(tenant=access.tenant, partner_ids=partner_ids, period=period)
            results.append(
                {
                    **metric_definition(metric),
                    "values": {str(pid): metric_value(metric, v) for pid, v in values.items()},
                }
            )
        return Response(
            {
                "period": period.label,
                "start": period.start,
                "end": period.end,
                "currency": access.tenant.currency,
                "partners": partner_ids,
                "metrics": results,
            }
        )

    @extend_schema(responses=MetricDefinitionSerializer(many=True))
    @action(detail=False, methods=["get"])
    def catalog(self, request: Request, tenant_slug: str) -> Response:
        """Every metric of the catalog: key, label, unit and exact definition."""
        return Response([metric_definition(metric) for metric in prm.metrics.catalog()])


__all__ = [
    "AccountViewSet",
    "MetricsViewSet",
    "RegistrationViewSet",
    "RevenueRecordViewSet",
    "VendorOpportunityViewSet",
]
