"""API keys: created by admins on the settings page (or by operators on the command line), shown
once, stored as a hash, and accepted as ``Authorization: Bearer …`` on their own tenant's API only."""

from __future__ import annotations

import hashlib
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from prm.models import ApiKey, AuditEvent
from prm.permissions import Role

SECRET_ON_PAGE = re.compile(r'<code[^>]*\bid="new-secret"[^>]*>\s*(?P<secret>[^<\s]+)\s*</code>')


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def create_key_on_page(client: Client, **data):
    response = client.post("/t/alpha/settings/api-keys/", data)
    match = SECRET_ON_PAGE.search(response.content.decode())
    return response, (match["secret"] if match else None)


@pytest.fixture
def admin_client(world_a, client_for):
    return client_for(world_a.user(Role.ADMIN))


@pytest.fixture
def manager_secret(admin_client):
    _response, secret = create_key_on_page(admin_client, name="CRM sync", role=Role.MANAGER, partner="")
    assert secret is not None
    return secret


def the_key(in_tenant, tenant, name) -> ApiKey:
    with in_tenant(tenant):
        return ApiKey.objects.get(name=name)


# --- creating on the page --------------------------------------------------------------------


def test_new_key_is_shown_once_and_only_its_hash_is_stored(world_a, admin_client, in_tenant):
    response, secret = create_key_on_page(admin_client, name="CRM sync", role=Role.MANAGER, partner="")

    assert response.status_code == 200
    assert secret is not None
    assert secret.startswith("prm_")
    assert len(secret) > 40
    key = the_key(in_tenant, world_a.tenant, "CRM sync")
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert key.key_prefix == secret[:12]
    stored = [str(getattr(key, f.attname)) for f in ApiKey._meta.concrete_fields]
    assert secret not in stored
    assert (key.role, key.partner_id, key.created_by) == (Role.MANAGER, None, world_a.user(Role.ADMIN))

    later = admin_client.get("/t/alpha/settings/api-keys/").content.decode()
    assert secret not in later
    assert 'id="new-secret"' not in later
    assert f"{key.key_prefix}…" in later
    assert "CRM sync" in later


def test_creating_a_key_is_audited_without_the_secret(world_a, admin_client, in_tenant):
    _response, secret = create_key_on_page(admin_client, name="BI export", role=Role.EXECUTIVE, partner="")

    with in_tenant(world_a.tenant):
        [event] = AuditEvent.objects.filter(verb="api_key.created")
    assert event.actor == world_a.user(Role.ADMIN)
    assert event.after["role"] == "executive"
    assert secret not in str(event.after)
    assert event.after["prefix"] == secret[:12]


def test_partner_role_key_needs_a_partner(world_a, admin_client, in_tenant):
    response, secret = create_key_on_page(
        admin_client, name="Partner sync", role=Role.PARTNER_USER, partner=""
    )

    assert response.status_code == 400
    assert secret is None
    assert response.context["form"].errors["partner"] == ["A partner role must name the partner company."]
    with in_tenant(world_a.tenant):
        assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    "role", [Role.MANAGER, Role.FINANCE, Role.EXECUTIVE, Role.PARTNER_ADMIN, Role.PARTNER_USER]
)
def test_only_admins_can_create_keys(world_a, client_for, in_tenant, role):
    response, secret = create_key_on_page(
        client_for(world_a.user(role)), name="Mine", role=Role.ADMIN, partner=""
    )

    assert response.status_code == 403
    assert secret is None
    with in_tenant(world_a.tenant):
        assert not ApiKey.objects.exists()


# --- using a key -----------------------------------------------------------------------------


def test_bearer_key_identifies_the_tenant_and_role(world_a, manager_secret):
    response = Client().get("/api/v1/t/alpha/me/", **bearer(manager_secret))

    assert response.status_code == 200
    body = response.json()
    assert (body["tenant"], body["role"], body["partner_id"]) == ("alpha", "manager", None)
    assert body["actor"] == "API key “CRM sync”"
    assert "manage_partners" in body["permissions"]
    assert "manage_members" not in body["permissions"]


def test_staff_key_lists_the_tenants_partners(world_a, world_b, manager_secret):
    response = Client().get("/api/v1/t/alpha/partners/", **bearer(manager_secret))

    assert response.status_code == 200
    names = [p["name"] for p in response.json()["results"]]
    assert names == ["ALPHA Partner One", "ALPHA Partner Two"]


def test_key_records_when_it_was_last_used(world_a, manager_secret, in_tenant):
    assert the_key(in_tenant, world_a.tenant, "CRM sync").last_used_at is None

    Client().get("/api/v1/t/alpha/me/", **bearer(manager_secret))

    assert the_key(in_tenant, world_a.tenant, "CRM sync").last_used_at is not None


