"""API base: authentication, permissions, pagination, errors, and the sealed tenant viewset.

The tenant middleware has already resolved who is calling (session member or API key) and
entered the tenant. These classes hand that to DRF, check the role's permission per action,
and build every queryset from the tenant (and, for partner roles, the partner) by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol, cast

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import Model, QuerySet
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import queries, services
from .access import TenantAccess, current_access
from .constraints import constraint_error
from .models import AuditEvent, Invitation, Membership, Tenant, TenantOwnedModel, User
from .permissions import Perm, Role
from .references import referable
from .tenancy import get_current_tenant


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Service errors become JSON naming the field: Django's ValidationError → 400, and so does a
    constraint the database enforced when two requests raced past the service's check."""
    if isinstance(exc, IntegrityError):
        explained = constraint_error(exc)
        if explained is None:
            return None  # not a rule of ours: a server error, as before
        exc = explained
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, list):
        # A 400 is always an object (the schema's ValidationError): messages not about one field
        # (the search filter's "null characters") are the request's as a whole.
        exc = exceptions.ValidationError({"non_field_errors": exc.detail})
    return drf_exception_handler(exc, context)


class TenantApiRequest(Request):
    """An API request under ``/api/v1/t/<slug>/``, as the tenant middleware hands it to DRF.

    For type annotations only: at run time it is DRF's ``Request``, which reads ``tenant`` and
    ``access`` through to the ``HttpRequest`` the middleware set them on.
    """

    tenant: Tenant
    access: TenantAccess


class _HasRequest(Protocol):
    request: Request  # an APIView's; set by dispatch before authentication and permission checks


class TenantScopedMixin:
    """Permission per action, named on the class: ``permissions = {"list": Perm.X, …}``."""

    permissions: ClassVar[dict[str, Perm]] = {}

    @property
    def access(self: _HasRequest) -> TenantAccess:
        """Who is calling in which tenant (``request.access``, resolved by the tenant middleware)."""
        return cast(TenantApiRequest, self.request).access

    def required_permission(self, request: Request) -> Perm | None:
        action = getattr(self, "action", None) or (request.method or "").lower()
        return self.permissions.get(action)


class TenantViewSet(TenantScopedMixin, viewsets.GenericViewSet[Any]):
    """Base of every tenant API viewset. ``get_queryset`` is sealed.

    Subclasses say what to list with ``base_queryset()`` and, to open an endpoint to partner
    roles, ``partner_field`` (the lookup from the row to its partner, ``"pk"`` for partners
    themselves). The sealed method adds the tenant filter and the partner filter; an endpoint
    without ``partner_field`` returns nothing to partner roles.
    """

    model: ClassVar[type[Model]]
    partner_field: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.get_queryset is not TenantViewSet.get_queryset:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset; override base_queryset() instead so the "
                "tenant and partner scoping cannot be forgotten."
            )

    def base_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define base_queryset()")

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no tenant
            return self.model._default_manager.none()
        access = self.access
        qs = self.base_queryset().filter(tenant_id=access.tenant.pk)
        if access.is_partner:
            if self.partner_field is None:
                return qs.none()
            qs = qs.filter(**{self.partner_field: access.partner_id})
        return qs


def scope_related_field(
    field: serializers.Field[Any, Any, Any, Any], *, access: TenantAccess | None, staff: bool
) -> None:
    """Narrow a writable related field (or the child of a many-related one) to the rows the caller
    may reference (``prm.references.referable``)."""
    if isinstance(field, serializers.ManyRelatedField):
        field = field.child_relation
    queryset: QuerySet[Any] | None = getattr(field, "queryset", None)
    if isinstance(field, serializers.RelatedField) and not field.read_only and queryset is not None:
        field.queryset = referable(queryset, access=access, staff=staff)  # type: ignore[arg-type]  # stubs type it as a manager


