"""Tiering pages, the portal tier page and the tiering API, as the people who use them see them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from partners.models import Partner
from prm.permissions import Role
from tiering import recalculation, services
from tiering.models import ManualRating, Scorecard, ScoreRun, TierChange, TierChangeProposal

from .factories import ManualRatingFactory, TieringSettingsFactory
from .tiering_fixtures import MANUAL_ONLY, ladder


@pytest.fixture
def scored(world_a, in_tenant):
    """World A with ratings, a manual-only scorecard and two runs (so the trend chart shows)."""
    with in_tenant(world_a.tenant):
        tiers = ladder()
        services.scorecard_save_version(access=world_a.access(Role.ADMIN), criteria=MANUAL_ONLY)
        for key, value in (("fit_to_icp", 4), ("ease_of_working", 5)):
            ManualRatingFactory(partner=world_a.partner, key=key, value=value, comment=f"Comment on {key}")
        from datetime import date

        recalculation.score_run_execute(run_on=date(2026, 1, 10))
        recalculation.score_run_execute(run_on=date(2026, 4, 10))
    return tiers


def test_the_partner_page_shows_score_breakdown_trend_and_pending_proposal(world_a, client_for, scored):
    # 75×60% + 100×40% = 45 + 40 = 85 → Strategic recommended.
    body = (
        client_for(world_a.user(Role.MANAGER))
        .get(f"/t/alpha/partners/{world_a.partner.pk}/")
        .content.decode()
    )
    assert "Score and tier" in body
    assert "85.00" in body
    assert "Score trend of ALPHA Partner One" in body  # the SVG chart's title
    assert "Proposal waiting for a decision" in body
    assert "Rate this partner" in body


def test_a_manager_rates_a_partner_and_a_bad_rating_names_the_field(world_a, client_for, scored):
    client = client_for(world_a.user(Role.MANAGER))
    url = f"/t/alpha/partners/{world_a.other_partner.pk}/ratings/"
    response = client.post(url, {"rating-key": "fit_to_icp", "rating-value": "9", "rating-comment": "x"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    response = client.post(
        url, {"rating-key": "fit_to_icp", "rating-value": "2", "rating-comment": "Few shared customers"}
    )
    assert response.status_code == 302
    with __import__("prm.tenancy", fromlist=["tenant_context"]).tenant_context(world_a.tenant):
        assert ManualRating.objects.get(partner=world_a.other_partner).comment == "Few shared customers"


def test_the_tiering_page_lists_proposals_and_an_executive_approves_one(
    world_a, client_for, in_tenant, scored
):
    client = client_for(world_a.user(Role.EXECUTIVE))
    body = client.get("/t/alpha/tiering/").content.decode()
    assert "Strategic partners" in body
    assert "of 10 allowed" in body
    with in_tenant(world_a.tenant):
        proposal = TierChangeProposal.objects.get(partner=world_a.partner, status="pending")
    assert f"/t/alpha/tiering/proposals/{proposal.pk}/" in body
    response = client.post(
        f"/t/alpha/tiering/proposals/{proposal.pk}/", {"decision": "approve", "reason": "QBR agreed"}
    )
    assert response.status_code == 302
    with in_tenant(world_a.tenant):
        assert Partner.objects.get(pk=world_a.partner.pk).tier == scored["Strategic"]
        assert TierChange.objects.get().reason == "QBR agreed"


def test_a_manager_sees_the_proposal_but_cannot_decide_it(world_a, client_for, in_tenant, scored):
    with in_tenant(world_a.tenant):
        proposal = TierChangeProposal.objects.get(partner=world_a.partner, status="pending")
    client = client_for(world_a.user(Role.MANAGER))
    url = f"/t/alpha/tiering/proposals/{proposal.pk}/"
    assert "An admin or executive decides" in client.get(url).content.decode()
    assert client.post(url, {"decision": "approve"}).status_code == 403


def test_recalculate_now_runs_and_shows_progress(
    world_a, client_for, in_tenant, scored, django_capture_on_commit_callbacks
):
    client = client_for(world_a.user(Role.ADMIN))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/t/alpha/tiering/recalculate/")
    assert response.status_code == 302
    with in_tenant(world_a.tenant):
        run = ScoreRun.objects.order_by("-run_on").first()
    assert run.status == ScoreRun.Status.DONE  # eager tasks in tests
    body = client.get(f"/t/alpha/tiering/runs/{run.pk}/").content.decode()
    assert 'value="100"' in body
    assert "partners scored" in body
    assert client_for(world_a.user(Role.MANAGER)).post("/t/alpha/tiering/recalculate/").status_code == 403


def test_the_scorecard_page_previews_and_saves_a_new_version(world_a, client_for, in_tenant, scored):
    client = client_for(world_a.user(Role.ADMIN))
    form = {"c-TOTAL_FORMS": "2", "c-INITIAL_FORMS": "2", "c-MIN_NUM_FORMS": "0", "c-MAX_NUM_FORMS": "1000"}
    for i, (row, weight) in enumerate(zip(MANUAL_ONLY, (20, 80), strict=True)):
        form.update(
            {
                f"c-{i}-key": row["key"],
                f"c-{i}-label": row["label"],
                f"c-{i}-kind": "manual",
                f"c-{i}-weight": str(weight),
            }
        )
    body = client.post("/t/alpha/tiering/scorecard/", {**form, "preview": "1"}).content.decode()
    assert "What would change" in body
    bad = client.post("/t/alpha/tiering/scorecard/", {**form, "c-1-weight": "50", "save": "1"})
    assert bad.status_code == 400
    assert "The weights add up to 70; they must add up to 100." in bad.content.decode()
    assert client.post("/t/alpha/tiering/scorecard/", {**form, "save": "1"}).status_code == 302
    with in_tenant(world_a.tenant):
        assert Scorecard.objects.get(is_active=True).version == 3


def test_the_portal_shows_the_own_tier_breakdown_and_the_way_up(world_a, client_for, in_tenant, scored):
    with in_tenant(world_a.tenant):
        Partner.objects.filter(pk=world_a.partner.pk).update(tier=scored["Gold"])
    client = client_for(world_a.user(Role.PARTNER_USER))
    body = client.get("/t/alpha/portal/tier/").content.decode()
    assert "Our tier: Gold" in body
    assert "To reach Strategic" in body
    assert "Comment on fit_to_icp" not in body  # comments hidden unless the tenant shows them
    with in_tenant(world_a.tenant):
        TieringSettingsFactory(show_rating_comments_in_portal=True)
    assert "Comment on fit_to_icp" in client.get("/t/alpha/portal/tier/").content.decode()


def test_the_api_decides_proposals_and_triggers_runs(
    world_a, client_for, in_tenant, scored, django_capture_on_commit_callbacks
):
    admin = client_for(world_a.user(Role.ADMIN))
    url = f"/api/v1/t/alpha/tier-proposals/?status=pending&partner={world_a.partner.pk}"
    proposals = admin.get(url).json()["results"]
    assert [(p["partner"], p["to_tier"]) for p in proposals] == [(world_a.partner.pk, scored["Strategic"].pk)]
    pk = proposals[0]["id"]
    manager = client_for(world_a.user(Role.MANAGER))
    assert (
        manager.post(
            f"/api/v1/t/alpha/tier-proposals/{pk}/approve/", {}, content_type="application/json"
        ).status_code
        == 403
    )
    response = admin.post(
        f"/api/v1/t/alpha/tier-proposals/{pk}/reject/", {"reason": ""}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"reason": ["Give the reason for rejecting, so the manager knows."]}
    response = admin.post(
        f"/api/v1/t/alpha/tier-proposals/{pk}/approve/", {"reason": "ok"}, content_type="application/json"
    )
    assert response.json()["status"] == "approved"
    with django_capture_on_commit_callbacks(execute=True):
        run = admin.post("/api/v1/t/alpha/score-runs/", content_type="application/json")
    assert run.status_code == 202
    assert admin.get(f"/api/v1/t/alpha/score-runs/{run.json()['id']}/").json()["status"] == "done"
    snapshots = admin.get(f"/api/v1/t/alpha/score-snapshots/?partner={world_a.partner.pk}").json()["results"]
    assert Decimal(snapshots[0]["score"]) == Decimal("85.00")
    what_if = admin.post(
        "/api/v1/t/alpha/scorecards/what-if/",
        {"criteria": [{**MANUAL_ONLY[0], "weight": 20}, {**MANUAL_ONLY[1], "weight": 80}]},
        content_type="application/json",
    ).json()
    assert {"counts", "up", "down"} <= set(what_if)


def test_partner_callers_read_their_own_snapshots_only(world_a, client_for, scored):
    body = client_for(world_a.user(Role.PARTNER_USER)).get("/api/v1/t/alpha/score-snapshots/").json()
    assert {row["partner"] for row in body["results"]} == {world_a.partner.pk}
