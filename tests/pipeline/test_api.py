"""The pipeline API: registrations, accounts, vendor opportunities, revenue records and metrics.

Writes go through the pipeline services; these tests check what the API adds: the status machine
reached over HTTP, conflicts told to staff and only flagged to partners (never with another
partner's name), strict input, bulk revenue all or nothing with errors naming row and field, and
metric values equal to the hand computation of ``test_metrics``, in a constant number of queries.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pipeline.models import Account, DealConflict, DealRegistration, DealStatusChange, RevenueRecord
from prm.models import AuditEvent
from prm.permissions import Role
from prm.services import api_key_create_by_operator
from prm.tenancy import tenant_context
from tests.partners.factories import PartnerFactory
from tests.prm.factories import MembershipFactory

from .test_metrics import ALL_KEYS, EXPECTED, PERIOD, build_metric_world

API = "/api/v1/t/alpha"
OTHER_PARTNER_NAME = "ALPHA Partner Two"


def send(client, method: str, path: str, data=None, **headers):
    """Call the API as JSON; ``path`` is relative to the alpha tenant."""
    url = path if path.startswith("/api/") else f"{API}/{path}"
    if method == "get":
        return client.get(url, data or {}, headers=headers)
    return getattr(client, method)(url, json.dumps(data), content_type="application/json", headers=headers)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def ids(response) -> list[int]:
    return [row["id"] for row in ok(response)["results"]]


def deal(**overrides) -> dict:
    return {
        "account_name": "Acme",
        "account_domain": "acme.example",
        "opportunity_name": "Acme rollout",
        "products": "Suite",
        "amount": "10000.00",
        "currency": "USD",
        "expected_close_date": str(timezone.localdate() + timedelta(days=60)),
        "partner_role": "sourced",
        **overrides,
    }


@pytest.fixture
def admin(world_a, client_for) -> Client:
    return client_for(world_a.user(Role.ADMIN))


@pytest.fixture
def manager(world_a, client_for) -> Client:
    return client_for(world_a.user(Role.MANAGER))


@pytest.fixture
def partner_user(world_a, client_for) -> Client:
    return client_for(world_a.user(Role.PARTNER_USER))


@pytest.fixture
def other_partner(world_a, client_for) -> Client:
    """A user of ALPHA Partner Two, the competitor of ``partner_user``'s company."""
    return client_for(world_a.user("other_partner_user"))


def submit(client, status: int = 201, **overrides) -> dict:
    return ok(send(client, "post", "registrations/", deal(**overrides)), status)


def backdate(tenant, registration_id: int, hours: int) -> None:
    with tenant_context(tenant):
        DealRegistration.objects.filter(pk=registration_id).update(
            submitted_at=timezone.now() - timedelta(hours=hours)
        )


# --- the status machine ------------------------------------------------------------------------


def test_submit_approve_and_win_with_a_booking_creates_a_revenue_record(world_a, partner_user, manager):
    created = submit(partner_user)
    assert created["status"] == "submitted"
    assert created["partner"] == {"id": world_a.partner.pk, "name": world_a.partner.name}
    assert created["account"]["name"] == "Acme"
    assert created["account"]["domain"] == "acme.example"
    assert created["amount"] == "10000.00"
    assert created["amount_reporting"] == "10000.00"
    assert created["age_hours"] == 0
    assert created["sla_overdue"] is False
    assert created["has_conflict"] is False
    assert "conflicting_registration_ids" not in created
    assert created["protected_until"] is None
    url = f"registrations/{created['id']}/"

    approved = ok(send(manager, "post", url + "approve/", {}))
    assert approved["status"] == "approved"
    assert approved["protected_until"] == str(timezone.localdate() + timedelta(days=90))
    assert approved["conflicting_registration_ids"] == []

    today = str(timezone.localdate())
    won = ok(
        send(
            manager,
            "post",
            url + "close/",
            {
                "won": True,
                "closed_on": today,
                "amount": "12500.50",
                "create_booking": True,
            },
        )
    )
    assert won["status"] == "won"
    assert won["closed_on"] == today
    assert won["closed_amount"] == "12500.50"
    assert ok(send(partner_user, "get", url))["status"] == "won"

    with tenant_context(world_a.tenant):
        booking = RevenueRecord.objects.get(registration_id=created["id"])
        moves = list(
            DealStatusChange.objects.filter(registration_id=created["id"]).values_list("to_status", flat=True)
        )
        verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert (booking.partner_id, booking.kind, booking.recurring) == (world_a.partner.pk, "new", True)
    assert booking.amount == Decimal("12500.50")
    assert booking.period == timezone.localdate().replace(day=1)
    assert moves == ["submitted", "approved", "won"]
    assert {
        "registration.submitted",
        "registration.approved",
        "registration.won",
        "revenue.recorded",
    } <= verbs
    records = ok(send(partner_user, "get", "revenue-records/"))["results"]
    assert [(r["registration"], r["amount"]) for r in records] == [(created["id"], "12500.50")]


