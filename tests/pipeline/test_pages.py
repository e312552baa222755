"""The registration desk's staff pages: the queue (order, age and SLA, filters, tabs, pagination,
bulk decisions), one registration with its decisions, registering on a partner's behalf, and
accounts with merging. The services behind them are shared with the API; these tests use the
forms and read the pages a person sees.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pipeline import services
from pipeline.models import Account, DealRegistration, RevenueRecord, VendorOpportunity
from prm.models import AuditEvent
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.partners.factories import PartnerFactory
from tests.prm.factories import MembershipFactory

BASE = "/t/alpha"
Status = DealRegistration.Status
OTHER = "other_partner_user"


def words(response) -> str:
    """Everything the page says, as plain text."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))).strip()


def field_errors(response, name: str) -> str:
    match = re.search(rf'<ul[^>]*id="id_{name}_error"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""


def row_ids(response) -> list[int]:
    """Registration ids in the order the list shows them."""
    ids = re.findall(rf'href="{BASE}/deals/(\d+)/"', response.content.decode())
    return list(dict.fromkeys(int(i) for i in ids))


def submit(
    world, who=Role.PARTNER_ADMIN, *, customer="Acme Corp", domain="acme.example", hours_ago=0, **fields
):
    """A registration submitted by ``who`` (a partner role, or a manager with ``partner_id``)."""
    values = {
        "opportunity_name": f"{customer} deal",
        "products": "Suite",
        "amount": Decimal("1000"),
        "currency": "USD",
        "expected_close_date": timezone.localdate() + timedelta(days=60),
        "partner_role": "sourced",
    }
    partner_id = fields.pop("partner_id", None)
    values.update(fields)
    with tenant_context(world.tenant):
        registration = services.registration_submit(
            access=world.access(who),
            account_name=customer,
            account_domain=domain,
            fields=values,
            partner_id=partner_id,
        )
        if hours_ago:
            DealRegistration.objects.filter(pk=registration.pk).update(
                submitted_at=timezone.now() - timedelta(hours=hours_ago)
            )
        registration.refresh_from_db()
    return registration


def reload(world, registration) -> DealRegistration:
    with tenant_context(world.tenant):
        return DealRegistration.objects.select_related("account").get(pk=registration.pk)


@pytest.fixture
def manager(world_a, client_for):
    return client_for(world_a.user(Role.MANAGER))


# --- the queue -------------------------------------------------------------------------------


def test_the_queue_lists_conflicts_first_then_the_oldest_with_their_age(world_a, manager):
    recent = submit(world_a, customer="Recent", domain="recent.example", hours_ago=2)
    old = submit(world_a, customer="Old", domain="old.example", hours_ago=30)
    clash_mine = submit(world_a, customer="Clash", domain="clash.example", hours_ago=1)
    clash_other = submit(world_a, OTHER, customer="Clash", domain="clash.example")
    decided = submit(world_a, customer="Done", domain="done.example", hours_ago=50)
    with tenant_context(world_a.tenant):
        services.registration_approve(access=world_a.access(Role.MANAGER), registration=decided)

    response = manager.get(f"{BASE}/deals/")

    assert response.status_code == 200
    assert row_ids(response) == [clash_mine.pk, clash_other.pk, old.pk, recent.pk]
    text = words(response)
    assert "waiting 30 h" in text
    assert "waiting 2 h" in text
    assert text.count("Conflict") >= 2
    assert "ALPHA Partner Two" in text  # staff see who registered


def test_registrations_past_the_tenants_sla_are_highlighted_and_counted(world_a, manager):
    world_a.tenant.settings = {"deal_registration": {"sla_hours": 4}}
    world_a.tenant.save()
    late = submit(world_a, customer="Late", domain="late.example", hours_ago=5)
    submit(world_a, customer="Fresh", domain="fresh.example", hours_ago=1)

    response = manager.get(f"{BASE}/deals/")

    text = words(response)
    assert "past the 4 h SLA" in text
    assert "1 waiting past the SLA" in text
    assert re.search(
        rf'<tr class="overdue[^"]*">\s*<td class="pick"><input[^>]*value="{late.pk}"',
        response.content.decode(),
    )
    assert row_ids(manager.get(f"{BASE}/deals/?overdue_only=on")) == [late.pk]


def test_the_queue_filters_by_partner_role_conflict_and_search(world_a, manager):
    mine = submit(world_a, customer="Alpha Co", domain="alpha-co.example", partner_role="influenced")
    theirs = submit(world_a, OTHER, customer="Beta Co", domain="beta-co.example")
    clash = submit(world_a, OTHER, customer="Alpha Co", domain="alpha-co.example")

    assert set(row_ids(manager.get(f"{BASE}/deals/?partner={world_a.other_partner.pk}"))) == {
        theirs.pk,
        clash.pk,
    }
    assert row_ids(manager.get(f"{BASE}/deals/?role=influenced")) == [mine.pk]
    assert set(row_ids(manager.get(f"{BASE}/deals/?conflict_only=on"))) == {mine.pk, clash.pk}
    assert row_ids(manager.get(f"{BASE}/deals/?q=beta")) == [theirs.pk]
    # A filter that is not valid is shown, not silently widened to something else.
    response = manager.get(f"{BASE}/deals/?partner=999999")
    assert response.status_code == 200
    assert "Select a valid choice" in words(response)


def test_status_tabs_show_every_decided_registration_with_counts(world_a, manager):
    pending = submit(world_a, customer="Pending", domain="pending.example")
    approved = submit(world_a, customer="Approved", domain="approved.example")
    rejected = submit(world_a, customer="Rejected", domain="rejected.example")
    with tenant_context(world_a.tenant):
        access = world_a.access(Role.MANAGER)
        services.registration_approve(access=access, registration=approved)
        services.registration_reject(access=access, registration=rejected, reason="Direct account.")

    queue = manager.get(f"{BASE}/deals/")
    assert re.search(r"Pending <span class=\"tab-count\">1</span>", queue.content.decode())
    assert row_ids(manager.get(f"{BASE}/deals/?status=approved")) == [approved.pk]
    assert row_ids(manager.get(f"{BASE}/deals/?status=rejected")) == [rejected.pk]
    everything = manager.get(f"{BASE}/deals/?status=all")
    assert set(row_ids(everything)) == {pending.pk, approved.pk, rejected.pk}
    assert "Approved" in words(everything)


def test_the_queue_is_paginated_and_keeps_the_filters(world_a, manager):
    for i in range(27):
        submit(world_a, customer=f"Customer {i}", domain=f"c{i}.example", hours_ago=100 - i)

    first = manager.get(f"{BASE}/deals/?role=sourced")
    second = manager.get(f"{BASE}/deals/?role=sourced&page=2")

    assert len(row_ids(first)) == 25
    assert len(row_ids(second)) == 2
    assert "1–25 of 27" in words(first)
    assert "role=sourced&amp;page=2" in first.content.decode()


def test_bulk_approve_decides_the_clean_ones_and_refuses_conflicts_on_their_row(world_a, manager):
    clean = submit(world_a, customer="Clean", domain="clean.example", hours_ago=3)
    mine = submit(world_a, customer="Clash", domain="clash.example", hours_ago=2)
    theirs = submit(world_a, OTHER, customer="Clash", domain="clash.example")

    response = manager.post(
        f"{BASE}/deals/bulk/", {"registrations": [clean.pk, mine.pk, theirs.pk], "action": "approve"}
    )

    assert response.status_code == 200
    assert reload(world_a, clean).status == Status.APPROVED
    assert reload(world_a, mine).status == reload(world_a, theirs).status == Status.SUBMITTED
    text = words(response)
    assert "1 registration approved." in text
    assert "other open registration(s) claim this account" in text
    body = response.content.decode()
    # The refused rows stay ticked and carry the reason.
    for refused in (mine, theirs):
        assert re.search(rf'value="{refused.pk}"[^>]*checked', body)
    assert body.count('class="errorlist row-error"') == 2


def test_bulk_approve_with_a_reason_resolves_conflicts_first_come_first_served(world_a, manager):
    first = submit(world_a, customer="Clash", domain="clash.example", hours_ago=5)
    second = submit(world_a, OTHER, customer="Clash", domain="clash.example", hours_ago=1)

    response = manager.post(
        f"{BASE}/deals/bulk/",
        {
            "registrations": [second.pk, first.pk],
            "action": "approve",
            "reject_conflicting_reason": "Registered later.",
        },
    )

    assert reload(world_a, first).status == Status.APPROVED
    second = reload(world_a, second)
    assert second.status == Status.REJECTED
    assert second.decision_reason == "Registered later."
    # The second was rejected by the first approval; the page says why it was not approved.
    assert response.status_code == 200
    assert "This registration is rejected" in words(response)


def test_bulk_reject_needs_one_reason_and_rejects_them_all(world_a, manager):
    a = submit(world_a, customer="A", domain="a.example")
    b = submit(world_a, OTHER, customer="B", domain="b.example")

    refused = manager.post(f"{BASE}/deals/bulk/", {"registrations": [a.pk, b.pk], "action": "reject"})
    assert refused.status_code == 400
    assert "Nothing was decided" in words(refused)
    assert "Say why they are rejected" in field_errors(refused, "reason")
    assert reload(world_a, a).status == Status.SUBMITTED

    done = manager.post(
        f"{BASE}/deals/bulk/",
        {"registrations": [a.pk, b.pk], "action": "reject", "reason": "Named accounts of the direct team."},
        follow=True,
    )
    assert "2 registrations rejected." in words(done)
    assert {reload(world_a, r).decision_reason for r in (a, b)} == {"Named accounts of the direct team."}


def test_bulk_decisions_need_ticked_registrations(world_a, manager):
    response = manager.post(f"{BASE}/deals/bulk/", {"action": "approve"})
    assert response.status_code == 400
    assert "Tick the registrations to decide first." in words(response)


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.FINANCE])
def test_read_only_staff_see_the_desk_but_cannot_decide(world_a, client_for, role):
    registration = submit(world_a)
    client = client_for(world_a.user(role))

    queue = client.get(f"{BASE}/deals/")
    detail = client.get(f"{BASE}/deals/{registration.pk}/")
    assert queue.status_code == detail.status_code == 200
    assert "Approve ticked" not in words(queue)
    assert 'name="registrations"' not in queue.content.decode()
    assert "registration_approve" not in detail.content.decode()
    assert f"{BASE}/deals/{registration.pk}/approve/" not in detail.content.decode()
    assert client.post(f"{BASE}/deals/{registration.pk}/approve/").status_code == 403
    assert (
        client.post(
            f"{BASE}/deals/bulk/", {"registrations": [registration.pk], "action": "approve"}
        ).status_code
        == 403
    )
    assert client.get(f"{BASE}/deals/new/").status_code == 403
    assert reload(world_a, registration).status == Status.SUBMITTED


