"""Core models: users, tenants, memberships, and the tenant-owned base every app builds on.

Each model is declared either tenant-owned (``TenantOwnedModel``: a non-null tenant, a scoped
``objects`` manager that raises with no tenant set, row-level security on PostgreSQL) or global
(``GlobalModel``: users, tenants and memberships, read before a tenant is chosen).
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from functools import cache
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .constraints import check, unique, validate_constraints
from .permissions import PARTNER_ROLES, Role
from .tenancy import get_current_tenant, require_current_tenant


class GlobalModel(models.Model):
    """A model that is not owned by a tenant (declared so on purpose)."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def validate_constraints(self, exclude: Any = None) -> None:
        validate_constraints(self, exclude)  # each violation in words, on its field


class TenantMismatch(ValidationError):
    """A row of one tenant was about to be saved under, or pointed at from, another."""


class TenantQuerySet(models.QuerySet[Any]):
    """Bulk writes keep the rules that ``save`` enforces row by row."""

    def update(self, **kwargs: Any) -> int:
        _check_update_targets(self.model, kwargs)
        return super().update(**kwargs)

    def bulk_update(self, objs: Iterable[Any], fields: Any, batch_size: int | None = None) -> int:
        objs = list(objs)
        check_relations_stay_in_tenant(objs)
        return super().bulk_update(objs, fields, batch_size=batch_size)


def _check_update_targets(model: type[models.Model], values: dict[str, Any]) -> None:
    """``QuerySet.update(partner=…)`` may not point rows at another tenant's row."""
    tenant = require_current_tenant()
    for field in _tenant_bound_foreign_keys(model):
        for key in (field.name, field.attname):
            if key not in values or values[key] is None:
                continue
            value = values[key]
            target_id = value.pk if isinstance(value, models.Model) else value
            if not isinstance(target_id, int | str):
                continue  # an expression (F(), subquery): the database policy still applies
            found = (
                field.related_model._base_manager.filter(pk=target_id)
                .values_list("tenant_id", flat=True)
                .first()
            )
            if found != tenant.pk:
                _raise_cross_tenant(field)


_TenantManagerBase = models.Manager.from_queryset(TenantQuerySet)


class TenantManager(_TenantManagerBase[Any]):
    """The scoped manager: rows of the current tenant only; raises when no tenant is set."""

    def get_queryset(self) -> models.QuerySet[Any]:
        tenant = require_current_tenant()
        return super().get_queryset().filter(tenant_id=tenant.pk)

    def none(self) -> models.QuerySet[Any]:
        # An empty queryset reads nothing, so it needs no tenant (schema generators ask for one).
        return super().get_queryset().none()

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        objs = list(objs)
        for obj in objs:
            obj.assign_tenant()
        check_relations_stay_in_tenant(objs)
        return super().bulk_create(objs, *args, **kwargs)


class TenantOwnedModel(models.Model):
    """Base of every tenant-owned row.

    ``all_tenants`` is declared first so Django's internals (related managers, deletion,
    serialisation) keep working; ``objects`` is what application code uses.
    """

    tenant = models.ForeignKey("prm.Tenant", on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    all_tenants = models.Manager()  # unscoped: for deliberate cross-tenant work only
    objects = TenantManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.assign_tenant()
        check_relations_stay_in_tenant([self])
        super().save(*args, **kwargs)

    def validate_constraints(self, exclude: Any = None) -> None:
        validate_constraints(self, exclude)  # each violation in words, on its field

    def assign_tenant(self) -> None:
        current = get_current_tenant()
        if self.tenant_id is None:
            self.tenant = require_current_tenant()
        elif current is not None and current.pk != self.tenant_id:
            raise TenantMismatch(
                f"{type(self).__name__} belongs to tenant {self.tenant_id}, not to the current tenant {current.pk}."
            )


@cache
def _tenant_bound_foreign_keys(model: type[models.Model]) -> tuple[models.ForeignKey[Any, Any], ...]:
    """Foreign keys of ``model`` that point at rows which carry a tenant themselves."""
    fields = []
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.ForeignKey) or field.name == "tenant":
            continue
        related = field.related_model
        if any(f.name == "tenant" for f in related._meta.concrete_fields):
            fields.append(field)
    return tuple(fields)