def test_a_lost_deal_needs_no_amount_and_a_won_one_does(partner_user, manager):
    first, second = (
        submit(partner_user),
        submit(partner_user, account_name="Globex", account_domain="globex.example"),
    )
    for registration in (first, second):
        ok(send(manager, "post", f"registrations/{registration['id']}/approve/", {}))
    today = str(timezone.localdate())
    lost = ok(
        send(manager, "post", f"registrations/{first['id']}/close/", {"won": False, "closed_on": today})
    )
    assert lost["status"] == "lost"
    assert lost["closed_amount"] is None
    no_amount = send(
        manager, "post", f"registrations/{second['id']}/close/", {"won": True, "closed_on": today}
    )
    assert no_amount.status_code == 400
    assert list(no_amount.json()) == ["amount"]
    future = send(
        manager,
        "post",
        f"registrations/{second['id']}/close/",
        {
            "won": True,
            "closed_on": str(timezone.localdate() + timedelta(days=1)),
            "amount": "5",
        },
    )
    assert list(future.json()) == ["closed_on"]


def test_rejecting_needs_a_reason_the_partner_then_reads(partner_user, manager):
    created = submit(partner_user)
    url = f"registrations/{created['id']}/reject/"
    for payload in ({}, {"reason": "  "}):
        refused = send(manager, "post", url, payload)
        assert refused.status_code == 400
        assert list(refused.json()) == ["reason"]
    ok(send(manager, "post", url, {"reason": "The customer buys direct."}))
    seen = ok(send(partner_user, "get", f"registrations/{created['id']}/"))
    assert (seen["status"], seen["decision_reason"]) == ("rejected", "The customer buys direct.")
    assert seen["decided_at"] is not None


def test_closing_needs_an_approved_registration(partner_user, manager):
    created = submit(partner_user)
    response = send(
        manager,
        "post",
        f"registrations/{created['id']}/close/",
        {
            "won": True,
            "closed_on": str(timezone.localdate()),
            "amount": "100",
        },
    )
    assert response.status_code == 400
    assert list(response.json()) == ["status"]
    assert "submitted" in response.json()["status"][0]
    ok(send(manager, "post", f"registrations/{created['id']}/reject/", {"reason": "No."}))
    again = send(manager, "post", f"registrations/{created['id']}/approve/", {})
    assert again.status_code == 400
    assert list(again.json()) == ["status"]


def test_a_partner_asks_for_an_extension_and_a_manager_grants_it(world_a, partner_user, manager):
    created = submit(partner_user)
    url = f"registrations/{created['id']}/"
    too_early = send(partner_user, "post", url + "request-extension/", {"reason": "Budget slipped."})
    assert too_early.status_code == 400
    assert list(too_early.json()) == ["status"]
    ok(send(manager, "post", url + "approve/", {}))
    needs_reason = send(partner_user, "post", url + "request-extension/", {"reason": ""})
    assert list(needs_reason.json()) == ["reason"]

    asked = ok(
        send(partner_user, "post", url + "request-extension/", {"reason": "Budget slipped a quarter."})
    )
    assert asked["extension_requested_at"] is not None
    assert asked["extension_reason"] == "Budget slipped a quarter."
    assert ids(send(manager, "get", "registrations/", {"extension_requested": "true"})) == [created["id"]]

    assert send(partner_user, "post", url + "extend/", {}).status_code == 403
    extended = ok(send(manager, "post", url + "extend/", {}))
    assert extended["extensions"] == 1
    assert extended["extension_requested_at"] is None
    assert extended["protected_until"] == str(timezone.localdate() + timedelta(days=180))
    assert ids(send(manager, "get", "registrations/", {"extension_requested": "true"})) == []


def test_a_manager_assigns_a_staff_member_as_co_sell_rep(world_a, partner_user, manager):
    created = submit(partner_user)
    url = f"registrations/{created['id']}/assign-rep/"
    rep = world_a.user(Role.EXECUTIVE)
    not_yet = send(manager, "post", url, {"user_id": rep.pk})
    assert list(not_yet.json()) == ["status"]
    ok(send(manager, "post", f"registrations/{created['id']}/approve/", {}))
    assigned = ok(send(manager, "post", url, {"user_id": rep.pk}))
    assert assigned["sales_rep"] == {"id": rep.pk, "name": str(rep)}
    not_staff = send(manager, "post", url, {"user_id": world_a.user(Role.PARTNER_USER).pk})
    assert not_staff.status_code == 400
    assert list(not_staff.json()) == ["user_id"]  # the field sent: only staff members are offered
    assert ok(send(manager, "post", url, {"user_id": None}))["sales_rep"] is None
    assert send(partner_user, "post", url, {"user_id": rep.pk}).status_code == 403


