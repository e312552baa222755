"""A program admin signs in, lands on the overview, and invites a colleague from Members."""

import re

from playwright.sync_api import expect

from tests.conftest import build_world


def test_admin_signs_in_and_invites_a_manager(transactional_db, live_server, login, mailoutbox):
    world = build_world("alpha", "ALPHA")
    page = login(world.user("admin").email)

    expect(page).to_have_url(re.compile(r"/t/alpha/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("ALPHA Vendor")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    expect(page).to_have_url(re.compile(r"/t/alpha/members/$"))

    invite = page.locator("form", has=page.get_by_role("button", name="Send invitation"))
    invite.get_by_label("E-mail address").fill("new.manager@example.com")
    invite.get_by_label("Role").select_option(label="Partner manager")
    invite.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_role("status")).to_contain_text("Invitation sent to new.manager@example.com")
    pending = page.get_by_role("table", name="Pending invitations")
    expect(pending.get_by_role("row", name=re.compile("new.manager@example.com"))).to_contain_text(
        "Partner manager"
    )
    [invitation_mail] = mailoutbox
    assert invitation_mail.to == ["new.manager@example.com"]
    assert "/invitations/alpha/" in invitation_mail.body
