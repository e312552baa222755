"""Factories for joint business plans and what hangs off them. Raw rows for tests that need a plan
in some state without testing how it got there: no versions, comments, audit events or e-mail
(the services in ``tests/jbp/helpers.py`` do those)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from jbp.models import ActionItem, Activity, Investment, Plan, Review, Side, Target
from tests.partners.factories import PartnerFactory
from tests.prm.factories import TenantOwnedFactory


class PlanFactory(TenantOwnedFactory):
    """A draft plan of ``partner`` (in the partner's tenant) for this calendar year."""

    class Meta:
        model = Plan

    partner = factory.SubFactory(PartnerFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    fiscal_year = factory.LazyFunction(lambda: timezone.localdate().year)
    title = factory.LazyAttribute(lambda o: f"{o.partner.name} joint business plan FY{o.fiscal_year}")
    status = Plan.Status.DRAFT

    class Params:
        # Partner approved and signed by the vendor executive: active, version 1.
        signed = factory.Trait(
            status=Plan.Status.ACTIVE,
            version=1,
            shared_at=factory.LazyFunction(timezone.now),
            partner_approved_at=factory.LazyFunction(timezone.now),
            signed_at=factory.LazyFunction(timezone.now),
        )


class PlanRowFactory(TenantOwnedFactory):
    """Base of the rows of a plan: in the plan's tenant."""

    class Meta:
        abstract = True

    plan = factory.SubFactory(PlanFactory)
    tenant = factory.LazyAttribute(lambda o: o.plan.tenant)


class TargetFactory(PlanRowFactory):
    """A quarterly revenue commitment of 1,000 unless told."""

    class Meta:
        model = Target

    kind = Target.Kind.REVENUE
    metric_key = "revenue"
    quarter = 1
    value = Decimal(1000)


class InvestmentFactory(PlanRowFactory):
    """The vendor's whole-year MDF commitment of 1,000 unless told."""

    class Meta:
        model = Investment

    side = Side.VENDOR
    kind = Investment.Kind.MDF
    description = factory.Sequence(lambda n: f"Investment {n}")
    quarter = None
    amount = Decimal(1000)


class ActivityFactory(PlanRowFactory):
    class Meta:
        model = Activity

    name = factory.Sequence(lambda n: f"Activity {n}")
    type = Activity.Type.WEBINAR
    quarter = 1
    owner_name = "Owner"


class ReviewFactory(PlanRowFactory):
    """A quarterly review held today about Q1."""

    class Meta:
        model = Review

    quarter = 1
    held_on = factory.LazyFunction(timezone.localdate)
    vendor_attendees = "Vendor attendee"
    partner_attendees = "Partner attendee"


class ActionItemFactory(PlanRowFactory):
    """An open action item of ``review`` (and its plan), due in a week."""

    class Meta:
        model = ActionItem

    review = factory.SubFactory(ReviewFactory)
    plan = factory.LazyAttribute(lambda o: o.review.plan)
    title = factory.Sequence(lambda n: f"Action {n}")
    owner_side = Side.PARTNER
    owner_name = "Owner"
    due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=7))