# --- conflicts ---------------------------------------------------------------------------------


def test_the_same_domain_is_flagged_as_a_conflict_on_submit(world_a, partner_user, other_partner, manager):
    first = submit(partner_user)
    second = submit(
        other_partner, account_name="Acme Corporation", account_domain="https://www.ACME.example/buy"
    )
    assert second["has_conflict"] is True
    assert second["account"]["id"] == first["account"]["id"]
    assert "conflicting_registration_ids" not in second

    mine = ok(send(partner_user, "get", f"registrations/{first['id']}/"))
    assert mine["has_conflict"] is True
    assert "conflicting_registration_ids" not in mine
    staff_view = ok(send(manager, "get", f"registrations/{first['id']}/"))
    assert staff_view["conflicting_registration_ids"] == [second["id"]]
    assert ok(send(manager, "get", f"registrations/{second['id']}/"))["conflicting_registration_ids"] == [
        first["id"]
    ]
    with tenant_context(world_a.tenant):
        assert set(DealConflict.objects.values_list("reason", flat=True)) == {"domain"}


def test_the_same_normalised_name_is_a_conflict_without_domains(partner_user, other_partner, manager):
    first = submit(partner_user, account_name="ACME, Inc.", account_domain="")
    second = submit(other_partner, account_name="Acme", account_domain="")
    assert second["has_conflict"] is True
    assert ok(send(manager, "get", f"registrations/{second['id']}/"))["conflicting_registration_ids"] == [
        first["id"]
    ]
    different = submit(other_partner, account_name="Acme Rockets", account_domain="")
    assert different["has_conflict"] is False


def test_approving_refuses_while_conflicts_are_open_unless_a_reason_rejects_the_others(
    world_a, partner_user, other_partner, manager
):
    first = submit(partner_user)
    second = submit(other_partner, account_name="ACME Inc")
    refused = send(manager, "post", f"registrations/{first['id']}/approve/", {})
    assert refused.status_code == 400
    assert list(refused.json()) == ["reject_conflicting_reason"]
    assert ok(send(manager, "get", f"registrations/{second['id']}/"))["status"] == "submitted"

    approved = ok(
        send(
            manager,
            "post",
            f"registrations/{first['id']}/approve/",
            {
                "reject_conflicting_reason": "Another partner registered this customer first.",
            },
        )
    )
    assert approved["status"] == "approved"
    rejected = ok(send(other_partner, "get", f"registrations/{second['id']}/"))
    assert rejected["status"] == "rejected"
    assert rejected["decision_reason"] == "Another partner registered this customer first."
    assert world_a.partner.name not in json.dumps(rejected)

    # The conflict is resolved: a later registration by the loser conflicts with the winner only.
    later = submit(other_partner)
    assert ok(send(manager, "get", f"registrations/{later['id']}/"))["conflicting_registration_ids"] == [
        first["id"]
    ]


def test_precheck_tells_a_partner_whether_there_is_a_conflict_never_with_whom(
    world_a, partner_user, other_partner, manager
):
    mine = submit(partner_user)
    unknown = ok(send(other_partner, "post", "registrations/precheck/", {"account_name": "Initech"}))
    assert unknown == {
        "conflict": False,
        "open_registrations": 0,
        "vendor_opportunity": False,
        "known_account": False,
    }

    theirs = ok(
        send(
            other_partner,
            "post",
            "registrations/precheck/",
            {
                "account_name": "Acme Corporation",
                "account_domain": "acme.example",
            },
        )
    )
    assert theirs == {
        "conflict": True,
        "open_registrations": 1,
        "vendor_opportunity": False,
        "known_account": True,
    }
    by_name = ok(send(other_partner, "post", "registrations/precheck/", {"account_name": "ACME, Inc."}))
    assert by_name["conflict"] is True
    own = ok(send(partner_user, "post", "registrations/precheck/", {"account_domain": "acme.example"}))
    assert own == {
        "conflict": False,
        "open_registrations": 0,
        "vendor_opportunity": False,
        "known_account": True,
    }

    empty = send(other_partner, "post", "registrations/precheck/", {})
    assert empty.status_code == 400
    assert list(empty.json()) == ["account_name"]
    nosy = send(
        other_partner, "post", "registrations/precheck/", {"account_name": "Acme", "partner": mine["id"]}
    )
    assert nosy.status_code == 400
    assert list(nosy.json()) == ["partner"]


