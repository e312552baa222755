"""Members: admins change roles, deactivate and reactivate members, on the page and in the API.
The tenant always keeps an active admin, nobody locks themselves out, and every change is audited."""

from __future__ import annotations

import pytest
from django.test import Client

from prm.models import AuditEvent, Membership
from prm.permissions import Role
from prm.services import api_key_create_by_operator
from tests.prm.factories import MembershipFactory


def events(in_tenant, tenant, verb):
    with in_tenant(tenant):
        return list(AuditEvent.objects.filter(verb=verb).order_by("created_at", "id"))


def api_post(client: Client, path: str, data: dict | None = None, **headers):
    return client.post(path, data or {}, content_type="application/json", **headers)


@pytest.fixture
def admin_key(world_a, in_tenant):
    """An admin-role API key: it acts as no user, so "you cannot deactivate yourself" never applies."""
    with in_tenant(world_a.tenant):
        _key, secret = api_key_create_by_operator(name="Ops script", role=Role.ADMIN)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


# --- changing roles --------------------------------------------------------------------------


def test_admin_changes_a_members_role_on_the_page(world_a, client_for, in_tenant):
    member = world_a.members[Role.MANAGER]
    admin = client_for(world_a.user(Role.ADMIN))

    form = admin.get(f"/t/alpha/members/{member.pk}/")
    assert form.status_code == 200
    assert member.user.email.encode() in form.content

    response = admin.post(
        f"/t/alpha/members/{member.pk}/", {"role": Role.FINANCE, "partner": ""}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/t/alpha/members/"
    assert f"{member.user} is now Finance." in response.content.decode()
    member.refresh_from_db()
    assert member.role == Role.FINANCE
    # The new role takes effect at once: finance may not see the audit trail, managers' pages stay.
    assert client_for(member.user).get("/t/alpha/audit/").status_code == 403
    [event] = events(in_tenant, world_a.tenant, "membership.role_changed")
    assert (event.before, event.after) == (
        {"role": "manager", "partner_id": None},
        {"role": "finance", "partner_id": None},
    )
    assert event.actor == world_a.user(Role.ADMIN)
    assert event.target_id == str(member.pk)


def test_admin_moves_a_staff_member_to_a_partner_role_with_a_partner(world_a, client_for):
    member = world_a.members[Role.EXECUTIVE]

    response = client_for(world_a.user(Role.ADMIN)).post(
        f"/t/alpha/members/{member.pk}/", {"role": Role.PARTNER_USER, "partner": world_a.other_partner.pk}
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.role, member.partner_id) == (Role.PARTNER_USER, world_a.other_partner.pk)
    assert client_for(member.user).get("/t/alpha/", follow=True).redirect_chain[-1][0] == "/t/alpha/portal/"


def test_partner_role_needs_a_partner_of_this_tenant_on_the_page(world_a, world_b, client_for):
    member = world_a.members[Role.MANAGER]
    admin = client_for(world_a.user(Role.ADMIN))

    missing = admin.post(f"/t/alpha/members/{member.pk}/", {"role": Role.PARTNER_USER, "partner": ""})
    foreign = admin.post(
        f"/t/alpha/members/{member.pk}/", {"role": Role.PARTNER_USER, "partner": world_b.partner.pk}
    )

    assert missing.status_code == 400
    assert missing.context["form"].errors["partner"] == ["A partner role must name the partner company."]
    assert foreign.status_code == 400
    assert "partner" in foreign.context["form"].errors
    member.refresh_from_db()
    assert (member.role, member.partner_id) == (Role.MANAGER, None)


def test_admin_changes_a_role_through_the_api(world_a, client_for, in_tenant):
    member = world_a.members[Role.FINANCE]

    response = api_post(
        client_for(world_a.user(Role.ADMIN)),
        f"/api/v1/t/alpha/members/{member.pk}/role/",
        {"role": Role.PARTNER_ADMIN, "partner_id": world_a.partner.pk},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["role"], body["partner_id"]) == (member.pk, "partner_admin", world_a.partner.pk)
    member.refresh_from_db()
    assert (member.role, member.partner_id) == (Role.PARTNER_ADMIN, world_a.partner.pk)
    [event] = events(in_tenant, world_a.tenant, "membership.role_changed")
    assert event.before == {"role": "finance", "partner_id": None}
    assert event.after == {"role": "partner_admin", "partner_id": world_a.partner.pk}
    assert event.partner_id == world_a.partner.pk


def test_moving_a_partner_user_to_staff_drops_the_partner(world_a, client_for):
    member = world_a.members[Role.PARTNER_USER]

    response = api_post(
        client_for(world_a.user(Role.ADMIN)),
        f"/api/v1/t/alpha/members/{member.pk}/role/",
        {"role": "manager"},
    )

    assert response.status_code == 200
    member.refresh_from_db()
    assert (member.role, member.partner_id) == (Role.MANAGER, None)


def test_api_role_change_names_the_partner_field_when_the_partner_is_missing_or_foreign(
    world_a, world_b, client_for
):
    member = world_a.members[Role.MANAGER]
    admin = client_for(world_a.user(Role.ADMIN))
    url = f"/api/v1/t/alpha/members/{member.pk}/role/"

    missing = api_post(admin, url, {"role": "partner_user"})
    foreign = api_post(admin, url, {"role": "partner_user", "partner_id": world_b.partner.pk})
    bogus_role = api_post(admin, url, {"role": "overlord"})

    assert missing.status_code == 400
    assert "partner" in missing.json()
    assert foreign.status_code == 400
    # Named like the field sent; the same answer as for an id that exists in no tenant.
    assert foreign.json() == {"partner_id": [f'Invalid pk "{world_b.partner.pk}" - object does not exist.']}
    assert bogus_role.status_code == 400
    assert "role" in bogus_role.json()
    member.refresh_from_db()
    assert member.role == Role.MANAGER


def test_only_admins_change_roles(world_a, client_for):
    member = world_a.members[Role.FINANCE]
    for role in (Role.MANAGER, Role.EXECUTIVE, Role.PARTNER_ADMIN):
        client = client_for(world_a.user(role))
        page = client.post(f"/t/alpha/members/{member.pk}/", {"role": Role.ADMIN})
        api = api_post(client, f"/api/v1/t/alpha/members/{member.pk}/role/", {"role": "admin"})
        assert page.status_code == 403, role
        assert api.status_code == 403, role
    member.refresh_from_db()
    assert member.role == Role.FINANCE


def test_members_of_another_tenant_are_not_found(world_a, world_b, client_for):
    stranger = world_b.members[Role.MANAGER]
    admin = client_for(world_a.user(Role.ADMIN))

    assert admin.get(f"/t/alpha/members/{stranger.pk}/").status_code == 404
    assert admin.post(f"/t/alpha/members/{stranger.pk}/deactivate/").status_code == 404
    assert (
        api_post(admin, f"/api/v1/t/alpha/members/{stranger.pk}/role/", {"role": "admin"}).status_code == 404
    )
    stranger.refresh_from_db()
    assert (stranger.role, stranger.is_active) == (Role.MANAGER, True)


# --- the last admin ---------------------------------------------------------------------------


def test_last_admin_cannot_demote_themselves_on_the_page(world_a, client_for, in_tenant):
    admin = world_a.members[Role.ADMIN]

    response = client_for(admin.user).post(f"/t/alpha/members/{admin.pk}/", {"role": Role.MANAGER})

    assert response.status_code == 400
    assert response.context["form"].errors["role"] == [
        "The tenant must keep at least one active program admin."
    ]
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN
    assert events(in_tenant, world_a.tenant, "membership.role_changed") == []


def test_last_admin_cannot_be_demoted_through_the_api(world_a, admin_key):
    admin = world_a.members[Role.ADMIN]

    response = api_post(
        Client(), f"/api/v1/t/alpha/members/{admin.pk}/role/", {"role": "executive"}, **admin_key
    )

    assert response.status_code == 400
    assert response.json() == {"role": ["The tenant must keep at least one active program admin."]}
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN


def test_last_admin_cannot_be_deactivated(world_a, admin_key):
    admin = world_a.members[Role.ADMIN]

    response = api_post(Client(), f"/api/v1/t/alpha/members/{admin.pk}/deactivate/", **admin_key)

    assert response.status_code == 400
    assert "at least one active program admin" in str(response.json())
    admin.refresh_from_db()
    assert admin.is_active


def test_with_a_second_admin_one_may_step_down_but_not_the_last(world_a, client_for):
    first = world_a.members[Role.ADMIN]
    second = MembershipFactory(tenant=world_a.tenant, role=Role.ADMIN)

    stepped_down = client_for(second.user).post(f"/t/alpha/members/{second.pk}/", {"role": Role.EXECUTIVE})
    refused = client_for(first.user).post(f"/t/alpha/members/{first.pk}/", {"role": Role.EXECUTIVE})

    assert stepped_down.status_code == 302
    assert refused.status_code == 400
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.role, second.role) == (Role.ADMIN, Role.EXECUTIVE)


