"""A partner user pre-checks a customer and registers a deal in the portal; a partner manager
approves it from the queue in another browser; the partner sees it approved."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from prm.permissions import Role
from tests.conftest import build_world
from tests.prm.factories import PASSWORD


def test_partner_registers_a_deal_and_a_manager_approves_it(transactional_db, live_server, login, browser):
    world = build_world("alpha", "ALPHA")
    page = login(world.user(Role.PARTNER_USER).email)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Deals").click()
    page.get_by_role("link", name="Register a deal").click()
    page.get_by_label("Customer name").fill("Initech")
    page.get_by_label("Customer's web domain").fill("https://www.initech.example/")
    page.get_by_role("button", name="Pre-check this customer").click()
    expect(page.locator("#precheck-result")).to_contain_text("No conflict found.")
    expect(page).to_have_url(re.compile(r"/portal/deals/new/$"))  # htmx answered in place

    page.get_by_label("Opportunity name").fill("Initech data platform")
    page.get_by_label("Products / solution").fill("Data Cloud, 200 seats")
    page.get_by_label("Estimated amount").fill("48000")
    page.get_by_label("Expected close date").fill((timezone.localdate() + timedelta(days=60)).isoformat())
    page.get_by_label("Influenced (we help win it)").check()
    page.get_by_role("button", name="Submit the registration").click()

    expect(page.get_by_text("Registration submitted.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Initech data platform")
    expect(page.locator(".deal-lead")).to_contain_text("Pending")
    detail_url = page.url

    # The manager, in a browser of their own.
    context = browser.new_context()
    manager = context.new_page()
    manager.goto(f"{live_server.url}/accounts/login/")
    manager.get_by_label("Email").fill(world.user(Role.MANAGER).email)
    manager.get_by_label("Password").fill(PASSWORD)
    manager.get_by_role("button", name="Sign in").click()
    manager.get_by_role("navigation", name="Main").get_by_role("link", name="Deals").click()
    row = manager.get_by_role("row").filter(has_text="Initech data platform")
    expect(row).to_contain_text("ALPHA Partner One")
    expect(row).to_contain_text("waiting")
    row.get_by_role("checkbox").check()
    manager.get_by_role("button", name="Approve ticked").click()
    expect(manager.get_by_text("1 registration approved.")).to_be_visible()
    expect(manager.get_by_text("Nothing waits for a decision.")).to_be_visible()
    context.close()

    page.goto(detail_url)
    expect(page.locator(".deal-lead")).to_contain_text("Approved")
    expect(page.get_by_text("you are protected on this deal until")).to_be_visible()
    page.get_by_role("link", name="Deals", exact=True).first.click()
    expect(page.get_by_role("row").filter(has_text="Initech data platform")).to_contain_text("Approved")
