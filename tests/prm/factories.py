"""Factories for the core's rows: tenants, users, memberships, invitations and API keys, and the base
every app's factories build on: tenant-owned rows are created inside their tenant's context, so
they pass the scoped manager's checks and PostgreSQL's row-level security like production writes."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone
from factory.utils import import_object

from prm import closing
from prm.models import ApiKey, Invitation, Membership, Tenant, User, hash_secret
from prm.periods import FiscalPeriod, fiscal_quarter_of
from prm.permissions import PARTNER_ROLES, Role
from prm.tenancy import get_current_tenant, tenant_context

PASSWORD = "correct-horse-battery"


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"tenant-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    currency = "USD"
    fiscal_year_start_month = 1


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class TenantOwnedFactory(factory.django.DjangoModelFactory):
    """Creates the row inside ``tenant_context(tenant)``: the tenant given, else the current one."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        tenant = kwargs.pop("tenant", None) or get_current_tenant()
        if tenant is None:
            raise ValueError(f"{cls.__name__} needs tenant=… or an active tenant_context")
        with tenant_context(tenant):
            return super()._create(model_class, *args, **kwargs)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    tenant = factory.SubFactory(TenantFactory)
    role = Role.MANAGER
    partner = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if kwargs["role"] in PARTNER_ROLES and kwargs.get("partner") is None:
            # By name: the partners' factories stand on these ones.
            partner_factory = import_object("tests.partners.factories", "PartnerFactory")
            kwargs["partner"] = partner_factory(tenant=kwargs["tenant"])
        return super()._create(model_class, *args, **kwargs)


class InvitationFactory(TenantOwnedFactory):
    class Meta:
        model = Invitation

    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MANAGER
    token_hash = factory.Sequence(lambda n: hash_secret(f"token-{n}"))
    expires_at = factory.LazyFunction(Invitation.default_expiry)


class ApiKeyFactory(TenantOwnedFactory):
    class Meta:
        model = ApiKey

    name = factory.Sequence(lambda n: f"Key {n}")
    role = Role.MANAGER
    key_prefix = "prm_test"
    key_hash = factory.Sequence(lambda n: hash_secret(f"key-{n}"))


# --- closed fiscal quarters: finance acting through the services ---------------------------------


def quarters_ago(n: int, start_month: int = 1) -> FiscalPeriod:
    """The fiscal quarter ``n`` quarters before today's (0: the running one)."""
    quarter = fiscal_quarter_of(timezone.localdate(), start_month)
    for _ in range(n):
        quarter = quarter.previous()
    return quarter


def close(world, quarter: FiscalPeriod, role=Role.FINANCE, note: str = ""):
    with tenant_context(world.tenant):
        return closing.period_close(access=world.access(role), quarter=quarter.label, note=note)


def reopen(world, quarter: FiscalPeriod, reason: str = "Late credit note", role=Role.FINANCE):
    with tenant_context(world.tenant):
        return closing.period_reopen(access=world.access(role), quarter=quarter.label, reason=reason)


def set_policy(world, policy: str):
    with tenant_context(world.tenant):
        closing.late_entries_set(access=world.access(Role.FINANCE), policy=policy)