def test_a_deactivated_admin_does_not_count_as_the_remaining_admin(world_a, client_for):
    first = world_a.members[Role.ADMIN]
    second = MembershipFactory(tenant=world_a.tenant, role=Role.ADMIN)
    assert client_for(first.user).post(f"/t/alpha/members/{second.pk}/deactivate/").status_code == 302

    response = client_for(first.user).post(f"/t/alpha/members/{first.pk}/", {"role": Role.MANAGER})

    assert response.status_code == 400
    first.refresh_from_db()
    assert first.role == Role.ADMIN


# --- deactivation and reactivation -------------------------------------------------------------


def test_admin_cannot_deactivate_themselves(world_a, client_for):
    admin = world_a.members[Role.ADMIN]
    second = MembershipFactory(tenant=world_a.tenant, role=Role.ADMIN)  # not the last admin either

    response = client_for(admin.user).post(f"/t/alpha/members/{admin.pk}/deactivate/", follow=True)

    assert "You cannot deactivate yourself." in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active
    assert second.is_active


def test_deactivated_member_loses_access_but_keeps_their_membership_row(world_a, client_for, in_tenant):
    member = world_a.members[Role.MANAGER]
    admin_user = world_a.user(Role.ADMIN)
    member_client = client_for(member.user)
    assert member_client.get("/t/alpha/").status_code == 200

    response = client_for(admin_user).post(f"/t/alpha/members/{member.pk}/deactivate/", follow=True)

    assert f"{member.user} deactivated." in response.content.decode()
    assert member_client.get("/t/alpha/").status_code == 404
    assert member_client.get("/t/alpha/partners/").status_code == 404
    assert member_client.get("/api/v1/t/alpha/me/").status_code == 404
    row = Membership.objects.get(pk=member.pk)
    assert (row.is_active, row.role, row.deactivated_by) == (False, Role.MANAGER, admin_user)
    assert row.deactivated_at is not None
    # Still listed for the admin, marked deactivated, with a way back.
    page = client_for(admin_user).get("/t/alpha/members/").content.decode()
    assert member.user.email in page
    assert f"/t/alpha/members/{member.pk}/reactivate/" in page
    [event] = events(in_tenant, world_a.tenant, "membership.deactivated")
    assert (event.before, event.after, event.actor) == ({"is_active": True}, {"is_active": False}, admin_user)


