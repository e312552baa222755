"""Factories for partner profiles: tiers, partners, contacts and certifications."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from partners.models import Certification, Contact, Partner, Tier
from tests.prm.factories import TenantOwnedFactory


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