def test_an_open_vendor_opportunity_conflicts_and_closing_it_clears_the_precheck(
    world_a, partner_user, manager
):
    created = ok(
        send(
            manager,
            "post",
            "vendor-opportunities/",
            {
                "account_name": "Globex",
                "account_domain": "globex.example",
                "name": "Globex renewal",
                "external_id": "CRM-42",
                "owner": world_a.user(Role.MANAGER).pk,
            },
        ),
        201,
    )
    assert created["is_open"] is True
    assert created["account"]["domain"] == "globex.example"
    assert created["owner"]["id"] == world_a.user(Role.MANAGER).pk
    check = {"account_name": "Globex", "account_domain": "globex.example"}
    assert ok(send(partner_user, "post", "registrations/precheck/", check))["vendor_opportunity"] is True
    flagged = submit(partner_user, account_name="Globex", account_domain="globex.example")
    assert flagged["has_conflict"] is True

    closed = ok(send(manager, "patch", f"vendor-opportunities/{created['id']}/", {"is_open": False}))
    assert closed["is_open"] is False
    assert ok(send(partner_user, "post", "registrations/precheck/", check)) == {
        "conflict": False,
        "open_registrations": 0,
        "vendor_opportunity": False,
        "known_account": True,
    }
    assert ids(send(manager, "get", "vendor-opportunities/", {"is_open": "false"})) == [created["id"]]
    moved = send(manager, "patch", f"vendor-opportunities/{created['id']}/", {"account": 1})
    assert moved.status_code == 400
    assert list(moved.json()) == ["account"]
    assert send(partner_user, "get", "vendor-opportunities/").status_code == 403


def test_an_open_vendor_opportunity_flags_registrations_already_there(world_a, partner_user, manager):
    registration = submit(partner_user)
    ok(
        send(
            manager,
            "post",
            "vendor-opportunities/",
            {"account_name": "Acme", "account_domain": "acme.example", "name": "Direct deal"},
        ),
        201,
    )
    assert ok(send(partner_user, "get", f"registrations/{registration['id']}/"))["has_conflict"] is True


# --- isolation and strict input ----------------------------------------------------------------


def test_a_partner_never_sees_another_partners_registration_or_its_name(
    world_a, partner_user, other_partner, manager
):
    theirs = submit(
        other_partner,
        account_name="Initech",
        account_domain="initech.example",
        opportunity_name="Initech secret plan",
    )
    mine = submit(partner_user, account_name="Initech LLC", account_domain="")  # conflicts by name
    assert mine["has_conflict"] is True

    url = f"registrations/{theirs['id']}/"
    assert send(partner_user, "get", url).status_code == 404
    assert send(partner_user, "post", url + "request-extension/", {"reason": "x"}).status_code == 404
    assert send(partner_user, "post", url + "approve/", {}).status_code == 403
    listed = send(partner_user, "get", "registrations/", {"search": "Initech"})
    assert ids(listed) == [mine["id"]]
    bodies = [
        listed.content.decode(),
        send(partner_user, "get", f"registrations/{mine['id']}/").content.decode(),
        send(partner_user, "post", "registrations/precheck/", {"account_name": "Initech"}).content.decode(),
        send(partner_user, "get", "registrations/", {"partner": world_a.other_partner.pk}).content.decode(),
    ]
    for body in bodies:
        assert OTHER_PARTNER_NAME not in body
        assert "Initech secret plan" not in body
    assert ids(send(partner_user, "get", "registrations/", {"partner": world_a.other_partner.pk})) == []
    assert set(ids(send(manager, "get", "registrations/"))) == {mine["id"], theirs["id"]}


def test_a_partner_registers_for_its_own_company_only(world_a, partner_user):
    response = send(partner_user, "post", "registrations/", deal(partner=world_a.other_partner.pk))
    assert response.status_code == 400
    assert list(response.json()) == ["partner"]
    created = submit(partner_user)
    assert created["partner"]["id"] == world_a.partner.pk


def test_a_partner_api_key_registers_and_reads_its_own_deals(world_a):
    with tenant_context(world_a.tenant):
        _, secret = api_key_create_by_operator(
            name="crm", role=Role.PARTNER_ADMIN, partner_id=world_a.partner.pk
        )
    client, bearer = Client(), {"Authorization": f"Bearer {secret}"}
    created = ok(send(client, "post", "registrations/", deal(), **bearer), 201)
    assert created["partner"]["id"] == world_a.partner.pk
    assert ids(send(client, "get", "registrations/", **bearer)) == [created["id"]]


def test_staff_register_on_a_partners_behalf_naming_it(world_a, manager):
    missing = send(manager, "post", "registrations/", deal())
    assert missing.status_code == 400
    assert list(missing.json()) == ["partner"]
    created = submit(manager, partner=world_a.other_partner.pk)
    assert created["partner"]["id"] == world_a.other_partner.pk
    foreign = PartnerFactory(tenant=MembershipFactory().tenant)
    elsewhere = send(manager, "post", "registrations/", deal(partner=foreign.pk))
    assert elsewhere.status_code == 400
    assert list(elsewhere.json()) == ["partner"]