def test_deactivated_partner_user_loses_the_portal(world_a, client_for):
    member = world_a.members[Role.PARTNER_USER]

    client_for(world_a.user(Role.ADMIN)).post(f"/t/alpha/members/{member.pk}/deactivate/")

    assert client_for(member.user).get("/t/alpha/portal/").status_code == 404


def test_deactivating_in_one_tenant_leaves_the_other_membership_alone(world_a, client_for):
    shared = MembershipFactory(tenant=world_a.tenant, role=Role.MANAGER)
    other_tenant_member = MembershipFactory(user=shared.user, role=Role.FINANCE)

    client_for(world_a.user(Role.ADMIN)).post(f"/t/alpha/members/{shared.pk}/deactivate/")

    client = client_for(shared.user)
    assert client.get("/t/alpha/").status_code == 404
    assert client.get(f"/t/{other_tenant_member.tenant.slug}/").status_code == 200


def test_reactivated_member_gets_access_back_with_their_role(world_a, client_for, in_tenant):
    member = world_a.members[Role.EXECUTIVE]
    admin = client_for(world_a.user(Role.ADMIN))
    admin.post(f"/t/alpha/members/{member.pk}/deactivate/")
    assert client_for(member.user).get("/t/alpha/").status_code == 404

    response = admin.post(f"/t/alpha/members/{member.pk}/reactivate/", follow=True)

    assert f"{member.user} reactivated." in response.content.decode()
    member.refresh_from_db()
    assert (member.is_active, member.role, member.deactivated_at, member.deactivated_by) == (
        True,
        Role.EXECUTIVE,
        None,
        None,
    )
    assert client_for(member.user).get("/t/alpha/audit/").status_code == 200
    [event] = events(in_tenant, world_a.tenant, "membership.reactivated")
    assert (event.before, event.after) == ({"is_active": False}, {"is_active": True})


