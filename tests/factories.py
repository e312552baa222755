"""Factories for every app. Tenant-owned rows are created inside their tenant's context, so they
pass the scoped manager's checks and PostgreSQL's row-level security like production writes."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from partners.models import Certification, Contact, Partner, Tier
from pipeline.models import Account, DealRegistration, RevenueRecord
from prm.models import ApiKey, Invitation, Membership, Tenant, User, hash_secret
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


class PartnerFactory(TenantOwnedFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")
    status = Partner.Status.ACTIVE


class TierFactory(TenantOwnedFactory):
    class Meta:
        model = Tier

    name = factory.Sequence(lambda n: f"Tier {n}")
    rank = factory.Sequence(lambda n: n % 99 + 1)
    classification = "tactical"


class ContactFactory(TenantOwnedFactory):
    """A contact of ``partner`` (in the partner's tenant)."""

    class Meta:
        model = Contact

    partner = factory.SubFactory(PartnerFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@partner.example")
    role = "primary"


class CertificationFactory(TenantOwnedFactory):
    """A company certification of ``partner``, earned a year ago, never expiring unless told."""

    class Meta:
        model = Certification

    partner = factory.SubFactory(PartnerFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    name = factory.Sequence(lambda n: f"Certification {n}")
    holder = Certification.Holder.COMPANY
    earned_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=365))
    expires_on = None


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
            kwargs["partner"] = PartnerFactory(tenant=kwargs["tenant"])
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


class AccountFactory(TenantOwnedFactory):
    """An end customer of the tenant given (or the current one)."""

    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Customer {n}")
    domain = factory.Sequence(lambda n: f"customer{n}.example")


class DealRegistrationFactory(TenantOwnedFactory):
    """A registration of ``partner`` (in the partner's tenant), submitted just now, on a new account
    unless one is given. A raw row: no status history, conflicts or e-mail (services do those)."""

    class Meta:
        model = DealRegistration

    partner = factory.SubFactory(PartnerFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    account = factory.LazyAttribute(lambda o: AccountFactory(tenant=o.partner.tenant))
    opportunity_name = factory.Sequence(lambda n: f"Opportunity {n}")
    products = "Platform"
    amount = Decimal("10000.00")
    currency = factory.LazyAttribute(lambda o: o.partner.tenant.currency)
    amount_reporting = factory.LazyAttribute(lambda o: o.amount)
    expected_close_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=60))
    status = DealRegistration.Status.SUBMITTED
    submitted_at = factory.LazyFunction(timezone.now)


class RevenueRecordFactory(TenantOwnedFactory):
    """One month of new recurring revenue on ``account`` (in the account's tenant), direct unless
    a partner is given."""

    class Meta:
        model = RevenueRecord

    account = factory.SubFactory(AccountFactory)
    tenant = factory.LazyAttribute(lambda o: o.account.tenant)
    partner = None
    period = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    kind = RevenueRecord.Kind.NEW
    recurring = True
    amount = Decimal("1000.00")
    currency = factory.LazyAttribute(lambda o: o.account.tenant.currency)
    amount_reporting = factory.LazyAttribute(lambda o: o.amount)