def test_partner_roles_cannot_open_the_staff_desk(world_a, client_for):
    registration = submit(world_a)
    client = client_for(world_a.user(Role.PARTNER_ADMIN))
    assert client.get(f"{BASE}/deals/").status_code == 403
    assert client.get(f"{BASE}/deals/{registration.pk}/").status_code == 403
    assert client.get(f"{BASE}/accounts/").status_code == 403


def test_staff_navigation_has_deals(world_a, manager):
    response = manager.get(f"{BASE}/")
    assert re.search(rf'<a href="{BASE}/deals/"[^>]*>Deals</a>', response.content.decode())


# --- one registration --------------------------------------------------------------------------


def test_the_registration_page_shows_the_deal_its_history_and_the_other_partners_name(world_a, manager):
    mine = submit(
        world_a,
        customer="Clash",
        domain="clash.example",
        customer_contact_name="Pat Jones",
        customer_contact_email="pat@clash.example",
        notes="Met their CIO twice.",
        currency="USD",
        amount=Decimal("125000"),
    )
    theirs = submit(world_a, OTHER, customer="Clash", domain="clash.example")

    response = manager.get(f"{BASE}/deals/{mine.pk}/")

    text = words(response)
    for shown in (
        "Clash deal",
        "clash.example",
        "Suite",
        "125,000 USD",
        "Pat Jones",
        "pat@clash.example",
        "Met their CIO twice.",
        "Sourced (we brought the opportunity)",
        "Submitted",
        "ALPHA Partner One",
    ):
        assert shown in text, shown
    conflicts = re.search(r'<section id="conflicts".*?</section>', response.content.decode(), re.S).group(0)
    assert "ALPHA Partner Two" in conflicts
    assert f"{BASE}/deals/{theirs.pk}/" in conflicts
    assert "Same domain" in conflicts
    assert "Approve and reject 1 other" in text


