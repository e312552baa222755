"""Partner API: partners, their contacts and certifications.

Reads come from the sealed tenant queryset (partner roles see their own partner only:
``partner_field``); every write goes through ``partners.services``, which checks the role,
validates (errors name the field) and records the audit event. Input is strict: a field the
caller may not set is a 400 naming it, never silently ignored.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response

from prm.api import PartnerScopedViewSet, StableOrderingFilter
from prm.filters import IdFilter
from prm.permissions import Perm

from .. import queries, services
from ..filters import PartnerFilter
from ..models import Certification, Contact, Partner, PartnerAttribute
from .serializers import (
    ARCHIVED_CHOICES,
    CertificationCreateSerializer,
    CertificationSerializer,
    CertificationUpdateSerializer,
    ContactCreateSerializer,
    ContactSerializer,
    ContactUpdateSerializer,
    PartnerCreateSerializer,
    PartnerSerializer,
    PartnerUpdateSerializer,
    StatusChangeSerializer,
    split_attributes,
)


class PartnerFilterBackend(DjangoFilterBackend):
    """The directory's ``PartnerFilter``, with the tenant's staff as manager choices."""

    def get_filterset_kwargs(self, request: Request, queryset: QuerySet, view: Any) -> dict[str, Any]:
        return {
            **super().get_filterset_kwargs(request, queryset, view),
            "staff_users": queries.staff_users(view.access),
        }


class _ArchivableFilter(django_filters.FilterSet):
    partner = IdFilter(field_name="partner_id", label="Partner id")
    archived = django_filters.ChoiceFilter(
        choices=ARCHIVED_CHOICES,
        method="archive_state",
        empty_label=None,
        label="Archived (default: current only)",
    )

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        data = data.copy() if data is not None else {}
        data.setdefault("archived", "no")
        super().__init__(data, *args, **kwargs)

    def archive_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "yes":
            return queryset.filter(archived_at__isnull=False)
        if value == "all":
            return queryset
        return queryset.filter(archived_at__isnull=True)


class ContactFilter(_ArchivableFilter):
    class Meta:
        model = Contact
        fields = ["role"]


class CertificationFilter(_ArchivableFilter):
    contact = IdFilter(field_name="contact_id", label="Contact id")
    expired = django_filters.BooleanFilter(
        method="expired_state", label="Expired (true) or still valid (false)"
    )
    expiring_within_days = django_filters.NumberFilter(
        method="expiring_within", min_value=0, max_value=3650, label="Valid today and expiring within N days"
    )

    class Meta:
        model = Certification
        fields = ["holder"]

    def expired_state(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        today = timezone.localdate()
        if value:
            return queryset.filter(expires_on__lt=today)
        return queryset.exclude(expires_on__lt=today)

    def expiring_within(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        if value is None:
            return queryset
        today = timezone.localdate()
        return queryset.filter(expires_on__gte=today, expires_on__lte=today + timedelta(days=int(value)))


# --- viewsets ----------------------------------------------------------------------------------


class PartnerViewSet(PartnerScopedViewSet):
    """Partner companies of the tenant; partner roles see their own company only.

    The list takes the directory's filters (``q``, ``status``, ``tier``, ``classification``,
    ``type``, ``motion``, ``region``, ``vertical``, ``segment``, ``manager``,
    ``cert_expiring_days``, ``archived``, ``sort``), so a directory URL's query works here too,
    plus the API's usual ``search`` and ``ordering``.
    """

    model = Partner
    serializer_class = PartnerSerializer
    read_serializer = PartnerSerializer
    write_serializers = {"create": PartnerCreateSerializer, "partial_update": PartnerUpdateSerializer}
    partner_field = "pk"
    filter_backends = [PartnerFilterBackend, SearchFilter, StableOrderingFilter]
    filterset_class = PartnerFilter
    search_fields = ["name", "domain"]
    ordering_fields = ["name", "status", "country", "join_date", "created_at", "updated_at"]
    permissions = {
        "list": Perm.VIEW_PROGRAM,
        "retrieve": Perm.VIEW_PROGRAM,
        "create": Perm.MANAGE_PARTNERS,
        "partial_update": Perm.MANAGE_PARTNERS,
        "change_status": Perm.MANAGE_PARTNERS,
        "archive": Perm.MANAGE_PARTNERS,
        "restore": Perm.MANAGE_PARTNERS,
    }
    # A partner admin keeps its own profile current; everything else is the vendor's call.
    partner_permissions = {
        "list": Perm.USE_PORTAL,
        "retrieve": Perm.USE_PORTAL,
        "partial_update": Perm.EDIT_OWN_PARTNER,
    }

    def base_queryset(self) -> QuerySet:
        qs = queries.partners(self.access).select_related("tier", "partner_manager", "vendor_sponsor")
        if self.action == "list":  # the list serializer reads the attributes as plain values
            return qs
        return qs.prefetch_related(
            Prefetch("attributes", queryset=PartnerAttribute.objects.order_by("kind", "value"))
        )

    @extend_schema(request=PartnerCreateSerializer, responses={201: PartnerSerializer})
    def create(self, request: Request, tenant_slug: str) -> Response:
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        fields, attributes = split_attributes(payload.validated_data)
        status = fields.pop("status")
        partner = services.partner_create(
            access=self.access, fields=fields, attributes=attributes, status=status
        )
        return self._read(partner, 201)

    @extend_schema(request=PartnerUpdateSerializer, responses=PartnerSerializer)
    def partial_update(self, request: Request, tenant_slug: str, pk: str) -> Response:
        partner = self.get_object()
        payload = self.get_serializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        fields, attributes = split_attributes(payload.validated_data)
        update = services.partner_update_own_profile if self.access.is_partner else services.partner_update
        return self._read(update(access=self.access, partner=partner, fields=fields, attributes=attributes))

    @extend_schema(request=StatusChangeSerializer, responses=PartnerSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Move the partner along its lifecycle; the reason is kept in its history."""
        partner = self.get_object()
        payload = StatusChangeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._read(
            services.partner_change_status(access=self.access, partner=partner, **payload.validated_data)
        )

    @extend_schema(request=None, responses=PartnerSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Take the partner out of the directory; everything is kept and it can be restored."""
        return self._read(services.partner_archive(access=self.access, partner=self.get_object()))

    @extend_schema(request=None, responses=PartnerSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Bring an archived partner back into the directory, as it was."""
        return self._read(services.partner_restore(access=self.access, partner=self.get_object()))


class _PartnerChildViewSet(PartnerScopedViewSet):
    """Contacts and certifications: staff manage all, a partner admin its own company's.

    Subclasses name the services: ``create_row``, ``update_row`` and ``set_archived``.
    """

    partner_field = "partner_id"
    permissions = {
        "list": Perm.VIEW_PROGRAM,
        "retrieve": Perm.VIEW_PROGRAM,
        "create": Perm.MANAGE_PARTNERS,
        "partial_update": Perm.MANAGE_PARTNERS,
        "archive": Perm.MANAGE_PARTNERS,
        "restore": Perm.MANAGE_PARTNERS,
    }
    partner_permissions = {
        "list": Perm.USE_PORTAL,
        "retrieve": Perm.USE_PORTAL,
        "create": Perm.EDIT_OWN_PARTNER,
        "partial_update": Perm.EDIT_OWN_PARTNER,
        "archive": Perm.EDIT_OWN_PARTNER,
        "restore": Perm.EDIT_OWN_PARTNER,
    }

    def create_row(self, partner: Partner, fields: dict[str, Any]) -> Any:
        raise NotImplementedError

    def update_row(self, instance: Any, fields: dict[str, Any]) -> Any:
        raise NotImplementedError

    def set_archived(self, instance: Any, archived: bool) -> Any:
        raise NotImplementedError

    def _validated(self, *, partial: bool) -> dict[str, Any]:
        payload = self.get_serializer(data=self.request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        return dict(payload.validated_data)

    def create(self, request: Request, tenant_slug: str) -> Response:
        fields = self._validated(partial=False)
        partner = fields.pop("partner", None)
        if partner is None:  # a partner caller's rows belong to its own company
            if not self.access.is_partner:
                raise serializers.ValidationError({"partner": ["This field is required."]})
            partner = queries.own_partner(self.access)
        return self._read(self.create_row(partner, fields), 201)

    def partial_update(self, request: Request, tenant_slug: str, pk: str) -> Response:
        instance = self.get_object()
        return self._read(self.update_row(instance, self._validated(partial=True)))

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Hide it from lists; it is kept and can be restored."""
        return self._read(self.set_archived(self.get_object(), True))

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Bring an archived one back."""
        return self._read(self.set_archived(self.get_object(), False))


@extend_schema_view(
    create=extend_schema(request=ContactCreateSerializer, responses={201: ContactSerializer}),
    partial_update=extend_schema(request=ContactUpdateSerializer, responses=ContactSerializer),
)
class ContactViewSet(_PartnerChildViewSet):
    """People at partner companies. Archived contacts (people who left) are hidden unless
    ``archived`` says otherwise; their certifications stay."""

    model = Contact
    serializer_class = ContactSerializer
    read_serializer = ContactSerializer
    write_serializers = {"create": ContactCreateSerializer, "partial_update": ContactUpdateSerializer}
    filterset_class = ContactFilter
    search_fields = ["name", "email", "title"]
    ordering_fields = ["name", "email", "role", "created_at", "updated_at"]
    ordering = ["name", "pk"]

    def base_queryset(self) -> QuerySet:
        return Contact.objects.filter(partner__in=queries.partners(self.access))

    def create_row(self, partner: Partner, fields: dict[str, Any]) -> Contact:
        return services.contact_create(access=self.access, partner=partner, fields=fields)

    def update_row(self, instance: Contact, fields: dict[str, Any]) -> Contact:
        return services.contact_update(access=self.access, contact=instance, fields=fields)

    def set_archived(self, instance: Contact, archived: bool) -> Contact:
        return services.contact_set_archived(access=self.access, contact=instance, archived=archived)


@extend_schema_view(
    create=extend_schema(request=CertificationCreateSerializer, responses={201: CertificationSerializer}),
    partial_update=extend_schema(request=CertificationUpdateSerializer, responses=CertificationSerializer),
)
class CertificationViewSet(_PartnerChildViewSet):
    """Certifications of partner companies and their people. Expired ones stay, marked
    ``is_expired``; archiving is for one recorded by mistake."""

    model = Certification
    serializer_class = CertificationSerializer
    read_serializer = CertificationSerializer
    write_serializers = {
        "create": CertificationCreateSerializer,
        "partial_update": CertificationUpdateSerializer,
    }
    filterset_class = CertificationFilter
    search_fields = ["name", "level"]
    ordering_fields = ["name", "earned_on", "expires_on", "created_at", "updated_at"]
    ordering = ["-earned_on", "name", "pk"]

    def base_queryset(self) -> QuerySet:
        return Certification.objects.filter(partner__in=queries.partners(self.access))

    def create_row(self, partner: Partner, fields: dict[str, Any]) -> Certification:
        return services.certification_create(access=self.access, partner=partner, fields=fields)

    def update_row(self, instance: Certification, fields: dict[str, Any]) -> Certification:
        return services.certification_update(access=self.access, certification=instance, fields=fields)

    def set_archived(self, instance: Certification, archived: bool) -> Certification:
        return services.certification_set_archived(
            access=self.access, certification=instance, archived=archived
        )