class ScopedReferencesMixin:
    """Every related field of the serializer accepts only rows the caller may reference.

    The querysets are narrowed when input is validated, after ``__init__`` and anything else has
    set them, so a field declared with a wide queryset (``User.objects.all()``) still refuses a
    user of another tenant, with the same message as for an id that exists nowhere. Fields listed
    in ``staff_references`` accept staff members only.
    """

    staff_references: ClassVar[frozenset[str]] = frozenset()

    def to_internal_value(self, data: Any) -> Any:
        context = getattr(self, "context", {})
        access = context.get("access") or current_access()
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            scope_related_field(field, access=access, staff=name in self.staff_references)
        return super().to_internal_value(data)  # type: ignore[misc]


def _model(model: type[Model] | str) -> type[Model]:
    return apps.get_model(model) if isinstance(model, str) else model


class ReferenceId(serializers.PrimaryKeyRelatedField[Any]):
    """The id of a row the caller may reference, validated like a related field and handed on as
    the id (for serializers whose services take ids). Scoped by itself, in any serializer:
    ``ReferenceId(Partner)``, ``ReferenceId(User, staff=True)``, ``ReferenceId(Tier, many=True)``;
    the model may be named by its label (``settings.PRM_PARTNER_MODEL``)."""

    def __init__(self, model: type[Model] | str, *, staff: bool = False, **kwargs: Any) -> None:
        self.staff = staff
        kwargs.setdefault("queryset", _model(model)._base_manager.all())
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        access = self.context.get("access") or current_access()
        return referable(cast(QuerySet[Any], super().get_queryset()), access=access, staff=self.staff)

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(data).pk

    def to_representation(self, value: Any) -> Any:
        return value if isinstance(value, int) else super().to_representation(value)


class BatchReferenceId(serializers.IntegerField):
    """The id of a row, resolved by the view together with the other rows of a batch (one query
    for all of them, through the tenant's scoped rows and ``prm.references``). It names its
    ``model`` so the generated test (tests/security/test_foreign_references.py) checks that the
    view refuses another tenant's row on this field."""

    def __init__(self, model: type[Model] | str, **kwargs: Any) -> None:
        self.model = _model(model)
        super().__init__(**kwargs)


class TenantModelSerializer(ScopedReferencesMixin, serializers.ModelSerializer[Any]):
    """Related fields choose among rows the caller may reference only (``ScopedReferencesMixin``)."""

    def build_relational_field(self, field_name: str, relation_info: Any) -> tuple[Any, dict[str, Any]]:
        field_class, kwargs = super().build_relational_field(field_name, relation_info)
        model = relation_info.related_model
        if "queryset" in kwargs and issubclass(model, TenantOwnedModel):
            # The scoped manager needs a tenant; schema generation (no tenant) only needs the model.
            kwargs["queryset"] = model.objects.all() if get_current_tenant() else model.objects.none()
        return field_class, kwargs


# --- core endpoints ----------------------------------------------------------------------------


class StrictInputMixin(ScopedReferencesMixin):
    """Refuse keys the caller may not set here, naming them, instead of silently ignoring them.
    (Its related fields are scoped too: every input serializer has this mixin.)"""

    refusals: dict[str, str] = {}

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            writable = {name for name, field in self.fields.items() if not field.read_only}  # type: ignore[attr-defined]
            refused = sorted(set(data.keys()) - writable)
            if refused:
                raise serializers.ValidationError(
                    {name: [self.refusals.get(name, "This field cannot be set here.")] for name in refused}
                )
        return super().to_internal_value(data)


class PersonSerializer(serializers.ModelSerializer[Any]):
    """A staff member named on a partner (partner manager, vendor sponsor)."""

    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields


class StableOrderingFilter(OrderingFilter):
    """``?ordering=`` with the id as last key, so pages never repeat or skip a row."""

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> Sequence[str] | None:
        ordering = super().get_ordering(request, queryset, view)
        return [*ordering, "pk"] if ordering else ordering


class PartnerScopedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The base of the apps' endpoints: read (list, retrieve) plus the writes a subclass routes to
    its services; no PUT and no DELETE (records are archived, not deleted).

    ``permissions`` is the table for staff, ``partner_permissions`` the one for partner roles,
    whose rows are confined to their own partner by ``partner_field``. ``read_serializer`` shapes
    every answer; ``write_serializers`` names the input serializer per action, and
    ``validated_payload`` parses a request body with one of them.
    """

    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends = [DjangoFilterBackend, SearchFilter, StableOrderingFilter]
    partner_permissions: dict[str, Perm] = {}
    read_serializer: type[serializers.BaseSerializer[Any]]
    write_serializers: dict[str, type[serializers.BaseSerializer[Any]]] = {}

    def check_permissions(self, request: Request) -> None:
        if self.action is None:  # a method no route of this endpoint takes (PUT, DELETE): 405, not 403
            raise exceptions.MethodNotAllowed(request.method or "")
        super().check_permissions(request)

    def required_permission(self, request: Request) -> Perm | None:
        table = self.partner_permissions if self.access.is_partner else self.permissions
        return table.get(self.action)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Filters (and their "current only" default) shape lists; an object's own URL finds it
        # archived or not, so it can be read and restored.
        return queryset if self.detail else super().filter_queryset(queryset)

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return self.write_serializers.get(self.action, self.read_serializer)

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if not getattr(self, "swagger_fake_view", False):
            context["access"] = self.access
        return context

    def _read(self, instance: Any, status: int = 200) -> Response:
        return Response(
            self.read_serializer(instance, context=self.get_serializer_context()).data, status=status
        )

    def validated_payload(self, serializer_class: type[serializers.Serializer[Any]]) -> dict[str, Any]:
        """The request body validated by ``serializer_class`` (a 400 naming the fields otherwise)."""
        payload = serializer_class(data=self.request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        return dict(payload.validated_data)


class IsTenantCaller(BasePermission):
    """Any member or key of the tenant (for endpoints about the caller themself)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return getattr(request, "access", None) is not None


class MeView(APIView):
    """Who is calling: tenant, role, partner and permissions."""

    permission_classes = [IsTenantCaller]

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "tenant": serializers.CharField(),
                "tenant_name": serializers.CharField(),
                "currency": serializers.CharField(),
                "role": serializers.ChoiceField(choices=Role.choices),
                "partner_id": serializers.IntegerField(allow_null=True),
                "actor": serializers.CharField(),
                "permissions": serializers.ListField(child=serializers.CharField()),
            },
        )
    )
    def get(self, request: TenantApiRequest, tenant_slug: str) -> Response:
        access = request.access
        return Response(
            {
                "tenant": access.tenant.slug,
                "tenant_name": access.tenant.name,
                "currency": access.tenant.currency,
                "role": access.role,
                "partner_id": access.partner_id,
                "actor": access.actor_label,
                "permissions": sorted(p for p in Perm.values if access.can(p)),
            }
        )


class MembershipSerializer(serializers.ModelSerializer[Any]):
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    partner_id = serializers.IntegerField(allow_null=True, required=False)

    class Meta:
        model = Membership
        fields = [
            "id",
            "email",
            "full_name",
            "role",
            "partner_id",
            "is_active",
            "deactivated_at",
            "created_at",
        ]
        read_only_fields = ["is_active", "deactivated_at", "created_at"]


class RoleChangeSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=Role.choices)
    partner_id = ReferenceId(settings.PRM_PARTNER_MODEL, allow_null=True, required=False, default=None)