def test_a_vendor_opportunity_on_the_account_is_listed_as_a_conflict(world_a, manager):
    registration = submit(world_a, customer="Direct", domain="direct.example")
    with tenant_context(world_a.tenant):
        VendorOpportunity.objects.create(
            account=registration.account, name="Direct renewal", external_id="CRM-7"
        )

    text = words(manager.get(f"{BASE}/deals/{registration.pk}/"))
    assert "Vendor sales" in text
    assert "Direct renewal" in text


def test_approving_a_conflicting_registration_needs_a_reason_for_the_others(
    world_a, manager, django_capture_on_commit_callbacks, mailoutbox
):
    mine = submit(world_a, customer="Clash", domain="clash.example")
    theirs = submit(world_a, OTHER, customer="Clash", domain="clash.example")

    refused = manager.post(f"{BASE}/deals/{mine.pk}/approve/", {"reject_conflicting_reason": " "})
    assert refused.status_code == 400
    assert "claim this account" in field_errors(refused, "reject_conflicting_reason")
    assert reload(world_a, mine).status == Status.SUBMITTED

    with django_capture_on_commit_callbacks(execute=True):
        done = manager.post(
            f"{BASE}/deals/{mine.pk}/approve/",
            {"reject_conflicting_reason": "The other partner registered later."},
            follow=True,
        )
    assert "Approved: ALPHA Partner One is protected" in words(done)
    assert reload(world_a, mine).status == Status.APPROVED
    assert reload(world_a, mine).protected_until == timezone.localdate() + timedelta(days=90)
    assert reload(world_a, theirs).decision_reason == "The other partner registered later."
    # Each partner is told, with a link to the registration in its portal.
    links = {m.to[0]: m.body for m in mailoutbox}
    assert f"/t/alpha/portal/deals/{mine.pk}/" in "".join(links.values())
    assert f"/t/alpha/portal/deals/{theirs.pk}/" in "".join(links.values())


