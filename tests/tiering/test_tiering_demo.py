"""The demo portfolio after recalculation is believable: about eight strategic partners, a few
proposals waiting, one concentration alert; finishing again changes nothing."""

from __future__ import annotations

import time
from contextlib import contextmanager

from partners.models import Partner
from prm import metrics
from prm.metrics import Metric, Unit
from prm.tenancy import tenant_context
from tests.pipeline.test_demo import seed_demo_tenant
from tiering import demo as tiering_demo
from tiering.models import BalanceAlert, ScoreSnapshot, TierChangeProposal


@contextmanager
def plans_signed_by_strategic_partners():
    """Stand-in for the plans app's ``jbp_signed``: its demo signs a plan for every strategic partner."""
    saved = dict(metrics._CATALOG)

    def signed(tenant, ids, period):
        return dict.fromkeys(
            Partner.objects.filter(pk__in=ids, tier__classification="strategic").values_list("pk", flat=True),
            1,
        )

    metrics._CATALOG.pop("jbp_signed", None)
    metrics.register(Metric("jbp_signed", "Signed plan", Unit.COUNT, signed))
    try:
        yield
    finally:
        metrics._CATALOG.clear()
        metrics._CATALOG.update(saved)


def test_the_demo_portfolio_after_recalculation(db):
    tenant, staff, _ = seed_demo_tenant()
    with plans_signed_by_strategic_partners(), tenant_context(tenant):
        started = time.monotonic()
        tiering_demo.finish(tenant=tenant, staff=staff)
        seconds = time.monotonic() - started
        strategic = Partner.objects.filter(tier__classification="strategic").count()
        pending = TierChangeProposal.objects.filter(status="pending").count()
        alerts = BalanceAlert.objects.filter(resolved_on__isnull=True, kind="concentration").count()
        runs = ScoreSnapshot.objects.values("run_on").distinct().count()
        snapshots = ScoreSnapshot.objects.count()
        tiering_demo.finish(tenant=tenant, staff=staff)  # idempotent
        assert ScoreSnapshot.objects.count() == snapshots
        assert TierChangeProposal.objects.filter(status="pending").count() == pending
    assert 7 <= strategic <= 10
    assert 1 <= pending <= 6
    assert alerts == 1
    assert runs == len(tiering_demo.RUN_DAYS_AGO)
    assert seconds < 10
