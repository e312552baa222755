"""Incentives API: funds, allocations, fund requests, claims (with proof uploads), payouts,
rebate programs, accruals and statements — the same rules as the pages, through the same services.

Partner callers see and act on their own partner's allocations, requests, claims, payouts,
accruals and approved statements only (``partner_field``); funds and programs are staff's.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from partners.models import Partner
from prm.api import PartnerScopedViewSet
from prm.periods import parse_period
from prm.permissions import Perm

from .. import queries, services
from ..models import (
    Allocation,
    Claim,
    Fund,
    FundRequest,
    Payout,
    RebateAccrual,
    RebateProgram,
    RebateStatement,
)
from .serializers import (
    AllocateSerializer,
    AllocationReportSerializer,
    AllocationSerializer,
    ClaimCreateSerializer,
    ClaimSerializer,
    DecisionReasonSerializer,
    FundCreateSerializer,
    FundRequestCreateSerializer,
    FundRequestSerializer,
    FundSerializer,
    FundUpdateSerializer,
    Liability,
    MoneyDecisionSerializer,
    PayoutCreateSerializer,
    PayoutSerializer,
    RebateAccrualSerializer,
    RebateProgramCreateSerializer,
    RebateProgramSerializer,
    RebateStatementSerializer,
    StatementPaySerializer,
)

# --- viewsets ----------------------------------------------------------------------------------


class _IncentiveViewSet(PartnerScopedViewSet):
    http_method_names = ["get", "post", "head", "options"]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def check_permissions(self, request: Request) -> None:
        # A row that is not the caller's is a 404 whatever the role, so a refused action never
        # tells whether another tenant's or partner's row exists.
        if self.detail and self.action is not None and getattr(request, "access", None) is not None:
            perm = self.required_permission(request)
            if perm is not None and not self.access.can(perm):
                self.get_object()
        super().check_permissions(request)


class FundViewSet(_IncentiveViewSet):
    """MDF funds with their ledger (budget ≥ allocated ≥ committed ≥ claimed ≥ paid). Staff only."""

    model = Fund
    serializer_class = read_serializer = FundSerializer
    write_serializers = {"create": FundCreateSerializer, "allocate": AllocateSerializer}
    filterset_fields = ["period"]
    ordering_fields = ["starts_on", "budget", "claim_deadline"]
    ordering = ["-starts_on", "pk"]
    permissions = {
        "list": Perm.VIEW_PROGRAM,
        "retrieve": Perm.VIEW_PROGRAM,
        "create": Perm.MANAGE_PROGRAM,
        "change": Perm.MANAGE_PROGRAM,
        "allocate": Perm.DECIDE_MDF_REQUESTS,
        "apply_tier_rule": Perm.DECIDE_MDF_REQUESTS,
        "allocate_from_jbp": Perm.DECIDE_MDF_REQUESTS,
        "liability": Perm.VIEW_PROGRAM,
    }

    def base_queryset(self) -> QuerySet:
        return Fund.objects.prefetch_related("eligible_tiers")

    @extend_schema(request=FundCreateSerializer, responses={201: FundSerializer})
    def create(self, request: Request, tenant_slug: str) -> Response:
        data = self.validated_payload(FundCreateSerializer)
        fund = services.fund_create(
            access=self.access,
            name=data["name"],
            period=data["period"],
            budget=data["budget"],
            claim_deadline=data["claim_deadline"],
            eligible_tier_ids=data["eligible_tiers"],
            tier_amounts=data["tier_amounts"],
        )
        return self._read(self.base_queryset().get(pk=fund.pk), 201)

    @extend_schema(request=FundUpdateSerializer, responses=FundSerializer)
    @action(detail=True, methods=["post"])
    def change(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Change the budget (never below what is allocated) or the claim deadline."""
        fund = self.get_object()
        data = self.validated_payload(FundUpdateSerializer)
        services.fund_update(access=self.access, fund=fund, **data)
        return self._read(self.base_queryset().get(pk=fund.pk))

    @extend_schema(request=AllocateSerializer, responses=AllocationSerializer)
    @action(detail=True, methods=["post"])
    def allocate(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Set one partner's allocation (never beyond the pool, never below its commitments)."""
        fund = self.get_object()
        data = self.validated_payload(AllocateSerializer)
        partner = Partner.objects.filter(pk=data["partner"]).first()
        if partner is None:
            raise serializers.ValidationError({"partner": ["Choose a partner of this program."]})
        allocation = services.allocation_set(
            access=self.access, fund=fund, partner=partner, amount=data["amount"], note=data["note"]
        )
        return Response(AllocationSerializer(allocation).data)

    @extend_schema(request=None, responses=AllocationReportSerializer)
    @action(detail=True, methods=["post"], url_path="apply-tier-rule")
    def apply_tier_rule(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Allocate every eligible partner without an allocation its tier's amount while the pool
        lasts (strategic first, then by score, then by name; full amounts only); the report says
        who was allocated and who was left out and why."""
        report = services.allocations_apply_tier_rule(access=self.access, fund=self.get_object())
        return Response(AllocationReportSerializer(report).data)

    @extend_schema(request=None, responses=AllocationReportSerializer)
    @action(detail=True, methods=["post"], url_path="allocate-from-jbp")
    def allocate_from_jbp(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Strategic partners get their JBP's MDF commitment for the fund's period while the pool
        lasts (by score, then by name; full amounts only); the report says who was left out and why."""
        report = services.allocations_from_jbp(access=self.access, fund=self.get_object())
        return Response(AllocationReportSerializer(report).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("period", OpenApiTypes.STR, description="FY2026-Q3 (default: this quarter)")
        ],
        responses=Liability,
    )
    @action(detail=False, methods=["get"])
    def liability(self, request: Request, tenant_slug: str) -> Response:
        """Fund utilisation and rebate liability (accrued, forecast, approved, paid) for a period."""
        label = request.query_params.get("period")
        try:
            period = (
                parse_period(label, self.access.tenant.fiscal_year_start_month)
                if label
                else services.current_quarter(self.access.tenant)
            )
        except ValueError as error:
            raise serializers.ValidationError({"period": [str(error)]}) from None
        report = queries.liability(self.access, period)
        # Money as strings, like every amount of the API (never floats).
        for section in ("funds", "rebates"):
            report[section] = {k: None if v is None else str(v) for k, v in report[section].items()}
        return Response(report)


class AllocationViewSet(_IncentiveViewSet):
    """Allocations per partner and fund, with each one's ledger; partners see their own."""

    model = Allocation
    serializer_class = read_serializer = AllocationSerializer
    partner_field = "partner_id"
    filterset_fields = ["fund", "partner", "source"]
    ordering_fields = ["allocated", "committed"]
    ordering = ["pk"]
    permissions = {"list": Perm.VIEW_PROGRAM, "retrieve": Perm.VIEW_PROGRAM}
    partner_permissions = {"list": Perm.USE_PORTAL, "retrieve": Perm.USE_PORTAL}

    def base_queryset(self) -> QuerySet:
        return Allocation.objects.select_related("partner")


class FundRequestViewSet(_IncentiveViewSet):
    """Fund requests: partners submit against their allocation; managers approve (full or part)
    or reject with a reason."""

    model = FundRequest
    serializer_class = read_serializer = FundRequestSerializer
    write_serializers = {"create": FundRequestCreateSerializer}
    partner_field = "partner_id"
    filterset_fields = ["status", "partner", "activity_type"]
    ordering_fields = ["submitted_at", "requested_amount"]
    ordering = ["-submitted_at", "-pk"]
    permissions = {
        "list": Perm.VIEW_PROGRAM,
        "retrieve": Perm.VIEW_PROGRAM,
        "create": Perm.DECIDE_MDF_REQUESTS,
        "approve": Perm.DECIDE_MDF_REQUESTS,
        "reject": Perm.DECIDE_MDF_REQUESTS,
    }
    partner_permissions = {"list": Perm.USE_PORTAL, "retrieve": Perm.USE_PORTAL, "create": Perm.USE_PORTAL}

    def base_queryset(self) -> QuerySet:
        return FundRequest.objects.select_related("partner", "allocation").prefetch_related("claims")

    @extend_schema(request=FundRequestCreateSerializer, responses={201: FundRequestSerializer})
    def create(self, request: Request, tenant_slug: str) -> Response:
        data = self.validated_payload(FundRequestCreateSerializer)
        allocation = queries.allocations(self.access).filter(pk=data.pop("allocation")).first()
        if allocation is None:
            raise serializers.ValidationError({"allocation": ["Choose one of your allocations."]})
        created = services.fund_request_submit(access=self.access, allocation=allocation, fields=data)
        return self._read(self.base_queryset().get(pk=created.pk), 201)

    @extend_schema(request=MoneyDecisionSerializer, responses=FundRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, tenant_slug: str, pk: str) -> Response:
        fund_request = self.get_object()
        data = self.validated_payload(MoneyDecisionSerializer)
        return self._read(services.fund_request_approve(access=self.access, request=fund_request, **data))

    @extend_schema(request=DecisionReasonSerializer, responses=FundRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, tenant_slug: str, pk: str) -> Response:
        fund_request = self.get_object()
        data = self.validated_payload(DecisionReasonSerializer)
        return self._read(services.fund_request_reject(access=self.access, request=fund_request, **data))


class ClaimViewSet(_IncentiveViewSet):
    """Claims with proof of performance (multipart upload); finance approves or rejects (never the
    person who requested or approved the activity) and records payouts."""

    model = Claim
    serializer_class = read_serializer = ClaimSerializer
    write_serializers = {"create": ClaimCreateSerializer}
    partner_field = "partner_id"
    filterset_fields = ["status", "partner"]
    ordering_fields = ["submitted_at", "amount"]
    ordering = ["-submitted_at", "-pk"]
    permissions = {
        "list": Perm.VIEW_PROGRAM,
        "retrieve": Perm.VIEW_PROGRAM,
        "create": Perm.DECIDE_MDF_REQUESTS,
        "approve": Perm.APPROVE_MONEY,
        "reject": Perm.APPROVE_MONEY,
        "pay": Perm.APPROVE_MONEY,
    }
    partner_permissions = {"list": Perm.USE_PORTAL, "retrieve": Perm.USE_PORTAL, "create": Perm.USE_PORTAL}

    def base_queryset(self) -> QuerySet:
        return Claim.objects.select_related("partner").prefetch_related("documents", "registrations")

    @extend_schema(request={"multipart/form-data": ClaimCreateSerializer}, responses={201: ClaimSerializer})
    def create(self, request: Request, tenant_slug: str) -> Response:
        payload = ClaimCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        files = request.FILES.getlist("proof") if hasattr(request, "FILES") else []
        fund_request = queries.fund_requests(self.access).filter(pk=data.pop("request")).first()
        if fund_request is None:
            raise serializers.ValidationError({"request": ["Choose one of your approved requests."]})
        data.pop("proof", None)
        registration_ids = data.pop("registrations")
        claim = services.claim_submit(
            access=self.access,
            request=fund_request,
            fields=data,
            files=files,
            registration_ids=registration_ids,
        )
        return self._read(self.base_queryset().get(pk=claim.pk), 201)

    @extend_schema(request=MoneyDecisionSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, tenant_slug: str, pk: str) -> Response:
        claim = self.get_object()
        data = self.validated_payload(MoneyDecisionSerializer)
        return self._read(services.claim_approve(access=self.access, claim=claim, amount=data["amount"]))

    @extend_schema(request=DecisionReasonSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, tenant_slug: str, pk: str) -> Response:
        claim = self.get_object()
        data = self.validated_payload(DecisionReasonSerializer)
        return self._read(services.claim_reject(access=self.access, claim=claim, reason=data["reason"]))

    @extend_schema(request=PayoutCreateSerializer, responses={201: PayoutSerializer})
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, tenant_slug: str, pk: str) -> Response:
        claim = self.get_object()
        data = self.validated_payload(PayoutCreateSerializer)
        payout = services.payout_record(access=self.access, claim=claim, **data)
        return Response(PayoutSerializer(payout).data, status=201)