def test_rejecting_needs_a_reason_the_partner_reads(world_a, manager):
    registration = submit(world_a)

    refused = manager.post(f"{BASE}/deals/{registration.pk}/reject/", {"reason": ""})
    assert refused.status_code == 400
    assert field_errors(refused, "reason") == "Say why; the partner reads it."

    manager.post(f"{BASE}/deals/{registration.pk}/reject/", {"reason": "Customer is a direct named account."})
    registration = reload(world_a, registration)
    assert registration.status == Status.REJECTED
    assert registration.decision_reason == "Customer is a direct named account."
    assert "Customer is a direct named account." in words(manager.get(f"{BASE}/deals/{registration.pk}/"))


def test_a_decided_registration_cannot_be_decided_twice(world_a, manager):
    registration = submit(world_a)
    manager.post(f"{BASE}/deals/{registration.pk}/approve/", {})

    again = manager.post(f"{BASE}/deals/{registration.pk}/approve/", {})
    assert again.status_code == 400
    assert "This registration is approved; it must be submitted." in words(again)


def _approved(world, **kwargs):
    registration = submit(world, **kwargs)
    with tenant_context(world.tenant):
        return services.registration_approve(access=world.access(Role.MANAGER), registration=registration)


def test_marking_a_deal_won_can_book_it_as_revenue(world_a, manager):
    registration = _approved(world_a, amount=Decimal("5000"))
    today = timezone.localdate()

    response = manager.post(
        f"{BASE}/deals/{registration.pk}/close/",
        {"outcome": "won", "closed_on": today.isoformat(), "amount": "5400", "create_booking": "on"},
        follow=True,
    )

    assert "marked won. The booking is recorded as revenue." in words(response)
    registration = reload(world_a, registration)
    assert (registration.status, registration.closed_amount, registration.closed_on) == (
        Status.WON,
        Decimal("5400"),
        today,
    )
    with tenant_context(world_a.tenant):
        record = RevenueRecord.objects.get(registration=registration)
    assert (record.amount, record.partner_id, record.period) == (
        Decimal("5400"),
        world_a.partner.pk,
        today.replace(day=1),
    )


