"""A partner admin opens the plan shared with their company, approves it, exports the PDF and
downloads it; the page follows the export by itself (htmx) until the download is offered."""

import re

from playwright.sync_api import expect

from jbp import services
from jbp.models import Plan
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.conftest import build_world
from tests.jbp.helpers import draft


def test_partner_admin_approves_the_plan_and_downloads_the_pdf(
    transactional_db, live_server, login, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    world = build_world("alpha", "ALPHA")
    plan = draft(world)
    with tenant_context(world.tenant):
        services.plan_share(access=world.access(Role.MANAGER), plan=plan)

    page = login(world.user(Role.PARTNER_ADMIN).email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans").click()
    expect(page.get_by_text("Awaiting your approval")).to_be_visible()
    page.get_by_role("link", name=re.compile("joint business plan FY2026")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ALPHA Partner One joint business plan FY2026")

    page.get_by_role("button", name="Approve for ALPHA Partner One").click()
    expect(page.get_by_text("Approved for your company")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Approve for"))).to_have_count(0)

    page.get_by_role("button", name="Export PDF").click()
    download_link = page.get_by_role("link", name="Download PDF")
    expect(download_link).to_be_visible(timeout=20000)
    with page.expect_download() as info:
        download_link.click()
    path = info.value.path()
    with open(path, "rb") as handle:
        assert handle.read(5) == b"%PDF-"

    with tenant_context(world.tenant):
        plan.refresh_from_db()
    assert plan.status == Plan.Status.PARTNER_APPROVED
    assert plan.partner_approved_by == world.user(Role.PARTNER_ADMIN)