def test_revoked_key_is_refused_at_once(world_a, admin_client, manager_secret, in_tenant):
    key = the_key(in_tenant, world_a.tenant, "CRM sync")
    assert Client().get("/api/v1/t/alpha/me/", **bearer(manager_secret)).status_code == 200

    revoke = admin_client.post(f"/t/alpha/settings/api-keys/{key.pk}/revoke/", follow=True)
    assert "API key “CRM sync” revoked." in revoke.content.decode()

    response = Client().get("/api/v1/t/alpha/partners/", **bearer(manager_secret))
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or revoked API key."}
    assert response["WWW-Authenticate"].startswith("Bearer")
    key = the_key(in_tenant, world_a.tenant, "CRM sync")
    assert key.revoked_by == world_a.user(Role.ADMIN)
    assert "Revoked" in admin_client.get("/t/alpha/settings/api-keys/").content.decode()


def test_key_of_one_tenant_is_refused_on_another_exactly_like_a_made_up_key(world_a, world_b, manager_secret):
    foreign = Client().get("/api/v1/t/bravo/me/", **bearer(manager_secret))
    made_up = Client().get("/api/v1/t/bravo/me/", **bearer("prm_" + "x" * 43))
    unknown_tenant = Client().get("/api/v1/t/no-such-tenant/me/", **bearer(manager_secret))

    assert foreign.status_code == made_up.status_code == unknown_tenant.status_code == 401
    assert foreign.content == made_up.content == unknown_tenant.content
    assert foreign.json() == {"detail": "Invalid or revoked API key."}


def test_calls_without_credentials_are_refused(world_a):
    response = Client().get("/api/v1/t/alpha/partners/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_partner_key_sees_only_its_own_partner(world_a, admin_client):
    _response, secret = create_key_on_page(
        admin_client, name="Partner One feed", role=Role.PARTNER_USER, partner=world_a.partner.pk
    )

    listing = Client().get("/api/v1/t/alpha/partners/", **bearer(secret))
    own = Client().get(f"/api/v1/t/alpha/partners/{world_a.partner.pk}/", **bearer(secret))
    other = Client().get(f"/api/v1/t/alpha/partners/{world_a.other_partner.pk}/", **bearer(secret))

    assert listing.status_code == 200
    assert [p["id"] for p in listing.json()["results"]] == [world_a.partner.pk]
    assert own.status_code == 200
    assert other.status_code == 404


def test_key_acts_only_within_its_role(world_a, manager_secret):
    audit = Client().get("/api/v1/t/alpha/audit-events/", **bearer(manager_secret))
    members = Client().get("/api/v1/t/alpha/members/", **bearer(manager_secret))

    assert audit.status_code == 403
    assert members.status_code == 200


# --- the create_api_key command ----------------------------------------------------------------


def test_create_api_key_command_prints_a_working_key(world_a, in_tenant):
    out, err = StringIO(), StringIO()

    call_command("create_api_key", tenant="alpha", role="finance", name="Ledger", stdout=out, stderr=err)

    secret = out.getvalue().strip()
    assert secret.startswith("prm_")
    assert "Store it now" in err.getvalue()
    response = Client().get("/api/v1/t/alpha/me/", **bearer(secret))
    assert (response.status_code, response.json()["role"]) == (200, "finance")
    key = the_key(in_tenant, world_a.tenant, "Ledger")
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert key.created_by is None


def test_create_api_key_command_makes_partner_keys_for_a_named_partner(world_a):
    out = StringIO()

    call_command(
        "create_api_key",
        tenant="alpha",
        role="partner_admin",
        partner=world_a.other_partner.pk,
        stdout=out,
        stderr=StringIO(),
    )

    listing = Client().get("/api/v1/t/alpha/partners/", **bearer(out.getvalue().strip()))
    assert [p["id"] for p in listing.json()["results"]] == [world_a.other_partner.pk]


def test_create_api_key_command_refuses_a_partner_role_without_partner(world_a, in_tenant):
    with pytest.raises(CommandError, match="partner: A partner role must name the partner company"):
        call_command(
            "create_api_key", tenant="alpha", role="partner_user", stdout=StringIO(), stderr=StringIO()
        )
    with in_tenant(world_a.tenant):
        assert not ApiKey.objects.exists()


def test_create_api_key_command_refuses_a_partner_of_another_tenant(world_a, world_b, in_tenant):
    with pytest.raises(CommandError, match="partner"):
        call_command(
            "create_api_key",
            tenant="alpha",
            role="partner_user",
            partner=world_b.partner.pk,
            stdout=StringIO(),
            stderr=StringIO(),
        )
    with in_tenant(world_a.tenant):
        assert not ApiKey.objects.exists()


def test_create_api_key_command_names_an_unknown_tenant(db):
    with pytest.raises(CommandError, match="No tenant with slug “nowhere”"):
        call_command("create_api_key", tenant="nowhere", role="admin", stdout=StringIO(), stderr=StringIO())