def test_closing_a_deal_shows_errors_on_the_field(world_a, manager):
    registration = _approved(world_a)
    tomorrow = timezone.localdate() + timedelta(days=1)

    future = manager.post(
        f"{BASE}/deals/{registration.pk}/close/",
        {"outcome": "won", "closed_on": tomorrow.isoformat(), "amount": "10"},
    )
    assert future.status_code == 400
    assert field_errors(future, "closed_on") == "A deal cannot close in the future."

    no_amount = manager.post(
        f"{BASE}/deals/{registration.pk}/close/",
        {"outcome": "won", "closed_on": timezone.localdate().isoformat()},
    )
    assert field_errors(no_amount, "amount") == "Give the amount the deal was won for."

    lost_booked = manager.post(
        f"{BASE}/deals/{registration.pk}/close/",
        {"outcome": "lost", "closed_on": timezone.localdate().isoformat(), "create_booking": "on"},
    )
    assert field_errors(lost_booked, "create_booking") == "Only a won deal can be booked as revenue."
    assert reload(world_a, registration).status == Status.APPROVED

    manager.post(
        f"{BASE}/deals/{registration.pk}/close/",
        {"outcome": "lost", "closed_on": timezone.localdate().isoformat()},
    )
    assert reload(world_a, registration).status == Status.LOST
    with tenant_context(world_a.tenant):
        assert not RevenueRecord.objects.exists()


def test_the_partners_extension_request_is_shown_and_granted(world_a, manager):
    registration = _approved(world_a)
    with tenant_context(world_a.tenant):
        services.registration_request_extension(
            access=world_a.access(Role.PARTNER_ADMIN),
            registration=registration,
            reason="Board meets in March.",
        )
    before = reload(world_a, registration).protected_until

    page = words(manager.get(f"{BASE}/deals/{registration.pk}/"))
    assert "ALPHA Partner One asks for an extension" in page
    assert "Board meets in March." in page

    done = manager.post(f"{BASE}/deals/{registration.pk}/extend/", follow=True)
    registration = reload(world_a, registration)
    assert registration.protected_until == before + timedelta(days=90)
    assert registration.extension_requested_at is None
    assert "Protection extended" in words(done)
    assert "Extension requested" in words(done)  # in the history


def test_extending_a_pending_registration_is_refused_on_the_page(world_a, manager):
    registration = submit(world_a)
    response = manager.post(f"{BASE}/deals/{registration.pk}/extend/")
    assert response.status_code == 400
    assert "it must be approved" in words(response)


