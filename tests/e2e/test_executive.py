"""An executive reads the overview but may not manage members: the 403 page says so."""

import re

from playwright.sync_api import expect

from tests.conftest import build_world


def test_executive_sees_overview_but_not_members(transactional_db, live_server, login):
    world = build_world("alpha", "ALPHA")
    page = login(world.user("executive").email)

    expect(page).to_have_url(re.compile(r"/t/alpha/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("ALPHA Vendor")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Members")).to_have_count(0)

    response = page.goto(f"{live_server.url}/t/alpha/members/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You can't open this page")
    expect(page.get_by_text("Your role (Executive) does not include this")).to_be_visible()
