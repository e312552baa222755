"""An executive changes the dashboard's period, follows a figure to the rows behind it and opens
a partner's QBR."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from partners.models import Partner, Tier
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.pipeline.test_metrics import build_metric_world
from tests.prm.factories import MembershipFactory


def test_executive_changes_the_period_and_opens_a_partners_qbr(transactional_db, live_server, login):
    world = build_metric_world(slug="exec")
    with tenant_context(world.tenant):
        gold = Tier.objects.create(name="Gold", rank=1, classification="strategic")
        silver = Tier.objects.create(name="Silver", rank=2, classification="tactical")
        Partner.objects.filter(pk=world.partners[0].pk).update(tier=gold)
        Partner.objects.filter(pk__in=[p.pk for p in world.partners[1:]]).update(tier=silver)
    executive = MembershipFactory(tenant=world.tenant, role=Role.EXECUTIVE).user
    page = login(executive.email)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Executive dashboard")

    page.get_by_label("Fiscal quarter", exact=True).select_option("FY2026-Q2")
    page.get_by_role("button", name="Show fiscal quarter").click()
    expect(page).to_have_url(re.compile(r"period=FY2026-Q2"))
    expect(page.get_by_text("FY2026-Q2 (1 Jul 2025 – 30 Sep 2025), compared with FY2026-Q1")).to_be_visible()
    # Pipeline sourced: 4,700 USD in all, +17.5 % against FY2026-Q1 (hand-computed in tests/reporting).
    card = page.locator(".figure-card").filter(has_text="Pipeline sourced")
    expect(card.get_by_role("link", name=re.compile("all partners"))).to_have_text("4,700 USD")
    expect(card).to_contain_text("+17.5 %")

    # The strategic win rate leads to the rows behind it, and a row to the partner's QBR.
    page.locator(".figure-card").filter(has_text="Win rate").locator(".strategic a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Win rate: Strategic partners, FY2026-Q2")
    expect(page.locator("#figure-total")).to_have_text("66.67 %")
    page.get_by_role("link", name="Metric Partner 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quarterly business review: Metric Partner 1")
    expect(page.get_by_role("table", name="Metric Partner 1, FY2026-Q2")).to_contain_text("4,400 USD")