def test_a_staff_member_is_assigned_as_sales_rep(world_a, manager):
    registration = _approved(world_a)
    rep = world_a.user(Role.ADMIN)

    manager.post(f"{BASE}/deals/{registration.pk}/sales-rep/", {"sales_rep": rep.pk})
    assert reload(world_a, registration).sales_rep_id == rep.pk
    assert rep.email in words(manager.get(f"{BASE}/deals/{registration.pk}/"))

    partner_user = world_a.user(Role.PARTNER_USER)
    refused = manager.post(f"{BASE}/deals/{registration.pk}/sales-rep/", {"sales_rep": partner_user.pk})
    assert refused.status_code == 400
    assert "Select a valid choice" in field_errors(refused, "sales_rep")

    manager.post(f"{BASE}/deals/{registration.pk}/sales-rep/", {"sales_rep": ""})
    assert reload(world_a, registration).sales_rep_id is None


# --- registering on a partner's behalf --------------------------------------------------------


def _form(**overrides):
    data = {
        "account_name": "Initech",
        "account_domain": "https://www.initech.example/about",
        "opportunity_name": "Initech migration",
        "products": "Platform",
        "amount": "25000",
        "currency": "USD",
        "expected_close_date": (timezone.localdate() + timedelta(days=45)).isoformat(),
        "stage": "proposal",
        "partner_role": "influenced",
        "customer_contact_name": "",
        "customer_contact_email": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_a_manager_registers_a_deal_on_a_partners_behalf(world_a, manager):
    response = manager.post(f"{BASE}/deals/new/", _form(partner=world_a.other_partner.pk), follow=True)

    with tenant_context(world_a.tenant):
        registration = DealRegistration.objects.select_related("account").get()
    assert registration.partner_id == world_a.other_partner.pk
    assert registration.submitted_by == world_a.user(Role.MANAGER)
    assert registration.account.domain == "initech.example"
    assert (registration.stage, registration.partner_role) == ("proposal", "influenced")
    assert "Registered for ALPHA Partner Two." in words(response)
    assert response.redirect_chain[-1][0] == f"{BASE}/deals/{registration.pk}/"


def test_registering_shows_errors_on_the_field_and_creates_nothing(world_a, manager):
    archived = PartnerFactory(tenant=world_a.tenant, name="Gone Partner", archived_at=timezone.now())

    form_page = manager.get(f"{BASE}/deals/new/")
    assert "Gone Partner" not in words(form_page)

    response = manager.post(
        f"{BASE}/deals/new/",
        _form(
            partner=archived.pk,
            account_name="",
            amount="-5",
            expected_close_date="2000-01-01",
            currency="XXX",
        ),
    )
    assert response.status_code == 400
    assert "Select a valid choice" in field_errors(response, "partner")
    assert field_errors(response, "account_name") == "This field is required."
    assert "greater than or equal to 0" in field_errors(response, "amount")
    assert "Select a valid choice" in field_errors(response, "currency")
    assert "The deal was not registered" in words(response)

    old_date = manager.post(
        f"{BASE}/deals/new/", _form(partner=world_a.partner.pk, expected_close_date="2000-01-01")
    )
    assert old_date.status_code == 400
    assert "more than a month in the past" in field_errors(old_date, "expected_close_date")
    with tenant_context(world_a.tenant):
        assert not DealRegistration.objects.exists()


def test_the_partner_can_be_preselected_from_a_link(world_a, manager):
    response = manager.get(f"{BASE}/deals/new/?partner={world_a.other_partner.pk}")
    assert re.search(rf'<option value="{world_a.other_partner.pk}" selected>', response.content.decode())


# --- accounts ----------------------------------------------------------------------------------


def test_accounts_are_listed_with_search_and_registration_counts(world_a, manager):
    submit(world_a, customer="Initech", domain="initech.example")
    submit(world_a, OTHER, customer="Initech", domain="initech.example")
    submit(world_a, customer="Globex", domain="globex.example")

    listing = words(manager.get(f"{BASE}/accounts/"))
    assert "Initech" in listing
    assert "Globex" in listing
    found = manager.get(f"{BASE}/accounts/?q=initech")
    assert "Initech" in words(found)
    assert "Globex" not in words(found)
    assert "1 account matches the search" in words(found)
    assert re.search(r'<span class="badge brand">2</span>', found.content.decode())


def test_the_account_page_lists_its_registrations(world_a, manager):
    a = submit(world_a, customer="Initech", domain="initech.example")
    b = submit(world_a, OTHER, customer="Initech", domain="initech.example")

    response = manager.get(f"{BASE}/accounts/{a.account_id}/")

    assert set(row_ids(response)) == {a.pk, b.pk}
    assert "ALPHA Partner Two" in words(response)


def test_a_duplicate_account_is_merged_into_another(world_a, manager):
    keep = submit(world_a, customer="Initech", domain="initech.example")
    duplicate = submit(world_a, OTHER, customer="Initech Europe", domain="initech.eu")

    form = manager.get(f"{BASE}/accounts/{duplicate.account_id}/")
    assert f'<option value="{keep.account_id}">' in form.content.decode()
    assert f'<option value="{duplicate.account_id}">' not in form.content.decode()

    response = manager.post(
        f"{BASE}/accounts/{duplicate.account_id}/merge/", {"into": keep.account_id}, follow=True
    )

    assert response.redirect_chain[-1][0] == f"{BASE}/accounts/{keep.account_id}/"
    assert "Initech Europe merged into Initech" in words(response)
    assert reload(world_a, duplicate).account_id == keep.account_id
    with tenant_context(world_a.tenant):
        assert Account.objects.get(pk=duplicate.account_id).merged_into_id == keep.account_id
        assert AuditEvent.objects.filter(verb="account.merged").count() == 1
    # The merged one is out of the list (unless asked for) and can't be merged again.
    assert "Initech Europe" not in words(manager.get(f"{BASE}/accounts/"))
    assert "Initech Europe" in words(manager.get(f"{BASE}/accounts/?include_merged=on"))
    assert "Merge this duplicate" not in words(manager.get(f"{BASE}/accounts/{duplicate.account_id}/"))


def test_merging_needs_a_target(world_a, manager):
    registration = submit(world_a)
    response = manager.post(f"{BASE}/accounts/{registration.account_id}/merge/", {"into": ""})
    assert response.status_code == 400
    assert field_errors(response, "into") == "Choose the account to keep."


# --- constant queries ----------------------------------------------------------------------


def grow(world, n: int, start: int) -> None:
    """``n`` more registrations across new partners and accounts, half of them in conflict."""
    for i in range(start, start + n):
        partner = PartnerFactory(tenant=world.tenant)
        MembershipFactory(tenant=world.tenant, role=Role.PARTNER_USER, partner=partner)
        submit(
            world,
            Role.MANAGER,
            partner_id=partner.pk,
            customer=f"Customer {i}",
            domain=f"c{i}.example",
            hours_ago=i,
        )
        submit(world, Role.PARTNER_ADMIN, customer=f"Customer {i}", domain=f"c{i}.example", currency="USD")
        decided = submit(
            world, Role.MANAGER, partner_id=partner.pk, customer=f"Solo {i}", domain=f"s{i}.example"
        )
        with tenant_context(world.tenant):
            services.registration_approve(access=world.access(Role.MANAGER), registration=decided)


def _count(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response.status_code, len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "/deals/",
        "/deals/?status=all",
        "/deals/?status=approved",
        "/deals/?conflict_only=on&role=sourced",
        "/accounts/",
        "/accounts/?q=customer",
    ],
)
def test_staff_lists_run_the_same_number_of_queries_for_few_or_many_rows(world_a, manager, url):
    grow(world_a, 2, start=10)
    status, small = _count(manager, BASE + url)
    grow(world_a, 8, start=20)
    status_large, large = _count(manager, BASE + url)
    assert status == status_large == 200
    assert large == small, f"{url}: {small} queries with few rows, {large} with more"