class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Members of the tenant. Partner roles see their own company's colleagues."""

    model = Membership
    serializer_class = MembershipSerializer
    partner_field = "partner_id"
    filterset_fields = ["role", "is_active", "partner_id"]
    search_fields = ["user__email", "user__full_name"]
    ordering_fields = ["created_at", "role"]
    permissions = {
        "list": Perm.USE_PORTAL,
        "retrieve": Perm.USE_PORTAL,
        "change_role": Perm.MANAGE_MEMBERS,
        "deactivate": Perm.MANAGE_MEMBERS,
        "reactivate": Perm.MANAGE_MEMBERS,
    }

    def required_permission(self, request: Request) -> Perm | None:
        # Staff who see the program read the member list too.
        if self.action in {"list", "retrieve"} and self.access.can(Perm.VIEW_PROGRAM):
            return Perm.VIEW_PROGRAM
        return super().required_permission(request)

    def base_queryset(self) -> QuerySet[Any]:
        return queries.members(self.access)

    @extend_schema(request=RoleChangeSerializer, responses=MembershipSerializer)
    @action(detail=True, methods=["post"], url_path="role")
    def change_role(self, request: Request, tenant_slug: str, pk: str) -> Response:
        membership = self.get_object()
        payload = RoleChangeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.membership_change_role(access=self.access, membership=membership, **payload.validated_data)
        return Response(self.get_serializer(membership).data)

    @extend_schema(request=None, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, tenant_slug: str, pk: str) -> Response:
        membership = services.membership_deactivate(access=self.access, membership=self.get_object())
        return Response(self.get_serializer(membership).data)

    @extend_schema(request=None, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, tenant_slug: str, pk: str) -> Response:
        membership = services.membership_reactivate(access=self.access, membership=self.get_object())
        return Response(self.get_serializer(membership).data)


class InvitationSerializer(serializers.ModelSerializer[Any]):
    partner_id = ReferenceId(settings.PRM_PARTNER_MODEL, allow_null=True, required=False, default=None)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "partner_id", "status", "expires_at", "created_at"]
        read_only_fields = ["status", "expires_at", "created_at"]


class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Invitations: admins invite anyone; partner admins invite their own colleagues."""

    model = Invitation
    serializer_class = InvitationSerializer
    partner_field = "partner_id"
    filterset_fields = ["status", "role"]
    search_fields = ["email"]
    ordering_fields = ["created_at", "expires_at"]

    def required_permission(self, request: Request) -> Perm | None:
        # Admins manage every invitation; partner admins their own company's (scoped below).
        return Perm.MANAGE_MEMBERS if self.access.can(Perm.MANAGE_MEMBERS) else Perm.INVITE_COLLEAGUES

    def base_queryset(self) -> QuerySet[Any]:
        return queries.invitations(self.access)

    def create(self, request: Request, tenant_slug: str) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        access = self.access
        partner_id = serializer.validated_data.get("partner_id")
        if access.is_partner:
            # Strict input: a partner admin invites to their own company; naming another is a 400.
            if partner_id not in (None, access.partner_id):
                raise serializers.ValidationError(
                    {"partner_id": ["Partner admins invite colleagues of their own company only."]}
                )
            partner_id = access.partner_id
        invitation, _token = services.invitation_create(
            access=access,
            email=serializer.validated_data["email"],
            role=serializer.validated_data["role"],
            partner_id=partner_id,
        )
        return Response(self.get_serializer(invitation).data, status=201)

    @extend_schema(request=None, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, tenant_slug: str, pk: str) -> Response:
        """Withdraw a pending invitation (it is kept, marked revoked)."""
        invitation = services.invitation_revoke(access=self.access, invitation=self.get_object())
        return Response(self.get_serializer(invitation).data)


class AuditEventSerializer(serializers.ModelSerializer[Any]):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor_label",
            "verb",
            "target_type",
            "target_id",
            "target_repr",
            "partner_id",
            "before",
            "after",
        ]


class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The audit trail, newest first (read-only)."""

    model = AuditEvent
    serializer_class = AuditEventSerializer
    filterset_fields = ["verb", "target_type", "target_id", "partner_id"]
    ordering_fields = ["created_at"]
    permissions = {"list": Perm.VIEW_AUDIT, "retrieve": Perm.VIEW_AUDIT}

    def base_queryset(self) -> QuerySet[Any]:
        return queries.audit_events(self.access)

    def list(self, request: Request, tenant_slug: str) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, tenant_slug: str, pk: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)