def test_fields_that_cannot_be_set_are_refused_naming_them(partner_user):
    response = send(partner_user, "post", "registrations/", deal(status="approved", has_conflict=False))
    assert response.status_code == 400
    assert set(response.json()) == {"status", "has_conflict"}


def test_bad_registration_input_names_the_field(world_a, partner_user):
    cases = {
        "amount": deal(amount="-5"),
        "currency": deal(currency="GBP"),  # no exchange rate set
        "account_domain": deal(account_name="New Co", account_domain="not a domain"),
        "expected_close_date": deal(expected_close_date=str(timezone.localdate() - timedelta(days=90))),
        "partner_role": deal(partner_role="referred"),
        "account_name": deal(account_name=""),
    }
    for field, payload in cases.items():
        response = send(partner_user, "post", "registrations/", payload)
        assert response.status_code == 400, field
        assert list(response.json()) == [field], response.json()
    with tenant_context(world_a.tenant):
        assert not DealRegistration.objects.exists()


def test_put_and_delete_are_not_offered(partner_user, manager):
    created = submit(partner_user)
    url = f"registrations/{created['id']}/"
    assert send(manager, "put", url, deal()).status_code == 405
    assert send(manager, "delete", url).status_code == 405


# --- the staff list ----------------------------------------------------------------------------


def test_staff_filter_and_order_the_registration_queue(world_a, partner_user, other_partner, manager):
    old = submit(partner_user, account_name="Old Co", account_domain="old.example")
    backdate(world_a.tenant, old["id"], hours=50)
    clash_a = submit(partner_user)
    clash_b = submit(other_partner, partner_role="influenced")
    decided = submit(other_partner, account_name="Decided", account_domain="decided.example")
    backdate(world_a.tenant, decided["id"], hours=100)
    ok(send(manager, "post", f"registrations/{decided['id']}/reject/", {"reason": "No."}))

    def listed(**params) -> list[int]:
        return ids(send(manager, "get", "registrations/", params))

    assert listed(status="submitted", ordering="-has_conflict,submitted_at") == [
        clash_a["id"],
        clash_b["id"],
        old["id"],
    ]
    assert set(listed(status=["submitted", "rejected"])) == {
        old["id"],
        clash_a["id"],
        clash_b["id"],
        decided["id"],
    }
    assert listed(partner=world_a.other_partner.pk, status="submitted") == [clash_b["id"]]
    assert listed(partner_role="influenced") == [clash_b["id"]]
    assert set(listed(has_conflict="true")) == {clash_a["id"], clash_b["id"]}
    assert listed(overdue="true") == [old["id"]]  # the rejected one waited longer but was decided
    assert old["id"] not in listed(overdue="false")
    today, yesterday = timezone.localdate(), timezone.localdate() - timedelta(days=1)
    assert set(listed(submitted_after=str(today))) == {clash_a["id"], clash_b["id"]} | (
        {old["id"]} if (timezone.now() - timedelta(hours=50)).date() >= today else set()
    )
    assert decided["id"] in listed(submitted_before=str(yesterday))
    assert listed(search="old.example") == [old["id"]]
    bad = send(manager, "get", "registrations/", {"status": "pending"})
    assert bad.status_code == 400
    assert list(bad.json()) == ["status"]


def test_age_and_sla_follow_the_tenants_rule(world_a, partner_user, manager):
    created = submit(partner_user)
    backdate(world_a.tenant, created["id"], hours=50)
    seen = ok(send(partner_user, "get", f"registrations/{created['id']}/"))
    assert (seen["age_hours"], seen["sla_overdue"]) == (50, True)

    world_a.tenant.settings = {"deal_registration": {"sla_hours": 72}}
    world_a.tenant.save()
    relaxed = ok(send(manager, "get", f"registrations/{created['id']}/"))
    assert (relaxed["age_hours"], relaxed["sla_overdue"]) == (50, False)
    assert ids(send(manager, "get", "registrations/", {"overdue": "true"})) == []

    decided = ok(send(manager, "post", f"registrations/{created['id']}/approve/", {}))
    assert decided["sla_overdue"] is False
    assert decided["age_hours"] == 50


