"""A partner user signs in and lands on their own company's portal page, with no staff menu."""

import re

from playwright.sync_api import expect

from tests.conftest import build_world


def test_partner_user_lands_on_the_portal(transactional_db, live_server, login):
    world = build_world("alpha", "ALPHA")
    page = login(world.user("partner_user").email)

    expect(page).to_have_url(re.compile(r"/t/alpha/portal/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("ALPHA Partner One")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Team")).to_be_visible()
    expect(page.get_by_role("link", name="Members")).to_have_count(0)
    expect(page.get_by_text("ALPHA Partner Two")).to_have_count(0)
