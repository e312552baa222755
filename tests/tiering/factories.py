"""Factories for tiering's rows: raw rows in their tenant, no permission check, audit event or
recalculation (the services do those). Tests of a service call the service; tests that only need
the rows to exist build them here."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import factory
from django.db.models import Max
from django.utils import timezone

from prm.tenancy import get_current_tenant, tenant_context
from tests.partners.factories import PartnerFactory, TierFactory
from tests.prm.factories import TenantOwnedFactory
from tiering.models import (
    BalanceAlert,
    Criterion,
    ManualRating,
    PortfolioReview,
    ReviewDecision,
    Scorecard,
    ScoreRun,
    ScoreSnapshot,
    TierChange,
    TierChangeProposal,
    TieringSettings,
)


class TieringSettingsFactory(TenantOwnedFactory):
    """The tenant's portfolio settings row (the model's defaults unless told)."""

    class Meta:
        model = TieringSettings


class ScorecardFactory(TenantOwnedFactory):
    """The tenant's active scorecard, the next version; ``criteria`` (dicts as an admin saves them)
    become its criteria in order. The version that was active is no longer."""

    class Meta:
        model = Scorecard
        skip_postgeneration_save = True

    version = 0  # the next version of the tenant (see _create)
    is_active = True
    note = "test"

    @classmethod
    def _create(cls, model_class: type[Scorecard], *args: Any, **kwargs: Any) -> Scorecard:
        tenant = kwargs.pop("tenant", None) or get_current_tenant()
        if tenant is None:
            raise ValueError("ScorecardFactory needs tenant=… or an active tenant_context")
        with tenant_context(tenant):
            if kwargs.get("version") == 0:
                latest = Scorecard.objects.aggregate(latest=Max("version"))["latest"] or 0
                kwargs["version"] = latest + 1
            if kwargs.get("is_active"):
                Scorecard.objects.filter(is_active=True).update(is_active=False)
            return super()._create(model_class, *args, tenant=tenant, **kwargs)

    @factory.post_generation
    def criteria(self, create: bool, extracted: list[dict[str, Any]] | None, **kwargs: Any) -> None:
        if create and extracted:
            for position, row in enumerate(extracted):
                CriterionFactory(scorecard=self, position=position, **row)


class CriterionFactory(TenantOwnedFactory):
    """A manual criterion of ``scorecard`` unless told otherwise."""

    class Meta:
        model = Criterion

    scorecard = factory.SubFactory(ScorecardFactory)
    tenant = factory.LazyAttribute(lambda o: o.scorecard.tenant)
    key = factory.Sequence(lambda n: f"criterion_{n}")
    label = factory.LazyAttribute(lambda o: o.key.replace("_", " ").capitalize())
    kind = Criterion.Kind.MANUAL
    weight = 100


class ManualRatingFactory(TenantOwnedFactory):
    """A rating of ``partner`` on one manual criterion (1–5), by nobody in particular. One rating
    per partner and criterion: rating again replaces the value and comment."""

    class Meta:
        model = ManualRating

    partner = factory.SubFactory(PartnerFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    key = "fit_to_icp"
    value = 3
    comment = ""

    @classmethod
    def _create(cls, model_class: type[ManualRating], *args: Any, **kwargs: Any) -> ManualRating:
        with tenant_context(kwargs.pop("tenant")):
            rating, _ = model_class.objects.update_or_create(
                partner=kwargs.pop("partner"), key=kwargs.pop("key"), defaults=kwargs
            )
        return rating


class ScoreRunFactory(TenantOwnedFactory):
    """A finished run of the day given, on the active scorecard."""

    class Meta:
        model = ScoreRun

    tenant = factory.LazyFunction(get_current_tenant)
    run_on = factory.LazyFunction(timezone.localdate)
    period_label = "FY2026-Q1"
    scorecard = factory.SubFactory(ScorecardFactory, tenant=factory.SelfAttribute("..tenant"))
    status = ScoreRun.Status.DONE


class ScoreSnapshotFactory(TenantOwnedFactory):
    """``partner``'s score in ``run`` (its day and scorecard)."""

    class Meta:
        model = ScoreSnapshot

    partner = factory.SubFactory(PartnerFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    run = factory.SubFactory(ScoreRunFactory, tenant=factory.SelfAttribute("..tenant"))
    run_on = factory.LazyAttribute(lambda o: o.run.run_on)
    scorecard = factory.LazyAttribute(lambda o: o.run.scorecard)
    score = Decimal("50.00")


class TierChangeProposalFactory(TenantOwnedFactory):
    """A pending proposal to move ``partner`` from its tier to ``to_tier``, as a manager's."""

    class Meta:
        model = TierChangeProposal

    partner = factory.SubFactory(PartnerFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    from_tier = factory.LazyAttribute(lambda o: o.partner.tier)
    to_tier = factory.SubFactory(TierFactory, tenant=factory.SelfAttribute("..tenant"))
    direction = TierChangeProposal.Direction.PROMOTION
    reason = factory.Sequence(lambda n: f"Proposal {n}")


class TierChangeFactory(TenantOwnedFactory):
    """A line of ``partner``'s tier history (the partner's tier itself is left alone)."""

    class Meta:
        model = TierChange

    partner = factory.SubFactory(PartnerFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    to_tier = factory.SubFactory(TierFactory, tenant=factory.SelfAttribute("..tenant"))
    changed_at = factory.LazyFunction(timezone.now)
    reason = "test"


class BalanceAlertFactory(TenantOwnedFactory):
    """An open concentration alert on ``partner``."""

    class Meta:
        model = BalanceAlert

    partner = factory.SubFactory(PartnerFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    kind = BalanceAlert.Kind.CONCENTRATION
    opened_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=1))
    message = "holds too much of the revenue"


class PortfolioReviewFactory(TenantOwnedFactory):
    """An open portfolio review of a fiscal year."""

    class Meta:
        model = PortfolioReview

    fiscal_year = factory.Sequence(lambda n: f"FY{2030 + n}")


class ReviewDecisionFactory(TenantOwnedFactory):
    """A decision on ``partner`` in ``review``."""

    class Meta:
        model = ReviewDecision

    review = factory.SubFactory(PortfolioReviewFactory)
    tenant = factory.LazyAttribute(lambda o: o.review.tenant)
    partner = factory.SubFactory(PartnerFactory, tenant=factory.SelfAttribute("..tenant"))
    decision = ReviewDecision.Decision.KEEP
