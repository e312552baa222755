"""API of closed fiscal quarters: the quarters with their state, close, reopen, and the tenant's
choice for entries dated in a closed quarter. The same services and permissions as the page."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from . import closing
from .api import StrictInputMixin, TenantScopedMixin
from .permissions import Perm


class FiscalQuarterSerializer(serializers.Serializer[Any]):
    quarter = serializers.CharField(source="label", help_text="FY2026-Q2")
    starts_on = serializers.DateField(source="period.start")
    ends_on = serializers.DateField(source="period.end")
    state = serializers.ChoiceField(
        choices=["current", "open", "closed"], help_text="current: not ended yet, so it cannot be closed."
    )
    closed_at = serializers.DateTimeField(allow_null=True)
    closed_by = serializers.CharField()
    note = serializers.CharField()
    can_close = serializers.BooleanField(help_text="Whether it is the quarter that may be closed next.")
    can_reopen = serializers.BooleanField()


class QuarterCloseSerializer(StrictInputMixin, serializers.Serializer[Any]):
    quarter = serializers.CharField(max_length=12, help_text="The fiscal quarter, e.g. FY2026-Q2.")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class QuarterReopenSerializer(StrictInputMixin, serializers.Serializer[Any]):
    quarter = serializers.CharField(max_length=12, help_text="The fiscal quarter, e.g. FY2026-Q2.")
    reason = serializers.CharField(max_length=2000, help_text="Kept in the audit trail.")


class LateEntriesSerializer(StrictInputMixin, serializers.Serializer[Any]):
    late_entries = serializers.ChoiceField(
        choices=closing.LateEntries.choices,
        help_text="What happens to an entry dated in a closed quarter: refused (the default), or "
        "booked as an adjustment in the first open quarter with a reason.",
    )


class FiscalQuarterViewSet(TenantScopedMixin, viewsets.ViewSet):
    """Fiscal quarters: staff with reports read them; finance closes and reopens them and chooses
    what happens to late entries."""

    permissions = {
        "list": Perm.VIEW_REPORTS,
        "close": Perm.APPROVE_MONEY,
        "reopen": Perm.APPROVE_MONEY,
        "late_entries": Perm.VIEW_REPORTS,
    }

    def required_permission(self, request: Request) -> Perm | None:
        action_name = getattr(self, "action", None) or ""
        if action_name == "late_entries" and request.method == "PATCH":
            return Perm.APPROVE_MONEY
        return self.permissions.get(action_name)

    def _quarters(self, labels: set[str] | None = None) -> list[dict[str, Any]]:
        states = closing.quarters(self.access)
        chosen = [q for q in states if labels is None or q.label in labels]
        return list(FiscalQuarterSerializer(chosen, many=True).data)

    @extend_schema(responses=FiscalQuarterSerializer(many=True))
    def list(self, request: Request, tenant_slug: str) -> Response:
        """The current quarter and the ones before it, newest first, with their state."""
        return Response(self._quarters())

    @extend_schema(request=QuarterCloseSerializer, responses=FiscalQuarterSerializer(many=True))
    @action(detail=False, methods=["post"])
    def close(self, request: Request, tenant_slug: str) -> Response:
        """Close an ended quarter (quarters close in order). Answers with the quarter closed."""
        payload = _validated(QuarterCloseSerializer, request)
        row = closing.period_close(access=self.access, quarter=payload["quarter"], note=payload["note"])
        return Response(self._quarters({row.label}))

    @extend_schema(request=QuarterReopenSerializer, responses=FiscalQuarterSerializer(many=True))
    @action(detail=False, methods=["post"])
    def reopen(self, request: Request, tenant_slug: str) -> Response:
        """Reopen a closed quarter and every later closed one. Answers with the quarters reopened."""
        payload = _validated(QuarterReopenSerializer, request)
        rows = closing.period_reopen(access=self.access, quarter=payload["quarter"], reason=payload["reason"])
        return Response(self._quarters({row.label for row in rows}))

    @extend_schema(
        methods=["GET"], responses=LateEntriesSerializer, description="The tenant's choice for late entries."
    )
    @extend_schema(methods=["PATCH"], request=LateEntriesSerializer, responses=LateEntriesSerializer)
    @action(detail=False, methods=["get", "patch"], url_path="late-entries")
    def late_entries(self, request: Request, tenant_slug: str) -> Response:
        """What happens to an entry dated in a closed quarter (PATCH: finance changes it)."""
        if request.method == "PATCH":
            payload = _validated(LateEntriesSerializer, request)
            closing.late_entries_set(access=self.access, policy=payload["late_entries"])
        return Response({"late_entries": closing.late_entries(self.access.tenant)})


def _validated(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    payload = serializer_class(data=request.data)
    payload.is_valid(raise_exception=True)
    return dict(payload.validated_data)