def test_the_registration_page_runs_the_same_number_of_queries_however_many_conflicts(world_a, manager):
    registration = submit(world_a, customer="Busy", domain="busy.example")
    submit(world_a, OTHER, customer="Busy", domain="busy.example")
    status, small = _count(manager, f"{BASE}/deals/{registration.pk}/")
    for _ in range(4):
        partner = PartnerFactory(tenant=world_a.tenant)
        submit(world_a, Role.MANAGER, partner_id=partner.pk, customer="Busy", domain="busy.example")
    status_large, large = _count(manager, f"{BASE}/deals/{registration.pk}/")
    assert status == status_large == 200
    assert large == small


def test_the_partner_filter_is_a_text_box_with_suggestions_not_every_partner_as_an_option(world_a, manager):
    for n in range(30):
        PartnerFactory(tenant=world_a.tenant, name=f"Bulk Partner {n:02d}")
    body = manager.get(f"{BASE}/deals/").content.decode()
    assert "Bulk Partner" not in body  # no <option> per partner: the page stays small at 5,000
    assert 'name="partner"' in body
    assert 'list="partner-suggestions"' in body
    suggested = manager.get(f"{BASE}/deals/partner-suggestions/?q=partner 0").json()["partners"]
    assert suggested == [f"Bulk Partner 0{n}" for n in range(10)]
    assert manager.get(f"{BASE}/deals/partner-suggestions/?q=").json() == {"partners": []}


