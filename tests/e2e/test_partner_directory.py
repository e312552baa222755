"""A partner manager finds a partner in the directory, opens it and edits it; a partner admin
keeps the own company profile current from the portal."""

import re

from playwright.sync_api import expect

from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.conftest import build_world
from tests.partners.factories import PartnerFactory


def test_manager_searches_opens_and_edits_a_partner(transactional_db, live_server, login):
    world = build_world("alpha", "ALPHA")
    PartnerFactory(tenant=world.tenant, name="Contoso Consulting", domain="contoso.example")
    page = login(world.user(Role.MANAGER).email)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Partners").click()
    page.get_by_label("Search").fill("contoso")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("1 partner matches the filters")).to_be_visible()
    page.get_by_role("link", name="Contoso Consulting").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Contoso Consulting")
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Legal name").fill("Contoso Consulting Ltd")
    page.get_by_label("Co-sell").check()
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_text("Contoso Consulting saved.")).to_be_visible()
    expect(page.locator("#profile-title + dl")).to_contain_text("Contoso Consulting Ltd")
    expect(page.locator("#profile-title + dl")).to_contain_text("Co-sell")
    # The edit is on the partner's timeline.
    expect(page.locator("#timeline")).to_contain_text("partner.updated")


def test_partner_admin_updates_the_company_profile_but_not_program_fields(
    transactional_db, live_server, login
):
    world = build_world("alpha", "ALPHA")
    page = login(world.user(Role.PARTNER_ADMIN).email)

    page.get_by_role("link", name="Edit company profile").click()
    expect(page.get_by_label("Legal name")).to_be_visible()
    expect(page.get_by_label("Tier")).to_have_count(0)
    page.get_by_label("Legal name").fill("ALPHA Partner One GmbH")
    page.get_by_label("DACH").check()
    page.get_by_role("button", name="Save profile").click()

    expect(page).to_have_url(re.compile(r"/t/alpha/portal/$"))
    expect(page.get_by_text("ALPHA Partner One GmbH")).to_be_visible()
    with tenant_context(world.tenant):
        world.partner.refresh_from_db()
        assert world.partner.legal_name == "ALPHA Partner One GmbH"