def test_the_registration_list_runs_a_constant_number_of_queries(
    world_a, partner_user, manager, other_partner
):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert send(manager, "get", "registrations/").status_code == 200
        return len(queries)

    submit(partner_user)
    submit(other_partner)
    small = count()
    for n in range(8):
        registration = submit(other_partner, account_name=f"Customer {n}", account_domain=f"c{n}.example")
        ok(send(manager, "post", f"registrations/{registration['id']}/approve/", {}))
        ok(
            send(
                manager,
                "post",
                f"registrations/{registration['id']}/assign-rep/",
                {"user_id": world_a.user(Role.ADMIN).pk},
            )
        )
    assert count() == small


# --- accounts ----------------------------------------------------------------------------------


def test_staff_search_accounts_and_merge_a_duplicate(world_a, partner_user, other_partner, manager):
    acme = submit(partner_user)
    duplicate = submit(other_partner, account_name="Acme Europe", account_domain="acme-europe.example")
    acme_id, duplicate_id = acme["account"]["id"], duplicate["account"]["id"]
    assert {a["id"] for a in ok(send(manager, "get", "accounts/", {"search": "acme"}))["results"]} == {
        acme_id,
        duplicate_id,
    }
    assert ok(send(manager, "get", f"accounts/{acme_id}/"))["domain"] == "acme.example"

    unknown = send(manager, "post", f"accounts/{duplicate_id}/merge/", {"into": 999999})
    assert unknown.status_code == 400
    assert list(unknown.json()) == ["into"]
    itself = send(manager, "post", f"accounts/{duplicate_id}/merge/", {"into": duplicate_id})
    assert itself.status_code == 400
    assert list(itself.json()) == ["into"]
    survivor = ok(send(manager, "post", f"accounts/{duplicate_id}/merge/", {"into": acme_id}))
    assert survivor["id"] == acme_id

    assert ok(send(manager, "get", f"registrations/{duplicate['id']}/"))["account"]["id"] == acme_id
    assert [a["id"] for a in ok(send(manager, "get", "accounts/", {"search": "acme"}))["results"]] == [
        acme_id
    ]
    merged = ok(send(manager, "get", "accounts/", {"merged": "yes"}))["results"]
    assert [(a["id"], a["merged_into"]) for a in merged] == [(duplicate_id, acme_id)]
    again = send(manager, "post", f"accounts/{duplicate_id}/merge/", {"into": acme_id})
    assert again.status_code == 400
    into_merged = send(manager, "post", f"accounts/{acme_id}/merge/", {"into": duplicate_id})
    assert into_merged.status_code == 400
    assert list(into_merged.json()) == ["into"]


def test_accounts_are_for_staff(world_a, partner_user):
    created = submit(partner_user)
    assert send(partner_user, "get", "accounts/").status_code == 403
    assert send(partner_user, "get", f"accounts/{created['account']['id']}/").status_code == 403
    assert (
        send(partner_user, "post", f"accounts/{created['account']['id']}/merge/", {"into": 1}).status_code
        == 403
    )


# --- revenue records ---------------------------------------------------------------------------


@pytest.fixture
def customers(world_a) -> tuple[Account, Account]:
    with tenant_context(world_a.tenant):
        return (
            Account.objects.create(name="Umbrella", domain="umbrella.example"),
            Account.objects.create(name="Hooli", domain="hooli.example"),
        )


def _row(customer, by=None, **overrides) -> dict:
    return {
        "account": customer.pk,
        "partner": by.pk if by else None,
        "period": "2026-03-15",
        "kind": "new",
        "amount": "1000.00",
        "currency": "USD",
        **overrides,
    }


def test_bulk_revenue_is_all_or_nothing_with_errors_naming_row_and_field(world_a, manager, customers):
    umbrella, hooli = customers
    rows = [
        _row(umbrella, world_a.partner),
        _row(hooli, world_a.partner, amount="-3"),
        _row(umbrella, None, account=999999),
        _row(hooli, world_a.other_partner, kind="upsell"),
        _row(hooli, None, extra="x"),
    ]
    response = send(manager, "post", "revenue-records/bulk/", rows)
    assert response.status_code == 400
    assert set(response.json()) == {"row 2: amount", "row 3: account", "row 4: kind", "row 5: extra"}
    with tenant_context(world_a.tenant):
        assert not RevenueRecord.objects.exists()

    # Rows that pass the API's checks can still fail the service's (no GBP rate): same shape.
    no_rate = send(
        manager, "post", "revenue-records/bulk/", [_row(umbrella), _row(hooli, None, currency="GBP")]
    )
    assert no_rate.status_code == 400
    assert list(no_rate.json()) == ["row 2: currency"]
    with tenant_context(world_a.tenant):
        assert not RevenueRecord.objects.exists()

    assert send(manager, "post", "revenue-records/bulk/", []).status_code == 400
    assert send(manager, "post", "revenue-records/bulk/", {"rows": []}).status_code == 400