def check_relations_stay_in_tenant(objs: list[Any]) -> None:
    """Refuse any foreign key from these rows to a row of another tenant.

    One query per foreign key field for the whole batch, and none for related objects that are
    already loaded.
    """
    if not objs:
        return
    model: type[models.Model] = type(objs[0])
    for field in _tenant_bound_foreign_keys(model):
        unresolved: dict[Any, set[int]] = defaultdict(set)
        for obj in objs:
            target_id = getattr(obj, field.attname)
            if target_id is None:
                continue
            if field.is_cached(obj):
                if getattr(obj, field.name).tenant_id != obj.tenant_id:
                    _raise_cross_tenant(field)
            else:
                unresolved[target_id].add(obj.tenant_id)
        if unresolved:
            found = dict(
                field.related_model._base_manager.filter(pk__in=list(unresolved)).values_list(
                    "pk", "tenant_id"
                )
            )
            for target_id, tenant_ids in unresolved.items():
                if tenant_ids != {found.get(target_id)}:
                    _raise_cross_tenant(field)


def _raise_cross_tenant(field: models.ForeignKey[Any, Any]) -> None:
    raise TenantMismatch({field.name: f"The selected {field.verbose_name} does not exist in this tenant."})


def actor_key_field() -> models.ForeignKey[Any, Any]:
    """The API-key sibling of a "by" column: set when an API key acted instead of a person
    (``prm.actors``). Keys are revoked, never deleted, so the record keeps its actor."""
    return models.ForeignKey(
        "prm.ApiKey",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The API key that acted, when no person did.",
    )


# --- users -----------------------------------------------------------------------------------


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(GlobalModel, AbstractBaseUser, PermissionsMixin):
    """One login per person (e-mail and password or e-mailed code), across all tenants."""

    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use Django's admin site (operators only).")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


# --- tenants and memberships -----------------------------------------------------------------

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    "Use 1–50 lowercase letters, digits and hyphens, not starting or ending with a hyphen.",
)
currency_validator = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code such as USD or EUR.")