def test_deactivate_and_reactivate_through_the_api(world_a, client_for, in_tenant):
    member = world_a.members[Role.PARTNER_ADMIN]
    admin = client_for(world_a.user(Role.ADMIN))

    off = api_post(admin, f"/api/v1/t/alpha/members/{member.pk}/deactivate/")
    twice = api_post(admin, f"/api/v1/t/alpha/members/{member.pk}/deactivate/")
    on = api_post(admin, f"/api/v1/t/alpha/members/{member.pk}/reactivate/")

    assert (off.status_code, off.json()["is_active"]) == (200, False)
    assert twice.status_code == 400
    assert twice.json() == {"non_field_errors": ["This member is already deactivated."]}
    assert (on.status_code, on.json()["is_active"]) == (200, True)
    verbs = [e.verb for e in events(in_tenant, world_a.tenant, "membership.deactivated")] + [
        e.verb for e in events(in_tenant, world_a.tenant, "membership.reactivated")
    ]
    assert verbs == ["membership.deactivated", "membership.reactivated"]
    # Both carry the partner, so the partner's own trail shows them.
    assert {e.partner_id for e in events(in_tenant, world_a.tenant, "membership.deactivated")} == {
        world_a.partner.pk
    }


def test_only_admins_deactivate_members(world_a, client_for):
    member = world_a.members[Role.FINANCE]
    for role in (Role.MANAGER, Role.FINANCE, Role.EXECUTIVE, Role.PARTNER_ADMIN, Role.PARTNER_USER):
        response = client_for(world_a.user(role)).post(f"/t/alpha/members/{member.pk}/deactivate/")
        assert response.status_code == 403, role
    member.refresh_from_db()
    assert member.is_active


def test_api_key_actions_are_audited_with_the_key_as_actor(world_a, admin_key, in_tenant):
    member = world_a.members[Role.MANAGER]

    response = api_post(
        Client(), f"/api/v1/t/alpha/members/{member.pk}/role/", {"role": "finance"}, **admin_key
    )

    assert response.status_code == 200
    [event] = events(in_tenant, world_a.tenant, "membership.role_changed")
    assert event.actor is None
    assert event.actor_label == "API key “Ops script”"


def test_member_list_in_the_api_shows_partners_only_their_own_colleagues(world_a, client_for):
    staff = client_for(world_a.user(Role.FINANCE)).get("/api/v1/t/alpha/members/")
    partner = client_for(world_a.user(Role.PARTNER_USER)).get("/api/v1/t/alpha/members/")

    assert staff.status_code == partner.status_code == 200
    assert staff.json()["count"] == len(world_a.members)
    assert sorted(m["email"] for m in partner.json()["results"]) == sorted(
        [world_a.user(Role.PARTNER_ADMIN).email, world_a.user(Role.PARTNER_USER).email]
    )
