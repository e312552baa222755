"""Factories for the pipeline: end-customer accounts, deal registrations and revenue records."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from pipeline.models import Account, DealRegistration, RevenueRecord
from tests.partners.factories import PartnerFactory
from tests.prm.factories import TenantOwnedFactory


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
