"""Deal registration in the partner portal: the own registrations only, registering with a
pre-check that never names another partner, a registration's history, age and SLA, and asking
for an extension. Another partner's registration is a 404, whatever the route.
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
from pipeline.models import DealRegistration, VendorOpportunity
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.partners.factories import PartnerFactory

BASE = "/t/alpha/portal"
Status = DealRegistration.Status
OTHER = "other_partner_user"


def words(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))).strip()


def field_errors(response, name: str) -> str:
    match = re.search(rf'<ul[^>]*id="id_{name}_error"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""


def row_ids(response) -> list[int]:
    ids = re.findall(rf'href="{BASE}/deals/(\d+)/"', response.content.decode())
    return list(dict.fromkeys(int(i) for i in ids))


def submit(
    world, who=Role.PARTNER_ADMIN, *, customer="Acme Corp", domain="acme.example", hours_ago=0, **fields
):
    values = {
        "opportunity_name": f"{customer} deal",
        "products": "Suite",
        "amount": Decimal("1000"),
        "currency": "USD",
        "expected_close_date": timezone.localdate() + timedelta(days=60),
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


def approve(world, registration, reason: str = ""):
    with tenant_context(world.tenant):
        return services.registration_approve(
            access=world.access(Role.MANAGER), registration=registration, reject_conflicting_reason=reason
        )


def reload(world, registration) -> DealRegistration:
    with tenant_context(world.tenant):
        return DealRegistration.objects.get(pk=registration.pk)


@pytest.fixture
def partner_user(world_a, client_for):
    return client_for(world_a.user(Role.PARTNER_USER))


def _form(**overrides):
    data = {
        "account_name": "Initech",
        "account_domain": "initech.example",
        "opportunity_name": "Initech migration",
        "products": "Platform",
        "amount": "25000",
        "currency": "USD",
        "expected_close_date": (timezone.localdate() + timedelta(days=45)).isoformat(),
        "stage": "discovery",
        "partner_role": "sourced",
        "customer_contact_name": "Pat Jones",
        "customer_contact_email": "pat@initech.example",
        "notes": "",
    }
    data.update(overrides)
    return data


# --- the list ----------------------------------------------------------------------------------


def test_a_partner_user_sees_only_the_own_registrations(world_a, partner_user):
    mine = submit(world_a, customer="Mine", domain="mine.example", hours_ago=3)
    submit(
        world_a,
        OTHER,
        customer="Theirs",
        domain="theirs.example",
        opportunity_name="ALPHA Partner Two secret",
    )

    response = partner_user.get(f"{BASE}/deals/")

    assert response.status_code == 200
    assert row_ids(response) == [mine.pk]
    text = words(response)
    assert "Theirs" not in text
    assert "ALPHA Partner Two" not in text
    assert "waiting 3 h" in text
    assert "Pending" in text


def test_the_list_shows_status_protection_and_tabs(world_a, partner_user):
    approved = approve(world_a, submit(world_a, customer="Approved", domain="approved.example"))
    pending = submit(world_a, customer="Pending", domain="pending.example")

    response = partner_user.get(f"{BASE}/deals/")
    text = words(response)
    assert approved.protected_until.strftime("%-d %b %Y") in text
    assert set(row_ids(response)) == {approved.pk, pending.pk}
    assert row_ids(partner_user.get(f"{BASE}/deals/?status=approved")) == [approved.pk]
    assert row_ids(partner_user.get(f"{BASE}/deals/?status=submitted")) == [pending.pk]
    # An unknown status shows everything rather than failing.
    assert set(row_ids(partner_user.get(f"{BASE}/deals/?status=nonsense"))) == {approved.pk, pending.pk}


def test_the_list_is_paginated(world_a, partner_user):
    for i in range(27):
        submit(world_a, customer=f"Customer {i}", domain=f"c{i}.example")
    assert len(row_ids(partner_user.get(f"{BASE}/deals/"))) == 25
    assert len(row_ids(partner_user.get(f"{BASE}/deals/?page=2"))) == 2


def test_the_portal_navigation_has_deals_and_staff_cannot_open_the_portal_list(
    world_a, partner_user, client_for
):
    home = partner_user.get(f"{BASE}/")
    assert re.search(rf'<a href="{BASE}/deals/"[^>]*>Deals</a>', home.content.decode())
    assert client_for(world_a.user(Role.MANAGER)).get(f"{BASE}/deals/").status_code == 403


def test_the_list_runs_the_same_number_of_queries_for_few_or_many_rows(world_a, partner_user):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert partner_user.get(f"{BASE}/deals/").status_code == 200
        return len(queries)

    for i in range(2):
        approve(world_a, submit(world_a, customer=f"A{i}", domain=f"a{i}.example"))
        submit(world_a, OTHER, customer=f"A{i}", domain=f"a{i}.example")
    small = count()
    for i in range(2, 14):
        submit(world_a, customer=f"A{i}", domain=f"a{i}.example")
        submit(world_a, OTHER, customer=f"A{i}", domain=f"a{i}.example")
    assert count() == small


# --- registering and the pre-check ---------------------------------------------------------------


def test_a_partner_user_registers_a_deal_for_the_own_company(world_a, partner_user):
    response = partner_user.post(
        f"{BASE}/deals/new/",
        _form(partner=world_a.other_partner.pk, account_domain="https://www.initech.example/"),
        follow=True,
    )

    with tenant_context(world_a.tenant):
        registration = DealRegistration.objects.select_related("account").get()
    assert registration.partner_id == world_a.partner.pk  # a posted partner is ignored
    assert registration.submitted_by == world_a.user(Role.PARTNER_USER)
    assert registration.account.domain == "initech.example"
    assert registration.status == Status.SUBMITTED
    assert response.redirect_chain[-1][0] == f"{BASE}/deals/{registration.pk}/"
    assert "Registration submitted. The program team decides within 48 hours" in words(response)


def test_registering_shows_errors_on_the_field_and_creates_nothing(world_a, partner_user):
    response = partner_user.post(
        f"{BASE}/deals/new/",
        _form(
            opportunity_name="", amount="lots", customer_contact_email="not-an-address", partner_role="owner"
        ),
    )

    assert response.status_code == 400
    assert field_errors(response, "opportunity_name") == "This field is required."
    assert field_errors(response, "amount") == "Enter a number."
    assert field_errors(response, "customer_contact_email") == "Enter a valid email address."
    assert "Select a valid choice" in field_errors(response, "partner_role")
    assert "The deal was not registered" in words(response)
    bad_domain = partner_user.post(f"{BASE}/deals/new/", _form(account_domain="not a domain"))
    assert bad_domain.status_code == 400
    assert field_errors(bad_domain, "account_domain")
    with tenant_context(world_a.tenant):
        assert not DealRegistration.objects.exists()


def _precheck(client, name: str, domain: str = "", **headers):
    return client.post(
        f"{BASE}/deals/precheck/",
        {"account_name": name, "account_domain": domain},
        headers={"HX-Request": "true", **headers},
    )


def test_the_pre_check_finds_no_conflict_for_a_new_customer(world_a, partner_user):
    response = _precheck(partner_user, "Brand New Co", "brandnew.example")
    assert response.status_code == 200
    assert "No conflict found." in words(response)
    assert "<html" not in response.content.decode()  # a fragment, for htmx


def test_the_pre_check_says_another_partner_holds_the_customer_without_naming_it(world_a, partner_user):
    submit(world_a, OTHER, customer="Initech", domain="initech.example", opportunity_name="Secret plan")

    response = _precheck(partner_user, "", "www.initech.example")

    text = words(response)
    assert "Another partner has an open registration for this customer." in text
    for leak in ("ALPHA Partner Two", "Secret plan", "other@alpha.example"):
        assert leak not in text
    # Matched by the normalised name as well.
    assert "Another partner has an open registration" in words(_precheck(partner_user, "INITECH, Inc."))


def test_the_pre_check_reports_a_vendor_opportunity(world_a, partner_user):
    with tenant_context(world_a.tenant):
        account, _ = services.account_find_or_create(name="Globex", domain="globex.example")
        VendorOpportunity.objects.create(account=account, name="Globex renewal (direct)")

    text = words(_precheck(partner_user, "Globex", "globex.example"))
    assert "The vendor already works an opportunity with this customer." in text
    assert "Globex renewal" not in text


def test_the_pre_check_ignores_the_own_and_closed_registrations(world_a, partner_user):
    submit(world_a, customer="Initech", domain="initech.example")  # our own
    rejected = submit(world_a, OTHER, customer="Globex", domain="globex.example")
    with tenant_context(world_a.tenant):
        services.registration_reject(access=world_a.access(Role.MANAGER), registration=rejected, reason="No.")

    assert "No conflict found." in words(_precheck(partner_user, "Initech", "initech.example"))
    assert "No conflict found." in words(_precheck(partner_user, "Globex", "globex.example"))


def test_the_pre_check_needs_a_name_or_domain(world_a, partner_user):
    assert "Type the customer's name or domain first." in words(_precheck(partner_user, " ", ""))


def test_without_script_the_pre_check_answers_on_the_form_keeping_what_was_typed(world_a, partner_user):
    submit(world_a, OTHER, customer="Initech", domain="initech.example")

    response = partner_user.post(f"{BASE}/deals/precheck/", _form(opportunity_name="Kept name"))

    assert response.status_code == 200
    text = words(response)
    assert "Register a deal" in text
    assert "Another partner has an open registration for this customer." in text
    assert 'value="Kept name"' in response.content.decode()
    assert f'action="{BASE}/deals/new/"' in response.content.decode()
    with tenant_context(world_a.tenant):
        assert DealRegistration.objects.count() == 1


def test_the_pre_check_is_post_only_and_for_the_portal(world_a, partner_user, client_for):
    assert partner_user.get(f"{BASE}/deals/precheck/").status_code == 405
    assert _precheck(client_for(world_a.user(Role.MANAGER)), "Initech").status_code == 403


# --- one registration --------------------------------------------------------------------------


def test_the_registration_page_shows_history_age_and_sla(world_a, partner_user):
    registration = submit(world_a, hours_ago=5, notes="Met their CIO.")

    text = words(partner_user.get(f"{BASE}/deals/{registration.pk}/"))
    assert "Waiting 5 h for a decision." in text
    assert re.search(r"decides within 48 hours \(4[23] h left\)", text)
    assert "Submitted" in text
    assert "Met their CIO." in text


def test_an_overdue_registration_says_so(world_a, partner_user):
    registration = submit(world_a, hours_ago=50)
    assert "longer than the program's 48-hour promise" in words(
        partner_user.get(f"{BASE}/deals/{registration.pk}/")
    )


def test_a_conflict_is_shown_to_the_partner_without_the_other_partners_name(world_a, partner_user):
    mine = submit(world_a, customer="Initech", domain="initech.example")
    submit(
        world_a, OTHER, customer="Initech", domain="initech.example", opportunity_name="Their Initech deal"
    )

    text = words(partner_user.get(f"{BASE}/deals/{mine.pk}/"))
    assert "Another registration or a vendor opportunity claims this customer too." in text
    assert "ALPHA Partner Two" not in text
    assert "Their Initech deal" not in text


def test_a_rejection_shows_its_reason_and_history(world_a, partner_user):
    mine = submit(world_a, customer="Initech", domain="initech.example", hours_ago=2)
    theirs = submit(world_a, OTHER, customer="Initech", domain="initech.example")
    approve(world_a, theirs, reason="The customer confirmed the other partner leads.")

    text = words(partner_user.get(f"{BASE}/deals/{mine.pk}/"))
    assert "Not approved. The customer confirmed the other partner leads." in text
    assert "Rejected" in text


def test_another_partners_registration_is_a_404_on_every_route(world_a, partner_user, client_for):
    theirs = approve(world_a, submit(world_a, OTHER, customer="Theirs", domain="theirs.example"))

    assert partner_user.get(f"{BASE}/deals/{theirs.pk}/").status_code == 404
    assert (
        partner_user.post(f"{BASE}/deals/{theirs.pk}/extension/", {"reason": "Mine now"}).status_code == 404
    )
    assert partner_user.get(f"{BASE}/deals/999999/").status_code == 404
    assert reload(world_a, theirs).extension_requested_at is None
    # The other partner itself sees it.
    assert client_for(world_a.user(OTHER)).get(f"{BASE}/deals/{theirs.pk}/").status_code == 200


def test_a_partner_asks_for_an_extension_of_an_approved_deal(world_a, partner_user):
    registration = approve(world_a, submit(world_a))

    page = words(partner_user.get(f"{BASE}/deals/{registration.pk}/"))
    assert "you are protected on this deal until" in page
    assert "Request an extension" in page

    refused = partner_user.post(f"{BASE}/deals/{registration.pk}/extension/", {"reason": ""})
    assert refused.status_code == 400
    assert field_errors(refused, "reason") == "Say why the deal needs more time."

    done = partner_user.post(
        f"{BASE}/deals/{registration.pk}/extension/", {"reason": "Board meets in March."}, follow=True
    )
    assert "Extension requested. The program team decides" in words(done)
    assert reload(world_a, registration).extension_reason == "Board meets in March."
    assert "You asked on" in words(done)
    assert 'name="reason"' not in done.content.decode()


def test_a_pending_registration_cannot_be_extended(world_a, partner_user):
    registration = submit(world_a)
    assert "Request an extension" not in words(partner_user.get(f"{BASE}/deals/{registration.pk}/"))
    refused = partner_user.post(f"{BASE}/deals/{registration.pk}/extension/", {"reason": "Please"})
    assert refused.status_code == 400
    assert "it must be approved" in words(refused)


def test_the_link_in_the_decision_email_opens_the_registration(
    world_a, partner_user, mailoutbox, django_capture_on_commit_callbacks
):
    registration = submit(world_a)
    with django_capture_on_commit_callbacks(execute=True):
        approve(world_a, registration)

    link = re.search(r"https?://[^\s]+", mailoutbox[-1].body).group(0)
    path = re.sub(r"^https?://[^/]+", "", link)
    assert path == f"{BASE}/deals/{registration.pk}/"
    assert partner_user.get(path).status_code == 200


def test_a_suspended_partner_cannot_register(world_a, partner_user):
    with tenant_context(world_a.tenant):
        world_a.partner.status = "suspended"
        world_a.partner.save()
    response = partner_user.post(f"{BASE}/deals/new/", _form())
    assert response.status_code == 400
    assert "cannot register deals" in words(response)


def test_an_archived_other_partner_never_appears(world_a, partner_user):
    PartnerFactory(tenant=world_a.tenant, name="Someone Else")
    assert "Someone Else" not in words(partner_user.get(f"{BASE}/deals/new/"))
