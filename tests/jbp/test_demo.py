"""The demo plans: every strategic partner runs on an active plan with targets, investments (an MDF
commitment among them), activities, two past reviews and open action items; Northwind Systems'
plan waits for the portal user's approval; seeding is quick and idempotent."""

from __future__ import annotations

import time

from django.utils import timezone

import prm.metrics
from jbp import demo
from jbp.models import ActionItem, Investment, Plan
from partners.models import Partner
from prm.periods import fiscal_year_of
from prm.tenancy import tenant_context
from tests.pipeline.test_demo import seed_demo_tenant


def test_demo_plans(db):
    tenant, staff, _ = seed_demo_tenant()
    with tenant_context(tenant):
        started = time.monotonic()
        demo.seed(tenant=tenant, staff=staff)
        seconds = time.monotonic() - started
        year = fiscal_year_of(timezone.localdate(), tenant.fiscal_year_start_month)
        strategic = list(
            Partner.objects.filter(tier__classification="strategic", status="active").exclude(
                domain=demo.PORTAL_PARTNER_DOMAIN
            )
        )
        assert strategic
        for partner in strategic:
            plan = Plan.objects.get(partner=partner, fiscal_year=year.fiscal_year)
            assert plan.status == Plan.Status.ACTIVE
            assert plan.version == 1
            assert plan.partner_approved_by_name not in ("", "system")  # the partner sponsor, by name
            assert plan.targets.filter(kind="revenue").count() == 4
            assert plan.targets.filter(kind="other").exists()
            assert plan.investments.filter(side="vendor", kind=Investment.Kind.MDF).exists()
            assert plan.investments.filter(side="partner").exists()
            assert plan.activities.count() == 4
            assert plan.reviews.count() == 2
            assert ActionItem.objects.filter(plan=plan, status="open").exists()
        northwind = Plan.objects.get(partner__domain=demo.PORTAL_PARTNER_DOMAIN)
        assert northwind.status == Plan.Status.SHARED
        signed = prm.metrics.get("jbp_signed").compute(
            tenant=tenant, partner_ids=[p.pk for p in strategic], period=year
        )
        assert set(signed.values()) == {1}
        mdf = prm.metrics.get("jbp_mdf_commitment").compute(
            tenant=tenant, partner_ids=[p.pk for p in strategic], period=year
        )
        assert all(v > 0 for v in mdf.values())
        count = Plan.objects.count()
        demo.seed(tenant=tenant, staff=staff)
        assert Plan.objects.count() == count
    assert seconds < 15
