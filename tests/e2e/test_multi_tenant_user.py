"""A person with memberships in two tenants gets the picker after signing in and picks one."""

import re

from playwright.sync_api import expect

from prm.permissions import Role
from tests.conftest import build_world
from tests.prm.factories import MembershipFactory


def test_two_tenant_user_picks_the_second_tenant(transactional_db, live_server, login):
    world_a = build_world("alpha", "ALPHA")
    world_b = build_world("bravo", "BRAVO")
    user = world_a.user("manager")
    MembershipFactory(tenant=world_b.tenant, user=user, role=Role.EXECUTIVE)

    page = login(user.email)

    expect(page).to_have_url(re.compile(r"/tenants/$"))
    choices = page.get_by_role("list", name="Your partner programs").get_by_role("link")
    expect(choices).to_have_count(2)
    choices.nth(1).click()

    expect(page).to_have_url(re.compile(r"/t/bravo/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("BRAVO Vendor")
    expect(page.get_by_text("ALPHA Vendor")).to_have_count(0)
