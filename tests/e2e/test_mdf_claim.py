"""A partner user claims approved MDF in the portal with an invoice attached; finance approves
the claim from its queue in another browser; the partner sees the claim approved."""

from playwright.sync_api import expect

from prm.permissions import Role
from tests.conftest import build_world
from tests.incentives.conftest import PDF, approved_request, make_fund
from tests.prm.factories import PASSWORD


def test_partner_claims_with_a_file_and_finance_approves(
    transactional_db, live_server, login, browser, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    world = build_world("alpha", "ALPHA")
    _fund, allocation = make_fund(world, allocate="10000")
    approved_request(world, allocation, "2500")
    invoice = tmp_path / "upload" / "venue-invoice.pdf"
    invoice.parent.mkdir()
    invoice.write_bytes(PDF)

    page = login(world.user(Role.PARTNER_USER).email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="MDF").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Marketing development funds")
    page.get_by_role("link", name="Spring webinar").click()
    page.get_by_label("Actual cost").fill("2300")
    page.get_by_label("Leads generated").fill("14")
    page.get_by_label("Proof of performance").set_input_files(str(invoice))
    page.get_by_role("button", name="Submit the claim").click()
    expect(page.get_by_text("Claim submitted with your proof of performance.")).to_be_visible()
    expect(page.locator(".request-lead")).to_contain_text("Waiting for finance")
    expect(page.get_by_role("link", name="venue-invoice.pdf")).to_be_visible()
    detail_url = page.url

    context = browser.new_context()
    finance = context.new_page()
    finance.goto(f"{live_server.url}/accounts/login/")
    finance.get_by_label("Email").fill(world.user(Role.FINANCE).email)
    finance.get_by_label("Password").fill(PASSWORD)
    finance.get_by_role("button", name="Sign in").click()
    finance.get_by_role("navigation", name="Main").get_by_role("link", name="MDF").click()
    finance.get_by_role("link", name="Claims").click()
    row = finance.get_by_role("row").filter(has_text="Spring webinar")
    expect(row).to_contain_text("ALPHA Partner One")
    expect(row).to_contain_text("2,300.00")
    row.get_by_role("link", name="Spring webinar").click()
    expect(finance.get_by_role("link", name="venue-invoice.pdf")).to_be_visible()
    finance.get_by_role("button", name="Approve the claim").click()
    expect(finance.get_by_text("Claim approved: 2,300.00 is owed to ALPHA Partner One.")).to_be_visible()
    context.close()

    page.goto(detail_url)
    expect(page.locator(".request-lead")).to_contain_text("Approved")
    expect(page.locator(".request-lead")).to_contain_text("Claim approved")
