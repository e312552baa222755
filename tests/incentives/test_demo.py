"""The demo incentives: a fund per quarter with every status, balanced ledgers, rebates accrued
and statements for the portal's Northwind Systems; fast and idempotent."""

from __future__ import annotations

import time
from collections import Counter

from incentives import demo
from incentives.models import Allocation, Claim, Fund, FundRequest, RebateAccrual, RebateStatement
from prm.tenancy import tenant_context
from tests.pipeline.test_demo import seed_demo_tenant


def test_demo_incentives_cover_every_status_and_keep_the_ledger(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    tenant, staff, _ = seed_demo_tenant()
    with tenant_context(tenant):
        started = time.monotonic()
        demo.seed(tenant=tenant, staff=staff)
        seconds = time.monotonic() - started
        funds = list(Fund.objects.all())
        northwind = Counter(
            FundRequest.objects.filter(partner__domain="northwindsystems.example").values_list(
                "status", flat=True
            )
        )
        claims = Counter(
            Claim.objects.filter(partner__domain="northwindsystems.example").values_list("status", flat=True)
        )
        for fund in funds:
            assert fund.budget >= fund.allocated >= fund.committed >= fund.claimed >= fund.paid >= 0
        for allocation in Allocation.objects.all():
            assert allocation.allocated >= allocation.committed >= allocation.claimed >= allocation.paid >= 0
        assert len({f.period for f in funds}) == 4
        assert set(northwind) >= {"submitted", "approved", "rejected", "settled"}
        assert set(claims) >= {"submitted", "rejected", "paid"}
        assert RebateAccrual.objects.filter(partner__domain="northwindsystems.example").exists()
        assert RebateStatement.objects.exists()
        demo.seed(tenant=tenant, staff=staff)  # again: nothing new
        assert Fund.objects.count() == len(funds)
    assert seconds < 20