def test_bulk_revenue_records_every_row_converted_to_the_reporting_currency(world_a, manager, customers):
    world_a.tenant.settings = {"exchange_rates": {"EUR": "1.10"}}
    world_a.tenant.save()
    umbrella, hooli = customers
    rows = [
        _row(umbrella, world_a.partner),
        _row(
            hooli,
            world_a.other_partner,
            kind="expansion",
            amount="200.00",
            currency="eur",
            period="2026-04-30",
        ),
        _row(hooli, None, recurring=False, reference="INV-7"),
    ]
    body = ok(send(manager, "post", "revenue-records/bulk/", rows), 201)
    assert body["created"] == 3
    assert [
        (r["account"]["id"], r["period"], r["currency"], r["amount_reporting"]) for r in body["results"]
    ] == [
        (umbrella.pk, "2026-03-01", "USD", "1000.00"),
        (hooli.pk, "2026-04-01", "EUR", "220.00"),
        (hooli.pk, "2026-03-01", "USD", "1000.00"),
    ]
    assert body["results"][2]["partner"] is None
    assert body["results"][2]["recurring"] is False
    with tenant_context(world_a.tenant):
        assert RevenueRecord.objects.count() == 3
        assert AuditEvent.objects.filter(verb="revenue.imported").count() == 1


def test_one_revenue_record_and_its_errors(world_a, manager, customers):
    umbrella, _ = customers
    created = ok(send(manager, "post", "revenue-records/", _row(umbrella, world_a.partner)), 201)
    assert created["partner"] == {"id": world_a.partner.pk, "name": world_a.partner.name}
    assert ok(send(manager, "get", f"revenue-records/{created['id']}/")) == created
    bad = send(manager, "post", "revenue-records/", _row(umbrella, world_a.partner, period="March"))
    assert bad.status_code == 400
    assert list(bad.json()) == ["period"]
    no_partner = send(manager, "post", "revenue-records/", _row(umbrella, world_a.partner, partner=999999))
    assert list(no_partner.json()) == ["partner"]


def test_partners_read_their_own_revenue_only(world_a, manager, partner_user, customers):
    umbrella, hooli = customers
    ok(
        send(
            manager,
            "post",
            "revenue-records/bulk/",
            [
                _row(umbrella, world_a.partner),
                _row(hooli, world_a.other_partner),
                _row(hooli, None),
            ],
        ),
        201,
    )
    body = send(partner_user, "get", "revenue-records/")
    rows = ok(body)["results"]
    assert [r["partner"]["id"] for r in rows] == [world_a.partner.pk]
    assert OTHER_PARTNER_NAME not in body.content.decode()
    with tenant_context(world_a.tenant):
        other = RevenueRecord.objects.get(partner=world_a.other_partner)
    assert send(partner_user, "get", f"revenue-records/{other.pk}/").status_code == 404
    assert send(partner_user, "post", "revenue-records/", _row(umbrella, world_a.partner)).status_code == 403
    assert (
        send(partner_user, "post", "revenue-records/bulk/", [_row(umbrella, world_a.partner)]).status_code
        == 403
    )


def test_revenue_records_filter_by_partner_account_period_kind_and_recurrence(world_a, manager, customers):
    umbrella, hooli = customers
    ok(
        send(
            manager,
            "post",
            "revenue-records/bulk/",
            [
                _row(umbrella, world_a.partner, period="2026-01-01"),
                _row(umbrella, world_a.partner, period="2026-02-01", kind="expansion"),
                _row(hooli, world_a.other_partner, period="2026-03-01", recurring=False),
                _row(hooli, None, period="2026-04-01", kind="churn"),
            ],
        ),
        201,
    )

    def periods(**params) -> list[str]:
        return sorted(r["period"] for r in ok(send(manager, "get", "revenue-records/", params))["results"])

    assert periods(partner=world_a.partner.pk) == ["2026-01-01", "2026-02-01"]
    assert periods(account=hooli.pk) == ["2026-03-01", "2026-04-01"]
    assert periods(period_from="2026-02-20", period_to="2026-03-31") == ["2026-02-01", "2026-03-01"]
    assert periods(kind=["expansion", "churn"]) == ["2026-02-01", "2026-04-01"]
    assert periods(recurring="false") == ["2026-03-01"]
    assert periods(direct="true") == ["2026-04-01"]


# --- metrics -----------------------------------------------------------------------------------


@pytest.fixture
def metric_world(db):
    return build_metric_world()


def _value(unit: str, value):
    if value is None:
        return None
    return value if unit == "count" else str(value)


