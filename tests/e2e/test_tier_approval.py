"""A manager proposes a promotion from the partner page; an executive approves it from the
tiering page's queue; the partner page shows the new tier and the history."""

from playwright.sync_api import expect

from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.conftest import build_world
from tests.prm.factories import PASSWORD
from tests.tiering.tiering_fixtures import ladder
from tiering import program


def test_a_manager_proposes_and_an_executive_approves_a_promotion(
    transactional_db, live_server, login, browser
):
    world = build_world("alpha", "ALPHA")
    with tenant_context(world.tenant):
        tiers = ladder()
        world.partner.tier = tiers["Silver"]
        world.partner.save()
    page = login(world.user(Role.MANAGER).email)
    page.goto(f"{live_server.url}/t/alpha/partners/{world.partner.pk}/")
    section = page.locator("#section-score")
    section.get_by_label("Move to").select_option(label="Gold")
    section.get_by_label("Reason").fill("Two certified architects and a strong Q3 pipeline.")
    section.get_by_role("button", name="Send for approval").click()
    expect(page.get_by_text("Proposal sent for approval.")).to_be_visible()
    expect(page.locator("#section-score")).to_contain_text("Proposal waiting for a decision")

    context = browser.new_context()
    executive = context.new_page()
    executive.goto(f"{live_server.url}/accounts/login/")
    executive.get_by_label("Email").fill(world.user(Role.EXECUTIVE).email)
    executive.get_by_label("Password").fill(PASSWORD)
    executive.get_by_role("button", name="Sign in").click()
    executive.get_by_role("navigation", name="Main").get_by_role("link", name="Tiering").click()
    row = executive.get_by_role("row").filter(has_text="ALPHA Partner One")
    expect(row).to_contain_text("Silver → Gold")
    row.get_by_role("link", name="Decide").click()
    expect(executive.get_by_role("heading", level=1)).to_have_text("ALPHA Partner One: Silver → Gold")
    executive.get_by_label("Reason").fill("Agreed at the QBR.")
    executive.get_by_role("button", name="Approve").click()
    expect(executive.get_by_text("ALPHA Partner One: move to Gold approved.")).to_be_visible()

    page.reload()
    expect(page.locator(".partner-head")).to_contain_text("Gold")
    expect(page.locator("#section-score")).to_contain_text("Silver → Gold")
    expect(page.locator("#section-score")).to_contain_text("Agreed at the QBR.")
    with tenant_context(world.tenant):
        assert program.Proposal.objects.get().status == "approved"
    context.close()