class PayoutViewSet(_IncentiveViewSet):
    """Payouts recorded against approved claims (for the accounts-payable system)."""

    model = Payout
    serializer_class = read_serializer = PayoutSerializer
    partner_field = "partner_id"
    filterset_fields = ["partner", "claim", "paid_on"]
    ordering_fields = ["paid_on", "amount"]
    ordering = ["-paid_on", "-pk"]
    permissions = {"list": Perm.VIEW_PROGRAM, "retrieve": Perm.VIEW_PROGRAM}
    partner_permissions = {"list": Perm.USE_PORTAL, "retrieve": Perm.USE_PORTAL}

    def base_queryset(self) -> QuerySet:
        return Payout.objects.select_related("partner")


class RebateProgramViewSet(_IncentiveViewSet):
    """Rebate programs with their rate table; accrue on demand; close the period into statements."""

    model = RebateProgram
    serializer_class = read_serializer = RebateProgramSerializer
    write_serializers = {"create": RebateProgramCreateSerializer}
    filterset_fields = ["period", "method", "basis_metric"]
    ordering = ["-starts_on", "pk"]
    permissions = {
        "list": Perm.VIEW_PROGRAM,
        "retrieve": Perm.VIEW_PROGRAM,
        "create": Perm.MANAGE_PROGRAM,
        "accrue": Perm.VIEW_PROGRAM,
        "close": Perm.APPROVE_MONEY,
    }

    def base_queryset(self) -> QuerySet:
        return RebateProgram.objects.prefetch_related("bands", "eligible_tiers")

    @extend_schema(request=RebateProgramCreateSerializer, responses={201: RebateProgramSerializer})
    def create(self, request: Request, tenant_slug: str) -> Response:
        data = self.validated_payload(RebateProgramCreateSerializer)
        data["eligible_tier_ids"] = data.pop("eligible_tiers")
        data["bands"] = [dict(b) for b in data["bands"]]
        program = services.rebate_program_create(access=self.access, **data)
        return self._read(self.base_queryset().get(pk=program.pk), 201)

    @extend_schema(
        request=None, responses=inline_serializer("Accrued", {"partners": serializers.IntegerField()})
    )
    @action(detail=True, methods=["post"])
    def accrue(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Recompute every eligible partner's accrual and forecast now (program managers and finance)."""
        program = self.get_object()
        return Response({"partners": services.rebate_accruals_compute(access=self.access, program=program)})

    @extend_schema(request=None, responses=RebateStatementSerializer(many=True))
    @action(detail=True, methods=["post"])
    def close(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """After the period: one draft statement per partner with a rebate."""
        statements = services.rebate_statements_close(access=self.access, program=self.get_object())
        return Response(RebateStatementSerializer(statements, many=True).data)


class RebateAccrualViewSet(_IncentiveViewSet):
    """Accruals to date with line detail and the forecast; partners see their own."""

    model = RebateAccrual
    serializer_class = read_serializer = RebateAccrualSerializer
    partner_field = "partner_id"
    filterset_fields = ["program", "partner"]
    ordering = ["pk"]
    permissions = {"list": Perm.VIEW_PROGRAM, "retrieve": Perm.VIEW_PROGRAM}
    partner_permissions = {"list": Perm.USE_PORTAL, "retrieve": Perm.USE_PORTAL}

    def base_queryset(self) -> QuerySet:
        return RebateAccrual.objects.select_related("partner")


class RebateStatementViewSet(_IncentiveViewSet):
    """Statements at period close; partners see theirs once finance approved them."""

    model = RebateStatement
    serializer_class = read_serializer = RebateStatementSerializer
    partner_field = "partner_id"
    filterset_fields = ["program", "partner", "status"]
    ordering = ["pk"]
    permissions = {
        "list": Perm.VIEW_PROGRAM,
        "retrieve": Perm.VIEW_PROGRAM,
        "approve": Perm.APPROVE_MONEY,
        "pay": Perm.APPROVE_MONEY,
    }
    partner_permissions = {"list": Perm.USE_PORTAL, "retrieve": Perm.USE_PORTAL}

    def base_queryset(self) -> QuerySet:
        statements = RebateStatement.objects.select_related("partner")
        if self.access.is_partner:
            statements = statements.exclude(status=RebateStatement.Status.DRAFT)
        return statements

    @extend_schema(request=None, responses=RebateStatementSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, tenant_slug: str, pk: str) -> Response:
        return self._read(services.rebate_statement_approve(access=self.access, statement=self.get_object()))

    @extend_schema(request=StatementPaySerializer, responses=RebateStatementSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, tenant_slug: str, pk: str) -> Response:
        statement = self.get_object()
        data = self.validated_payload(StatementPaySerializer)
        return self._read(services.rebate_statement_pay(access=self.access, statement=statement, **data))