class Tenant(GlobalModel):
    """A vendor running a partner program."""

    slug = models.SlugField(max_length=50, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200)
    currency = models.CharField(
        "reporting currency", max_length=3, default="USD", validators=[currency_validator]
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text="Month (1–12) in which the fiscal year starts.",
    )
    settings = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(GlobalModel):
    """A user's one role in one tenant; partner roles name the partner company.

    Global on purpose: it is read before a tenant is chosen (the tenant picker, the membership
    check), so it carries its tenant as a plain column and is always filtered by it.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    partner = models.ForeignKey(
        settings.PRM_PARTNER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
    )
    is_active = models.BooleanField(default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    deactivated_by_key = actor_key_field()

    class Meta:
        ordering = ["tenant__name", "user__email"]
        constraints = [
            unique(
                "membership_one_per_user_and_tenant",
                ["tenant", "user"],
                "This person is already a member of this tenant.",
                field="user",
            ),
            check(
                "membership_partner_iff_partner_role",
                (Q(role__in=sorted(PARTNER_ROLES)) & Q(partner__isnull=False))
                | (~Q(role__in=sorted(PARTNER_ROLES)) & Q(partner__isnull=True)),
                "A partner role names the partner company; a staff role names none.",
                field="partner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} at {self.tenant}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        check_relations_stay_in_tenant([self])
        super().save(*args, **kwargs)

    def clean(self) -> None:
        validate_role_and_partner(self.role, self.partner_id)


def partner_model() -> type[models.Model]:
    """The partner company model (``settings.PRM_PARTNER_MODEL``; the core names no app)."""
    return Membership._meta.get_field("partner").related_model


def validate_role_and_partner(role: str, partner_id: int | None) -> None:
    if role in PARTNER_ROLES and partner_id is None:
        raise ValidationError({"partner": "A partner role must name the partner company."})
    if role not in PARTNER_ROLES and partner_id is not None:
        raise ValidationError({"partner": "Only partner roles belong to a partner company."})


# --- audit -----------------------------------------------------------------------------------


class AuditEvent(TenantOwnedModel):
    """Who did what to which record, with the state before and after. Append-only."""

    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(
        max_length=200, blank=True, help_text="Who acted, as shown (user or API key)."
    )
    verb = models.CharField(max_length=80)
    target_type = models.CharField(max_length=80)
    target_id = models.CharField(max_length=40)
    target_repr = models.CharField(max_length=300, blank=True)
    partner = models.ForeignKey(
        settings.PRM_PARTNER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "target_type", "target_id"]),
            models.Index(fields=["tenant", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.verb} {self.target_repr}"


# --- API keys and invitations --------------------------------------------------------------------


def hash_secret(secret: str) -> str:
    """SHA-256 of a high-entropy secret (API key or invitation token); only the hash is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKey(TenantOwnedModel):
    """A tenant API key acting with one role (and one partner, for partner roles)."""

    PREFIX = "prm_"

    name = models.CharField(max_length=100)
    role = models.CharField(max_length=20, choices=Role.choices)
    partner = models.ForeignKey(
        settings.PRM_PARTNER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="api_keys"
    )
    key_prefix = models.CharField(max_length=16, help_text="The first characters, to recognise a key.")
    key_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            unique(
                "apikey_hash_unique", ["tenant", "key_hash"], "This key exists already: generate a new one."
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def generate_secret(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    def clean(self) -> None:
        validate_role_and_partner(self.role, self.partner_id)


class Invitation(TenantOwnedModel):
    """An e-mailed offer of a membership; accepted once, before it expires."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    email = models.EmailField("e-mail address")
    role = models.CharField(max_length=20, choices=Role.choices)
    partner = models.ForeignKey(
        settings.PRM_PARTNER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
    )
    token_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    invited_by_key = actor_key_field()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            unique(
                "invitation_token_unique",
                ["tenant", "token_hash"],
                "This invitation link exists already: send a new invitation.",
            ),
            unique(
                "invitation_one_pending_per_email",
                ["tenant", "email"],
                "This address has a pending invitation already.",
                field="email",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email} as {self.get_role_display()}"

    @staticmethod
    def default_expiry() -> Any:
        return timezone.now() + timedelta(days=settings.PRM_INVITATION_DAYS)

    @property
    def is_usable(self) -> bool:
        return self.status == self.Status.PENDING and self.expires_at > timezone.now()

    def clean(self) -> None:
        validate_role_and_partner(self.role, self.partner_id)


# --- closed fiscal periods -----------------------------------------------------------------------


class ClosedPeriod(TenantOwnedModel):
    """Finance closed a fiscal quarter: nothing dated inside it changes silently any more.

    One row per close. Reopening stamps ``reopened_at`` on the row (it stays as history); closing
    the quarter again makes a new row. At most one row per quarter is in force (not reopened).
    """

    label = models.CharField("quarter", max_length=12, help_text="The fiscal quarter, e.g. FY2026-Q2.")
    starts_on = models.DateField()
    ends_on = models.DateField()
    closed_at = models.DateTimeField()
    closed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    closed_by_label = models.CharField(max_length=200, blank=True, help_text="Who closed it, as shown.")
    note = models.TextField(blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reopened_by_label = models.CharField(max_length=200, blank=True)
    reopen_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-starts_on", "-closed_at"]
        constraints = [
            unique(
                "closed_period_one_in_force_per_quarter",
                ["tenant", "label"],
                "This quarter is closed already.",
                field="label",
                condition=Q(reopened_at__isnull=True),
            ),
            check(
                "closed_period_bounds",
                Q(starts_on__lte=models.F("ends_on")),
                "The quarter must end on or after the day it starts.",
                field="ends_on",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "reopened_at", "starts_on"])]

    def __str__(self) -> str:
        return f"{self.label} ({'reopened' if self.reopened_at else 'closed'})"

    @property
    def in_force(self) -> bool:
        return self.reopened_at is None