def test_the_metrics_endpoint_returns_the_hand_computed_values(metric_world, client_for):
    staff = client_for(metric_world.manager.user)
    partner_ids = [p.pk for p in metric_world.partners]
    url = f"/api/v1/t/{metric_world.tenant.slug}/metrics/"
    body = ok(staff.get(url, {"period": PERIOD, "partner": partner_ids}))
    assert (body["period"], body["start"], body["end"], body["currency"]) == (
        "FY2026-Q2",
        "2025-07-01",
        "2025-09-30",
        "USD",
    )
    assert body["partners"] == partner_ids
    metrics = {m["key"]: m for m in body["metrics"]}
    assert set(ALL_KEYS) <= set(metrics)
    for key in ALL_KEYS:
        metric = metrics[key]
        assert metric["label"], key
        assert metric["definition"], key
        expected = {
            str(pid): _value(metric["unit"], v) for pid, v in zip(partner_ids, EXPECTED[key], strict=True)
        }
        assert metric["values"] == expected, key

    chosen = ok(staff.get(url, {"period": PERIOD, "keys": "win_rate,nrr", "partner": partner_ids[0]}))
    assert [m["key"] for m in chosen["metrics"]] == ["win_rate", "nrr"]
    assert chosen["metrics"][0]["values"] == {str(partner_ids[0]): "0.6667"}


def test_staff_get_every_current_partner_by_default(metric_world, client_for):
    staff = client_for(metric_world.manager.user)
    p1, p2, p3 = metric_world.partners
    with tenant_context(metric_world.tenant):
        p3.archived_at = timezone.now()
        p3.save()
    body = ok(
        staff.get(f"/api/v1/t/{metric_world.tenant.slug}/metrics/", {"period": PERIOD, "keys": "revenue"})
    )
    assert body["partners"] == [p1.pk, p2.pk]
    assert body["metrics"][0]["values"] == {str(p1.pk): "1200.00", str(p2.pk): "1200.00"}


def test_partners_see_their_own_metrics_only(metric_world, client_for):
    client = client_for(metric_world.partner_user)
    p1, p2, _ = metric_world.partners
    url = f"/api/v1/t/{metric_world.tenant.slug}/metrics/"
    body = ok(client.get(url, {"period": PERIOD}))
    assert body["partners"] == [p1.pk]
    for metric in body["metrics"]:
        assert list(metric["values"]) == [str(p1.pk)]
    assert ok(client.get(url, {"period": PERIOD, "partner": p1.pk}))["partners"] == [p1.pk]
    other = client.get(url, {"period": PERIOD, "partner": p2.pk})
    assert other.status_code == 400
    assert list(other.json()) == ["partner"]
    assert "Metric Partner 2" not in other.content.decode()


def test_metrics_input_errors_name_the_parameter(metric_world, client_for):
    staff = client_for(metric_world.manager.user)
    url = f"/api/v1/t/{metric_world.tenant.slug}/metrics/"
    for params, field in [
        ({"period": "2026Q3"}, "period"),
        ({"keys": "win_rate,happiness"}, "keys"),
        ({"partner": "abc"}, "partner"),
        ({"partner": 999999}, "partner"),
    ]:
        response = staff.get(url, params)
        assert response.status_code == 400, params
        assert list(response.json()) == [field]
    assert "happiness" in staff.get(url, {"keys": "happiness"}).json()["keys"][0]
    default = ok(staff.get(url, {"keys": "revenue"}))
    assert default["period"].startswith("FY")
    assert "-Q" in default["period"]
    assert ok(staff.get(url, {"period": "fy2026", "keys": "revenue"}))["period"] == "FY2026"


def test_the_metric_catalog_lists_keys_labels_units_and_definitions(metric_world, client_for):
    for user in (metric_world.manager.user, metric_world.partner_user):
        body = ok(client_for(user).get(f"/api/v1/t/{metric_world.tenant.slug}/metrics/catalog/"))
        by_key = {m["key"]: m for m in body}
        assert set(ALL_KEYS) <= set(by_key)
        assert by_key["win_rate"]["unit"] == "ratio"
        assert by_key["revenue"]["unit"] == "money"
        assert by_key["deals_won_count"]["unit"] == "count"
        assert all(set(m) == {"key", "label", "unit", "definition"} and m["definition"] for m in body)


@pytest.mark.parametrize("role", ["staff", "partner"])
def test_the_metrics_endpoint_query_count_does_not_grow_with_partners(client_for, db, role):
    def count(world) -> tuple[int, int]:
        user = world.manager.user if role == "staff" else world.partner_user
        with CaptureQueriesContext(connection) as queries:
            body = ok(client_for(user).get(f"/api/v1/t/{world.tenant.slug}/metrics/", {"period": PERIOD}))
        return len(queries), len(body["partners"])

    small, small_partners = count(build_metric_world("few"))  # 3 partners
    large, large_partners = count(build_metric_world("many", extra_partners=12))  # 15 partners
    assert (small_partners, large_partners) == ((3, 15) if role == "staff" else (1, 1))
    assert large == small
