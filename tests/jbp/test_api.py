"""The plan API: create and fill a plan, walk the sign-off transitions as each side, amend with a
summary and compare versions, record a review, complete an action item, export a PDF (request,
poll, download); errors name the field; another role's transition is 403."""

from __future__ import annotations

from decimal import Decimal

import pytest

from prm.permissions import Role

from .helpers import YEAR, draft, signed

API = "/api/v1/t/alpha"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_plan_goes_through_sign_off_over_the_api(world_a, client_for):
    manager, partner, executive = (
        client_for(world_a.user(r)) for r in (Role.MANAGER, Role.PARTNER_ADMIN, Role.EXECUTIVE)
    )
    created = manager.post(
        f"{API}/plans/", {"partner": world_a.partner.pk, "fiscal_year": YEAR}, content_type="application/json"
    )
    assert created.status_code == 201, created.json()
    plan_id = created.json()["id"]
    target = manager.post(
        f"{API}/plan-targets/",
        {"plan": plan_id, "kind": "revenue", "quarter": 1, "value": "5000"},
        content_type="application/json",
    )
    assert target.status_code == 201, target.json()
    assert partner.get(f"{API}/plans/{plan_id}/").status_code == 404  # drafts are the vendor's
    assert manager.post(f"{API}/plans/{plan_id}/share/").json()["status"] == "shared"
    assert executive.post(f"{API}/plans/{plan_id}/approve/").status_code == 403
    approved = partner.post(f"{API}/plans/{plan_id}/approve/").json()
    assert approved["status"] == "partner_approved"
    assert approved["partner_approved_by"]
    assert manager.post(f"{API}/plans/{plan_id}/sign-off/").status_code == 403
    assert executive.post(f"{API}/plans/{plan_id}/sign-off/").json()["status"] == "active"
    detail = partner.get(f"{API}/plans/{plan_id}/").json()
    assert detail["targets"][0]["target"] == "5000.0000"
    assert detail["targets"][0]["metric"] == "Revenue"


def test_errors_name_the_field(world_a, client_for):
    plan = draft(world_a)
    manager = client_for(world_a.user(Role.MANAGER))
    response = manager.post(
        f"{API}/plans/", {"partner": world_a.partner.pk, "fiscal_year": YEAR}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "fiscal_year" in response.json()
    response = manager.post(
        f"{API}/plan-targets/",
        {"plan": plan.pk, "kind": "other", "metric_key": "nope", "value": "1"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "metric_key" in response.json()
    response = manager.post(
        f"{API}/plan-targets/",
        {"plan": plan.pk, "kind": "revenue", "value": "1", "colour": "red"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "colour" in response.json()


def test_amend_and_compare_versions(world_a, client_for):
    plan = signed(world_a)
    manager = client_for(world_a.user(Role.MANAGER))
    target_id = manager.get(f"{API}/plan-targets/?plan={plan.pk}").json()["results"][0]["id"]
    refused = manager.patch(
        f"{API}/plan-targets/{target_id}/", {"value": "1500"}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert "change_summary" in refused.json()
    ok = manager.patch(
        f"{API}/plan-targets/{target_id}/",
        {"value": "1500", "change_summary": "Q1 up"},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.json()
    versions = manager.get(f"{API}/plans/{plan.pk}/versions/?a=1&b=2").json()
    assert [v["number"] for v in versions["versions"]] == [2, 1]
    assert versions["differences"] == [
        {
            "field": "Revenue commitment · Revenue · Q1",
            "change": "changed",
            "before": "1,000.00",
            "after": "1,500.00",
        }
    ]


def test_review_action_item_and_export_over_the_api(world_a, client_for, django_capture_on_commit_callbacks):
    plan = signed(world_a)
    manager, partner = client_for(world_a.user(Role.MANAGER)), client_for(world_a.user(Role.PARTNER_USER))
    review = manager.post(
        f"{API}/plan-reviews/",
        {
            "plan": plan.pk,
            "quarter": 1,
            "held_on": f"{YEAR}-03-31",
            "vendor_attendees": "Max",
            "partner_attendees": "Paula",
            "action_items": [
                {
                    "title": "Send list",
                    "owner_side": "partner",
                    "owner_name": "Paula",
                    "due_on": f"{YEAR}-04-10",
                }
            ],
        },
        content_type="application/json",
    )
    assert review.status_code == 201, review.json()
    assert review.json()["snapshot"][0]["value"] == "1000.0000"
    items = partner.get(f"{API}/plan-action-items/?status=open").json()["results"]
    assert [i["title"] for i in items] == ["Send list"]
    assert partner.post(f"{API}/plan-action-items/{items[0]['id']}/complete/").json()["status"] == "done"
    with django_capture_on_commit_callbacks(execute=True):
        export = partner.post(f"{API}/plan-exports/", {"plan": plan.pk}, content_type="application/json")
    assert export.status_code == 201
    polled = partner.get(f"{API}/plan-exports/{export.json()['id']}/").json()
    assert polled["status"] == "done"
    assert polled["download_url"].endswith(f"/plan-exports/{export.json()['id']}/download/")
    download = partner.get(f"{API}/plan-exports/{export.json()['id']}/download/")
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_investments_partner_side_only_for_the_partner(world_a, client_for):
    plan = draft(world_a)
    client_for(world_a.user(Role.MANAGER)).post(f"{API}/plans/{plan.pk}/share/")
    partner = client_for(world_a.user(Role.PARTNER_ADMIN))
    mine = partner.post(
        f"{API}/plan-investments/",
        {
            "plan": plan.pk,
            "side": "partner",
            "kind": "headcount",
            "description": "Engineers",
            "quantity": "2",
        },
        content_type="application/json",
    )
    assert mine.status_code == 201, mine.json()
    theirs = partner.post(
        f"{API}/plan-investments/",
        {"plan": plan.pk, "side": "vendor", "kind": "mdf", "description": "More", "amount": "1"},
        content_type="application/json",
    )
    assert theirs.status_code == 400
    assert "side" in theirs.json()
    assert Decimal(mine.json()["quantity"]) == 2


def test_an_activity_is_planned_and_moved_on_over_the_api(world_a, client_for):
    plan = draft(world_a)
    manager = client_for(world_a.user(Role.MANAGER))
    created = manager.post(
        f"{API}/plan-activities/",
        {
            "plan": plan.pk,
            "name": "Joint webinar",
            "type": "webinar",
            "quarter": 2,
            "budget": "2500.00",
            "owner_side": "partner",
            "owner_name": "Pat Partner",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "planned"
    moved = manager.patch(
        f"{API}/plan-activities/{created.json()['id']}/", {"status": "done"}, content_type="application/json"
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["status"] == "done"
    assert Decimal(moved.json()["budget"]) == Decimal("2500.00")
    wrong = manager.post(
        f"{API}/plan-activities/",
        {"plan": plan.pk, "name": "x", "type": "webinar", "quarter": 5, "owner_name": "Pat"},
        content_type="application/json",
    )
    assert wrong.status_code == 400
    assert "quarter" in wrong.json()
    partner = client_for(world_a.user(Role.PARTNER_ADMIN))
    refused = partner.patch(
        f"{API}/plan-activities/{created.json()['id']}/",
        {"status": "cancelled"},
        content_type="application/json",
    )
    assert refused.status_code == 403