def test_the_partner_filter_works_without_javascript_by_typing_the_name(world_a, manager):
    theirs = submit(world_a, OTHER, customer="Beta Co", domain="beta-co.example")
    submit(world_a, customer="Alpha Co", domain="alpha-co.example")
    name = world_a.other_partner.name
    response = manager.get(f"{BASE}/deals/", {"partner": f"  {name.upper()} "})
    assert row_ids(response) == [theirs.pk]
    assert f'value="{html.escape(name)}"' in response.content.decode()  # the box keeps the name
    # An id (links from other pages) shows the partner's name in the box.
    by_id = manager.get(f"{BASE}/deals/?partner={world_a.other_partner.pk}")
    assert row_ids(by_id) == [theirs.pk]
    assert f'value="{html.escape(name)}"' in by_id.content.decode()
    unknown = manager.get(f"{BASE}/deals/", {"partner": "Nobody Ltd"})
    assert "No partner is named “Nobody Ltd”." in words(unknown)


def test_partner_suggestions_name_only_the_tenants_partners_and_are_for_staff(
    world_a, world_b, manager, client_for
):
    PartnerFactory(tenant=world_b.tenant, name="Bravo Only Partner")
    assert manager.get(f"{BASE}/deals/partner-suggestions/?q=Bravo Only").json() == {"partners": []}
    partner_user = client_for(world_a.user(Role.PARTNER_ADMIN))
    assert partner_user.get(f"{BASE}/deals/partner-suggestions/?q=a").status_code == 403


def test_status_counts_stop_at_the_cap_and_say_so(world_a, manager, monkeypatch):
    from prm import counting

    for n in range(3):
        submit(world_a, customer=f"Capped {n}", domain=f"capped{n}.example")
    monkeypatch.setattr(counting, "CAP", 2)
    body = manager.get(f"{BASE}/deals/").content.decode()
    assert re.search(r'Pending <span class="tab-count">2\+</span>', body)
    assert re.search(r'All <span class="tab-count">2\+</span>', body)
    assert re.search(r"of 2\+", body)


def test_bounded_counts_are_exact_below_the_cap_in_one_statement(world_a):
    from prm.counting import BoundedCount, bounded_counts

    for n in range(3):
        submit(world_a, customer=f"Counted {n}", domain=f"counted{n}.example")
    with tenant_context(world_a.tenant), CaptureQueriesContext(connection) as captured:
        counts = bounded_counts(
            {
                "pending": DealRegistration.objects.filter(status=Status.SUBMITTED),
                "won": DealRegistration.objects.filter(status=Status.WON),
            },
            cap=2,
        )
    assert len(captured) == 1
    assert counts == {"pending": BoundedCount(2, capped=True), "won": BoundedCount(0)}
    assert [str(c) for c in counts.values()] == ["2+", "0"]
