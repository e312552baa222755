"""Plan pages as people use them: managers draft and share, the partner reads, adds its
investment, comments and approves in the portal, the executive signs, both export the PDF;
amendments and version compare; reviews with carried-over action items; the partner page section."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest

from jbp.models import ActionItem, Plan, PlanExport, Review
from prm.permissions import Role
from prm.tenancy import tenant_context

from .helpers import YEAR, draft, signed

BASE = "/t/alpha"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def words(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))).strip()


def test_a_manager_drafts_a_plan_adds_a_commitment_and_shares_it(world_a, client_for):
    client = client_for(world_a.user(Role.MANAGER))
    response = client.post(f"{BASE}/plans/new/", {"partner": world_a.partner.pk, "fiscal_year": YEAR})
    with tenant_context(world_a.tenant):
        plan = Plan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/plans/{plan.pk}/"
    refused = client.post(f"{BASE}/plans/{plan.pk}/share/", follow=True)
    assert "Add the partner's revenue commitments before sharing" in words(refused)
    client.post(
        f"{BASE}/plans/{plan.pk}/targets/new/", {"kind": "revenue", "quarter": "1", "value": "125000"}
    )
    client.post(f"{BASE}/plans/{plan.pk}/share/")
    page = words(client.get(f"{BASE}/plans/{plan.pk}/"))
    assert "Shared with ALPHA Partner One" in page
    assert "125,000" in page


def test_bad_input_names_the_field_and_changes_nothing(world_a, client_for):
    plan = draft(world_a)
    client = client_for(world_a.user(Role.MANAGER))
    response = client.post(
        f"{BASE}/plans/{plan.pk}/targets/new/", {"kind": "revenue", "quarter": "1", "value": "9"}
    )
    assert response.status_code == 400
    assert "already has a target on this metric for this quarter" in words(response)
    response = client.post(
        f"{BASE}/plans/{plan.pk}/targets/new/", {"kind": "revenue", "quarter": "2", "value": "lots"}
    )
    assert response.status_code == 400
    assert "Enter a number" in words(response)


def test_the_partner_adds_its_investment_comments_and_approves_in_the_portal(world_a, client_for):
    plan = draft(world_a)
    manager = client_for(world_a.user(Role.MANAGER))
    portal = client_for(world_a.user(Role.PARTNER_ADMIN))
    assert portal.get(f"{BASE}/portal/plans/{plan.pk}/").status_code == 404  # a draft is the vendor's
    manager.post(f"{BASE}/plans/{plan.pk}/share/")
    listing = words(portal.get(f"{BASE}/portal/plans/"))
    assert "Awaiting your approval" in listing
    portal.post(
        f"{BASE}/portal/plans/{plan.pk}/investments/new/",
        {"side": "partner", "kind": "headcount", "description": "Two pre-sales engineers", "quantity": "2"},
    )
    portal.post(f"{BASE}/portal/plans/{plan.pk}/comments/", {"body": "Q1 looks ambitious."})
    response = portal.post(f"{BASE}/portal/plans/{plan.pk}/approve/", follow=True)
    page = words(response)
    assert "Approved for your company" in page
    assert "Two pre-sales engineers" in page
    assert "Q1 looks ambitious." in page
    # The executive signs on the staff side.
    client_for(world_a.user(Role.EXECUTIVE)).post(f"{BASE}/plans/{plan.pk}/sign-off/")
    with tenant_context(world_a.tenant):
        plan.refresh_from_db()
    assert plan.status == Plan.Status.ACTIVE
    assert plan.version == 1


def test_partner_users_read_and_comment_but_do_not_approve(world_a, client_for):
    plan = draft(world_a)
    client_for(world_a.user(Role.MANAGER)).post(f"{BASE}/plans/{plan.pk}/share/")
    user = client_for(world_a.user(Role.PARTNER_USER))
    page = words(user.get(f"{BASE}/portal/plans/{plan.pk}/"))
    assert "Approve for" not in page
    assert user.post(f"{BASE}/portal/plans/{plan.pk}/approve/").status_code == 403
    assert user.post(f"{BASE}/portal/plans/{plan.pk}/comments/", {"body": "Hello"}).status_code == 302


def test_an_amendment_on_the_page_asks_why_and_shows_in_compare(world_a, client_for):
    plan = signed(world_a)
    client = client_for(world_a.user(Role.MANAGER))
    with tenant_context(world_a.tenant):
        q3 = plan.targets.get(quarter=3)
    form = client.get(f"{BASE}/plans/{plan.pk}/targets/{q3.pk}/")
    assert "Amendment: what changes and why" in words(form)
    missing = client.post(
        f"{BASE}/plans/{plan.pk}/targets/{q3.pk}/", {"kind": "revenue", "quarter": "3", "value": "3500"}
    )
    assert missing.status_code == 400
    client.post(
        f"{BASE}/plans/{plan.pk}/targets/{q3.pk}/",
        {"kind": "revenue", "quarter": "3", "value": "3500", "change_summary": "Q3 up: new logo"},
    )
    compare = words(client.get(f"{BASE}/plans/{plan.pk}/versions/?a=1&b=2"))
    assert "What changed from v1 to v2" in compare
    assert "Revenue commitment · Revenue · Q3 changed 3,000.00 3,500.00" in compare
    assert "Q3 up: new logo" in compare


def test_a_review_freezes_attainment_and_carries_open_actions(world_a, client_for):
    plan = signed(world_a)
    client = client_for(world_a.user(Role.MANAGER))
    first = {
        "quarter": "1",
        "held_on": f"{YEAR}-03-30",
        "vendor_attendees": "Max",
        "partner_attendees": "Paula",
        "action_0_title": "Send the account list",
        "action_0_side": "partner",
        "action_0_owner_name": "Paula",
        "action_0_due": f"{YEAR}-04-15",
        "action_1_side": "vendor",
        "action_2_side": "vendor",
    }
    assert client.post(f"{BASE}/plans/{plan.pk}/reviews/new/", first).status_code == 302
    second = {
        **first,
        "quarter": "2",
        "held_on": f"{YEAR}-06-30",
        "action_0_title": "",
        "action_1_title": "Book bootcamp",
        "action_1_owner_name": "Max",
        "action_1_due": f"{YEAR}-07-15",
    }
    assert client.post(f"{BASE}/plans/{plan.pk}/reviews/new/", second).status_code == 302
    with tenant_context(world_a.tenant):
        latest = Review.objects.get(quarter=2)
        assert latest.snapshot[0]["target"] == "Revenue commitment · Revenue · Q1"
        assert ActionItem.objects.filter(status="open").count() == 2
    page = words(client.get(f"{BASE}/plans/{plan.pk}/reviews/{latest.pk}/"))
    assert "Carried over from earlier reviews" in page
    assert "Send the account list" in page
    # The partner marks its own item done in the portal.
    with tenant_context(world_a.tenant):
        item = ActionItem.objects.get(title="Send the account list")
    portal = client_for(world_a.user(Role.PARTNER_USER))
    assert portal.post(f"{BASE}/portal/plans/{plan.pk}/actions/{item.pk}/done/").status_code == 302
    with tenant_context(world_a.tenant):
        item.refresh_from_db()
    assert item.status == "done"


@pytest.mark.parametrize(("role", "base"), [(Role.MANAGER, BASE), (Role.PARTNER_USER, f"{BASE}/portal")])
def test_both_sides_export_the_pdf_and_download_it(
    world_a, client_for, role, base, django_capture_on_commit_callbacks
):
    plan = signed(world_a)
    client = client_for(world_a.user(role))
    with django_capture_on_commit_callbacks(execute=True):
        fragment = client.post(f"{base}/plans/{plan.pk}/exports/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    with tenant_context(world_a.tenant):
        export = PlanExport.objects.get()
    status = words(client.get(f"{base}/plans/{plan.pk}/exports/{export.pk}/", headers={"HX-Request": "true"}))
    assert "Ready" in status
    assert "Download PDF" in status
    download = client.get(f"{base}/plans/{plan.pk}/exports/{export.pk}/download/")
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_a_pending_export_polls_until_done(world_a, client_for):
    plan = draft(world_a)
    with tenant_context(world_a.tenant):
        export = PlanExport.objects.create(plan=plan, requested_by_label="x")
    body = (
        client_for(world_a.user(Role.MANAGER))
        .get(f"{BASE}/plans/{plan.pk}/exports/{export.pk}/")
        .content.decode()
    )
    assert 'hx-trigger="every 2s"' in body
    assert "Queued" in body


def test_the_partner_page_lists_the_partners_plans(world_a, client_for):
    draft(world_a, commitments=(Decimal(1),))
    page = words(client_for(world_a.user(Role.MANAGER)).get(f"{BASE}/partners/{world_a.partner.pk}/"))
    assert "Joint business plans" in page
    assert "ALPHA Partner One joint business plan FY2026" in page


def test_nav_has_plans_on_both_sides(world_a, client_for):
    assert (
        f'href="{BASE}/plans/"'
        in client_for(world_a.user(Role.EXECUTIVE)).get(f"{BASE}/plans/").content.decode()
    )
    assert (
        f'href="{BASE}/portal/plans/"'
        in client_for(world_a.user(Role.PARTNER_USER)).get(f"{BASE}/portal/plans/").content.decode()
    )


def test_the_overview_counts_plans_by_attainment_and_who_they_wait_for(world_a, client_for):
    signed(world_a)  # no revenue booked: behind once the quarter has begun (or on track before)
    shared = draft(world_a, partner=world_a.other_partner)
    client_for(world_a.user(Role.MANAGER)).post(f"{BASE}/plans/{shared.pk}/share/")
    page = words(client_for(world_a.user(Role.EXECUTIVE)).get(f"{BASE}/"))
    assert "Joint business plans · FY2026-Q" in page
    assert "Awaiting the partner 1" in page
    assert "Awaiting signature 0" in page
