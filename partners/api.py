"""Partner API. Partner roles see their own partner only (``partner_field = "pk"``)."""

from django.db.models import QuerySet
from rest_framework import mixins
from rest_framework.request import Request

from prm.api import TenantModelSerializer, TenantViewSet
from prm.permissions import Perm

from . import queries
from .models import Partner


class PartnerSerializer(TenantModelSerializer):
    class Meta:
        model = Partner
        fields = ["id", "name", "status", "created_at", "updated_at"]
        read_only_fields = fields


class PartnerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Partner companies of the tenant."""

    model = Partner
    serializer_class = PartnerSerializer
    partner_field = "pk"
    filterset_fields = ["status"]
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]
    permissions = {"list": Perm.VIEW_PROGRAM, "retrieve": Perm.VIEW_PROGRAM}

    def required_permission(self, request: Request) -> Perm | None:
        # Partner roles read their own company (scoped by partner_field).
        if self.access.is_partner and self.action in {"list", "retrieve"}:
            return Perm.USE_PORTAL
        return super().required_permission(request)

    def base_queryset(self) -> QuerySet:
        return queries.partners(self.access)


