"""The partner API: partners, contacts and certifications under /api/v1/t/<slug>/.

Writes go through the partner services, so these tests check what the API adds: the shape of
the records, strict input (a field the caller may not set is a 400 naming it), who may do what,
the directory's filters, and that every write leaves an audit event.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from partners import services
from partners.models import Certification, Contact, Partner, PartnerStatusChange
from prm.models import AuditEvent
from prm.permissions import Role
from prm.services import api_key_create_by_operator
from prm.tenancy import tenant_context
from tests.partners.factories import CertificationFactory, ContactFactory, TierFactory

API = "/api/v1/t/alpha"


def send(client, method: str, path: str, data=None, **headers):
    """Call the API as JSON; ``path`` is relative to the alpha tenant."""
    url = path if path.startswith("/api/") else f"{API}/{path}"
    if method == "get":
        return client.get(url, data or {}, headers=headers)
    return getattr(client, method)(
        url, json.dumps(data or {}), content_type="application/json", headers=headers
    )


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def audit_verbs(tenant) -> list[str]:
    with tenant_context(tenant):
        return list(AuditEvent.objects.order_by("pk").values_list("verb", flat=True))


@pytest.fixture
def admin(world_a, client_for):
    return client_for(world_a.user(Role.ADMIN))


@pytest.fixture
def partner_admin(world_a, client_for):
    return client_for(world_a.user(Role.PARTNER_ADMIN))


@pytest.fixture
def partner_user(world_a, client_for):
    return client_for(world_a.user(Role.PARTNER_USER))


# --- partners: create, read, update --------------------------------------------------------------


def test_staff_create_read_and_update_a_partner_round_trip(world_a, admin):
    tier = TierFactory(tenant=world_a.tenant, name="Gold", classification="strategic")
    manager = world_a.user(Role.MANAGER)
    created = send(
        admin,
        "post",
        "partners/",
        {
            "name": "Northwind Traders",
            "legal_name": "Northwind Traders GmbH",
            "website": "https://northwind.example",
            "domain": "https://www.Northwind.example/about",
            "country": "DE",
            "company_size": "51-200",
            "partner_types": ["reseller", "system_integrator"],
            "motions": ["co_sell", "implement"],
            "regions": ["dach"],
            "segments": ["mid_market", "enterprise"],
            "tier": tier.pk,
            "partner_manager": manager.pk,
            "agreement_type": "custom",
            "agreement_start": "2026-01-01",
            "agreement_end": "2027-12-31",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["domain"] == "northwind.example"  # normalised, not refused
    assert body["status"] == "prospect"
    assert body["partner_types"] == ["reseller", "system_integrator"]
    assert body["motions"] == ["co_sell", "implement"]
    assert body["verticals"] == []
    assert body["country"] == "DE"
    assert body["tier"] == {"id": tier.pk, "name": "Gold", "rank": tier.rank, "classification": "strategic"}
    assert body["classification"] == "strategic"
    assert body["partner_manager"] == {"id": manager.pk, "name": str(manager)}
    assert body["vendor_sponsor"] is None
    assert body["partner_sponsor"] is None
    assert body["archived"] is False

    partner_id = body["id"]
    read = send(admin, "get", f"partners/{partner_id}/")
    assert read.status_code == 200
    assert read.json() == body

    with tenant_context(world_a.tenant):
        sponsor = ContactFactory(partner=Partner.objects.get(pk=partner_id), role="executive_sponsor")
    updated = send(
        admin,
        "patch",
        f"partners/{partner_id}/",
        {
            "description": "Strong in manufacturing.",
            "motions": ["co_market"],
            "tier": None,
            "partner_sponsor": sponsor.pk,
            "vendor_sponsor": world_a.user(Role.EXECUTIVE).pk,
        },
    )
    assert updated.status_code == 200, updated.content
    body = updated.json()
    assert body["description"] == "Strong in manufacturing."
    assert body["motions"] == ["co_market"]
    assert body["partner_types"] == ["reseller", "system_integrator"]  # untouched kinds stay
    assert body["tier"] is None
    assert body["classification"] is None
    assert body["partner_sponsor"] == sponsor.pk
    assert body["vendor_sponsor"]["id"] == world_a.user(Role.EXECUTIVE).pk
    assert send(admin, "get", f"partners/{partner_id}/").json() == body
    assert partner_id in ids(send(admin, "get", "partners/"))


def test_put_and_delete_are_not_offered(world_a, admin):
    url = f"partners/{world_a.partner.pk}/"
    assert send(admin, "put", url, {"name": "X"}).status_code == 405
    assert send(admin, "delete", url).status_code == 405


def test_a_partner_needs_a_name(admin):
    response = send(admin, "post", "partners/", {"domain": "nameless.example"})
    assert response.status_code == 400
    assert set(response.json()) == {"name"}


@pytest.mark.parametrize("domain", ["not a domain", "localhost", "exa mple.com"])
def test_a_bad_domain_is_refused_on_the_domain_field(admin, domain):
    response = send(admin, "post", "partners/", {"name": "Contoso", "domain": domain})
    assert response.status_code == 400
    assert list(response.json()) == ["domain"]


def test_a_domain_is_unique_within_a_tenant_but_not_across_tenants(world_a, world_b, admin, client_for):
    assert (
        send(admin, "post", "partners/", {"name": "Contoso", "domain": "contoso.example"}).status_code == 201
    )

    clash = send(admin, "post", "partners/", {"name": "Contoso Again", "domain": "CONTOSO.example"})
    assert clash.status_code == 400
    assert list(clash.json()) == ["domain"]
    assert "Contoso already uses the domain contoso.example" in clash.json()["domain"][0]

    other = send(admin, "post", "partners/", {"name": "Other"}).json()["id"]
    assert send(admin, "patch", f"partners/{other}/", {"domain": "contoso.example"}).status_code == 400

    bravo = client_for(world_b.user(Role.ADMIN))
    response = send(
        bravo, "post", "/api/v1/t/bravo/partners/", {"name": "Contoso", "domain": "contoso.example"}
    )
    assert response.status_code == 201


def test_an_unknown_motion_is_refused_on_the_motions_field(admin):
    response = send(admin, "post", "partners/", {"name": "Contoso", "motions": ["co_sell", "telepathy"]})
    assert response.status_code == 400
    assert list(response.json()) == ["motions"]
    assert "telepathy" in response.json()["motions"][0]
    with_string = send(admin, "post", "partners/", {"name": "Contoso", "motions": "co_sell"})
    assert list(with_string.json()) == ["motions"]


def test_a_partner_in_another_tenant_is_not_a_choice(world_a, world_b, admin):
    foreign_tier = TierFactory(tenant=world_b.tenant)
    response = send(admin, "post", "partners/", {"name": "Contoso", "tier": foreign_tier.pk})
    assert response.status_code == 400
    assert list(response.json()) == ["tier"]
    not_staff = send(
        admin, "post", "partners/", {"name": "Contoso", "partner_manager": world_b.user(Role.MANAGER).pk}
    )
    assert list(not_staff.json()) == ["partner_manager"]
    partner_as_manager = send(
        admin, "post", "partners/", {"name": "Contoso", "partner_manager": world_a.user(Role.PARTNER_USER).pk}
    )
    assert list(partner_as_manager.json()) == ["partner_manager"]


def test_another_partners_contact_cannot_be_the_sponsor(world_a, admin):
    with tenant_context(world_a.tenant):
        elsewhere = ContactFactory(partner=world_a.other_partner)
    response = send(admin, "patch", f"partners/{world_a.partner.pk}/", {"partner_sponsor": elsewhere.pk})
    assert response.status_code == 400
    assert list(response.json()) == ["partner_sponsor"]
    on_create = send(admin, "post", "partners/", {"name": "Contoso", "partner_sponsor": elsewhere.pk})
    assert list(on_create.json()) == ["partner_sponsor"]


def test_fields_that_cannot_be_set_are_refused_not_ignored(world_a, admin):
    url = f"partners/{world_a.partner.pk}/"
    response = send(admin, "patch", url, {"status": "exited", "id": 5, "motion": ["co_sell"]})
    assert response.status_code == 400
    assert set(response.json()) == {"status", "id", "motion"}
    assert "/status/" in response.json()["status"][0]
    with tenant_context(world_a.tenant):
        assert Partner.objects.get(pk=world_a.partner.pk).status == Partner.Status.ACTIVE


def test_a_partner_may_start_in_another_status(admin):
    response = send(admin, "post", "partners/", {"name": "Contoso", "status": "active"})
    assert response.status_code == 201
    assert response.json()["status"] == "active"
    assert response.json()["join_date"] == timezone.localdate().isoformat()


def test_staff_upload_a_logo_as_multipart(world_a, admin, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    image = io.BytesIO()
    Image.new("RGB", (8, 8), "navy").save(image, "PNG")
    image.name = "logo.png"
    image.seek(0)
    response = admin.patch(
        f"{API}/partners/{world_a.partner.pk}/",
        encode_multipart(BOUNDARY, {"logo": image}),
        MULTIPART_CONTENT,
    )
    assert response.status_code == 200, response.content
    assert response.json()["logo"].endswith(".png")
    removed = send(admin, "patch", f"partners/{world_a.partner.pk}/", {"logo": None})
    assert removed.json()["logo"] is None


# --- status, archive --------------------------------------------------------------------------


def test_status_moves_along_the_lifecycle_with_a_reason(world_a, admin):
    partner_id = send(admin, "post", "partners/", {"name": "Contoso"}).json()["id"]
    response = send(
        admin, "post", f"partners/{partner_id}/status/", {"status": "onboarding", "reason": "Signed"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "onboarding"
    with tenant_context(world_a.tenant):
        change = PartnerStatusChange.objects.get(partner_id=partner_id)
    assert (change.from_status, change.to_status, change.reason) == ("prospect", "onboarding", "Signed")


def test_status_transitions_follow_the_rules(admin):
    partner_id = send(admin, "post", "partners/", {"name": "Contoso"}).json()["id"]
    skip = send(admin, "post", f"partners/{partner_id}/status/", {"status": "active", "reason": "Keen"})
    assert skip.status_code == 400
    assert list(skip.json()) == ["status"]
    assert "can move to" in skip.json()["status"][0]
    same = send(admin, "post", f"partners/{partner_id}/status/", {"status": "prospect", "reason": "Again"})
    assert list(same.json()) == ["status"]
    unknown = send(admin, "post", f"partners/{partner_id}/status/", {"status": "dormant", "reason": "?"})
    assert list(unknown.json()) == ["status"]


@pytest.mark.parametrize("payload", [{"status": "onboarding"}, {"status": "onboarding", "reason": "  "}])
def test_a_status_change_needs_a_reason(world_a, admin, payload):
    partner_id = send(admin, "post", "partners/", {"name": "Contoso"}).json()["id"]
    response = send(admin, "post", f"partners/{partner_id}/status/", payload)
    assert response.status_code == 400
    assert list(response.json()) == ["reason"]
    with tenant_context(world_a.tenant):
        assert Partner.objects.get(pk=partner_id).status == "prospect"


def test_archive_hides_a_partner_from_the_list_and_restore_brings_it_back(world_a, admin):
    partner_id = world_a.other_partner.pk
    archived = send(admin, "post", f"partners/{partner_id}/archive/")
    assert archived.status_code == 200
    assert archived.json()["archived"] is True
    assert partner_id not in ids(send(admin, "get", "partners/"))
    assert partner_id in ids(send(admin, "get", "partners/", {"archived": "all"}))
    assert ids(send(admin, "get", "partners/", {"archived": "yes"})) == {partner_id}
    assert send(admin, "get", f"partners/{partner_id}/").json()["archived"] is True

    frozen = send(admin, "patch", f"partners/{partner_id}/", {"description": "x"})
    assert frozen.status_code == 400
    assert send(admin, "post", f"partners/{partner_id}/archive/").status_code == 400

    restored = send(admin, "post", f"partners/{partner_id}/restore/")
    assert restored.status_code == 200
    assert restored.json()["archived"] is False
    assert partner_id in ids(send(admin, "get", "partners/"))


def test_every_partner_write_is_audited(world_a, admin):
    partner_id = send(admin, "post", "partners/", {"name": "Contoso", "motions": ["co_sell"]}).json()["id"]
    send(admin, "patch", f"partners/{partner_id}/", {"motions": ["co_market"], "description": "New"})
    send(admin, "patch", f"partners/{partner_id}/", {"description": "New"})  # no change, no event
    send(admin, "post", f"partners/{partner_id}/status/", {"status": "onboarding", "reason": "Signed"})
    send(admin, "post", f"partners/{partner_id}/archive/")
    send(admin, "post", f"partners/{partner_id}/restore/")
    assert audit_verbs(world_a.tenant) == [
        "partner.created",
        "partner.updated",
        "partner.status_changed",
        "partner.archived",
        "partner.restored",
    ]
    with tenant_context(world_a.tenant):
        update = AuditEvent.objects.get(verb="partner.updated")
    assert update.target_id == str(partner_id)
    assert update.actor == world_a.user(Role.ADMIN)
    assert update.before == {"description": "", "motions": ["co_sell"]}
    assert update.after == {"description": "New", "motions": ["co_market"]}


# --- who may do what --------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.FINANCE, Role.EXECUTIVE])
def test_staff_who_only_read_the_program_cannot_write(world_a, client_for, role):
    client = client_for(world_a.user(role))
    partner_id = world_a.partner.pk
    assert send(client, "get", f"partners/{partner_id}/").status_code == 200
    assert send(client, "post", "partners/", {"name": "Contoso"}).status_code == 403
    assert send(client, "patch", f"partners/{partner_id}/", {"description": "x"}).status_code == 403
    assert send(client, "post", f"partners/{partner_id}/archive/").status_code == 403
    assert audit_verbs(world_a.tenant) == []


def test_partner_roles_see_only_their_own_partner(world_a, partner_user, partner_admin):
    for client in (partner_user, partner_admin):
        assert ids(send(client, "get", "partners/")) == {world_a.partner.pk}
        assert send(client, "get", f"partners/{world_a.partner.pk}/").status_code == 200
        assert send(client, "get", f"partners/{world_a.other_partner.pk}/").status_code == 404


def test_a_partner_api_key_sees_only_its_partner(world_a):
    with tenant_context(world_a.tenant):
        _, secret = api_key_create_by_operator(
            name="portal key", role=Role.PARTNER_USER, partner_id=world_a.partner.pk
        )
    response = send(Client(), "get", "partners/", Authorization=f"Bearer {secret}")
    assert ids(response) == {world_a.partner.pk}


def test_a_partner_admin_edits_its_own_profile(world_a, partner_admin):
    url = f"partners/{world_a.partner.pk}/"
    response = send(
        partner_admin,
        "patch",
        url,
        {
            "description": "We implement and run it.",
            "website": "https://one.example",
            "country": "FR",
            "regions": ["benelux_france", "dach"],
            "verticals": ["retail"],
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["description"] == "We implement and run it."
    assert body["regions"] == ["benelux_france", "dach"]
    assert body["country"] == "FR"
    with tenant_context(world_a.tenant):
        event = AuditEvent.objects.get(verb="partner.updated")
    assert event.actor == world_a.user(Role.PARTNER_ADMIN)


@pytest.mark.parametrize(
    "payload",
    [
        {"tier": None},
        {"status": "active"},
        {"name": "Renamed"},
        {"partner_manager": None},
        {"motions": ["co_sell"]},
        {"domain": "one.example"},
    ],
    ids=lambda p: next(iter(p)),
)
def test_a_partner_admin_cannot_change_program_fields(world_a, partner_admin, payload):
    response = send(
        partner_admin, "patch", f"partners/{world_a.partner.pk}/", {"description": "ok", **payload}
    )
    assert response.status_code == 400
    assert list(response.json()) == list(payload)
    with tenant_context(world_a.tenant):
        assert Partner.objects.get(pk=world_a.partner.pk).description == ""


def test_a_partner_admin_cannot_touch_another_partner(world_a, partner_admin):
    other = world_a.other_partner.pk
    assert send(partner_admin, "patch", f"partners/{other}/", {"description": "x"}).status_code == 404
    assert (
        send(
            partner_admin,
            "post",
            f"partners/{world_a.partner.pk}/status/",
            {"status": "exited", "reason": "x"},
        ).status_code
        == 403
    )
    assert send(partner_admin, "post", f"partners/{world_a.partner.pk}/archive/").status_code == 403
    assert send(partner_admin, "post", "partners/", {"name": "Sneaky"}).status_code == 403


def test_a_partner_user_cannot_edit_the_profile(world_a, partner_user):
    response = send(partner_user, "patch", f"partners/{world_a.partner.pk}/", {"description": "x"})
    assert response.status_code == 403
    assert audit_verbs(world_a.tenant) == []


# --- the directory's filters -------------------------------------------------------------------


@pytest.fixture
def directory(world_a):
    """Four partners that differ in one way each (plus the world's two plain ones)."""
    access = world_a.access(Role.ADMIN)
    today = timezone.localdate()
    with tenant_context(world_a.tenant):
        strategic = TierFactory(name="Strategic", classification="strategic")
        tactical = TierFactory(name="Registered", classification="tactical")
        cosell = services.partner_create(
            access=access,
            fields={"name": "Cosell Co", "domain": "cosell.example", "tier": strategic},
            attributes={"motions": ["co_sell"], "regions": ["dach"]},
        )
        market = services.partner_create(
            access=access,
            fields={"name": "Market Ltd", "tier": tactical},
            attributes={"motions": ["co_market"], "regions": ["nordics", "dach"]},
            status=Partner.Status.ACTIVE,
        )
        certified = services.partner_create(access=access, fields={"name": "Certified Inc"})
        CertificationFactory(partner=certified, expires_on=today + timedelta(days=20))
        lapsed = services.partner_create(
            access=access, fields={"name": "Lapsed plc", "partner_manager": world_a.user(Role.MANAGER)}
        )
        CertificationFactory(partner=lapsed, expires_on=today - timedelta(days=3))
        CertificationFactory(partner=lapsed, expires_on=today + timedelta(days=200))
    return {
        "cosell": cosell.pk,
        "market": market.pk,
        "certified": certified.pk,
        "lapsed": lapsed.pk,
        "strategic": strategic.pk,
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"motion": "co_sell"}, {"cosell"}),
        ({"motion": ["co_sell", "co_market"]}, {"cosell", "market"}),
        ({"region": "dach"}, {"cosell", "market"}),
        ({"region": "nordics"}, {"market"}),
        ({"status": "prospect"}, {"cosell", "certified", "lapsed"}),
        ({"status": "active", "motion": "co_market"}, {"market"}),
        ({"classification": "strategic"}, {"cosell"}),
        ({"classification": "tactical"}, {"market"}),
        ({"cert_expiring_days": 30}, {"certified"}),
        ({"cert_expiring_days": 365}, {"certified", "lapsed"}),
        ({"q": "COSELL.ex"}, {"cosell"}),
        ({"search": "market"}, {"market"}),
        ({"manager": "MANAGER"}, {"lapsed"}),
        ({"tier": "STRATEGIC"}, {"cosell"}),
    ],
    ids=lambda v: json.dumps(v) if isinstance(v, dict) else None,
)
def test_list_filters_return_the_right_partners(world_a, admin, directory, params, expected):
    params = dict(params)
    if params.get("manager") == "MANAGER":
        params["manager"] = world_a.user(Role.MANAGER).pk
    if params.get("tier") == "STRATEGIC":
        params["tier"] = directory["strategic"]
    assert ids(send(admin, "get", "partners/", params)) == {directory[name] for name in expected}


def test_list_sorts_and_paginates(world_a, admin, directory):
    names = [row["name"] for row in send(admin, "get", "partners/", {"sort": "-name"}).json()["results"]]
    assert names == sorted(names, reverse=True)
    by_ordering = send(admin, "get", "partners/", {"ordering": "-name"}).json()["results"]
    assert [row["name"] for row in by_ordering] == names
    page = send(admin, "get", "partners/", {"page_size": 2, "page": 2}).json()
    assert page["count"] == 6
    assert len(page["results"]) == 2


def test_a_bad_filter_value_is_a_400_naming_the_filter(admin):
    response = send(admin, "get", "partners/", {"motion": "telepathy"})
    assert response.status_code == 400
    assert list(response.json()) == ["motion"]


def test_the_list_runs_the_same_queries_for_more_partners(world_a, admin):
    def grow(n: int) -> None:
        access = world_a.access(Role.ADMIN)
        with tenant_context(world_a.tenant):
            for _ in range(n):
                tier = TierFactory()
                partner = services.partner_create(
                    access=access,
                    fields={
                        "name": f"Grown {tier.pk}",
                        "tier": tier,
                        "partner_manager": world_a.user(Role.MANAGER),
                        "vendor_sponsor": world_a.user(Role.EXECUTIVE),
                    },
                    attributes={"motions": ["co_sell"], "regions": ["dach", "nordics"]},
                )
                ContactFactory(partner=partner)
                CertificationFactory(partner=partner, contact=None)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin.get(url).status_code == 200
        return len(queries)

    for path in (
        "partners/?page_size=200&cert_expiring_days=30&motion=co_sell",
        "contacts/",
        "certifications/",
    ):
        grow(2)
        small = count(f"{API}/{path}")
        grow(10)
        assert count(f"{API}/{path}") == small, path


# --- contacts ----------------------------------------------------------------------------------


def test_staff_add_and_edit_a_contact(world_a, admin):
    created = send(
        admin,
        "post",
        "contacts/",
        {
            "partner": world_a.partner.pk,
            "name": "Ada Lovelace",
            "email": " Ada@One.example ",
            "role": "technical",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["partner"] == world_a.partner.pk
    assert body["email"] == "ada@one.example"
    assert body["archived"] is False
    contact_id = body["id"]
    updated = send(admin, "patch", f"contacts/{contact_id}/", {"title": "CTO", "role": "executive_sponsor"})
    assert updated.status_code == 200
    assert updated.json()["title"] == "CTO"
    assert send(admin, "get", f"contacts/{contact_id}/").json() == updated.json()
    assert audit_verbs(world_a.tenant) == ["contact.created", "contact.updated"]


def test_a_contact_needs_a_partner_of_this_tenant(world_b, admin):
    missing = send(admin, "post", "contacts/", {"name": "Ada", "email": "ada@x.example"})
    assert missing.status_code == 400
    assert list(missing.json()) == ["partner"]
    foreign = send(
        admin, "post", "contacts/", {"partner": world_b.partner.pk, "name": "Ada", "email": "ada@x.example"}
    )
    assert list(foreign.json()) == ["partner"]


def test_contact_validation_names_the_field(world_a, admin):
    with tenant_context(world_a.tenant):
        ContactFactory(partner=world_a.partner, email="taken@one.example")
    taken = send(
        admin, "post", "contacts/", {"partner": world_a.partner.pk, "name": "B", "email": "TAKEN@one.example"}
    )
    assert taken.status_code == 400
    assert list(taken.json()) == ["email"]
    bad = send(admin, "post", "contacts/", {"partner": world_a.partner.pk, "name": "B", "email": "nope"})
    assert list(bad.json()) == ["email"]
    not_member = send(
        admin,
        "post",
        "contacts/",
        {
            "partner": world_a.partner.pk,
            "name": "B",
            "email": "b@one.example",
            "user": world_a.user("other_partner_user").pk,
        },
    )
    assert list(not_member.json()) == ["user"]


def test_a_contact_stays_with_its_partner(world_a, admin):
    with tenant_context(world_a.tenant):
        contact = ContactFactory(partner=world_a.partner)
    response = send(admin, "patch", f"contacts/{contact.pk}/", {"partner": world_a.other_partner.pk})
    assert response.status_code == 400
    assert list(response.json()) == ["partner"]


def test_a_contact_can_be_linked_to_a_portal_user_of_its_partner(world_a, admin):
    user = world_a.user(Role.PARTNER_USER)
    response = send(
        admin,
        "post",
        "contacts/",
        {
            "partner": world_a.partner.pk,
            "name": "Pat",
            "email": user.email,
            "user": user.pk,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["user"] == user.pk


def test_contacts_list_filters_by_partner_and_hides_archived(world_a, admin):
    with tenant_context(world_a.tenant):
        mine = ContactFactory(partner=world_a.partner, role="sales")
        other = ContactFactory(partner=world_a.other_partner)
    assert ids(send(admin, "get", "contacts/")) == {mine.pk, other.pk}
    assert ids(send(admin, "get", "contacts/", {"partner": world_a.partner.pk})) == {mine.pk}
    assert ids(send(admin, "get", "contacts/", {"role": "sales"})) == {mine.pk}
    assert ids(send(admin, "get", "contacts/", {"search": other.email})) == {other.pk}

    assert send(admin, "post", f"contacts/{other.pk}/archive/").json()["archived"] is True
    assert ids(send(admin, "get", "contacts/")) == {mine.pk}
    assert ids(send(admin, "get", "contacts/", {"archived": "yes"})) == {other.pk}
    assert send(admin, "post", f"contacts/{other.pk}/restore/").json()["archived"] is False
    assert ids(send(admin, "get", "contacts/")) == {mine.pk, other.pk}
    assert audit_verbs(world_a.tenant) == ["contact.archived", "contact.restored"]


def test_a_partner_admin_manages_its_own_contacts(world_a, partner_admin):
    created = send(partner_admin, "post", "contacts/", {"name": "Grace", "email": "grace@one.example"})
    assert created.status_code == 201, created.content
    assert created.json()["partner"] == world_a.partner.pk
    contact_id = created.json()["id"]
    assert (
        send(partner_admin, "patch", f"contacts/{contact_id}/", {"phone": "+49 30 1234"}).status_code == 200
    )
    assert send(partner_admin, "post", f"contacts/{contact_id}/archive/").status_code == 200
    elsewhere = send(
        partner_admin,
        "post",
        "contacts/",
        {
            "partner": world_a.other_partner.pk,
            "name": "Mallory",
            "email": "m@two.example",
        },
    )
    assert elsewhere.status_code == 400
    assert list(elsewhere.json()) == ["partner"]
    with tenant_context(world_a.tenant):
        assert not Contact.objects.filter(partner=world_a.other_partner).exists()
        others = ContactFactory(partner=world_a.other_partner)
    assert send(partner_admin, "patch", f"contacts/{others.pk}/", {"phone": "1"}).status_code == 404
    assert ids(send(partner_admin, "get", "contacts/", {"archived": "all"})) == {contact_id}


def test_a_partner_user_reads_contacts_but_cannot_change_them(world_a, partner_user):
    with tenant_context(world_a.tenant):
        contact = ContactFactory(partner=world_a.partner)
    assert ids(send(partner_user, "get", "contacts/")) == {contact.pk}
    assert send(partner_user, "post", "contacts/", {"name": "X", "email": "x@one.example"}).status_code == 403
    assert send(partner_user, "patch", f"contacts/{contact.pk}/", {"phone": "1"}).status_code == 403
    assert send(partner_user, "post", f"contacts/{contact.pk}/archive/").status_code == 403


# --- certifications ----------------------------------------------------------------------------


def test_staff_record_and_renew_a_certification(world_a, admin):
    today = timezone.localdate()
    created = send(
        admin,
        "post",
        "certifications/",
        {
            "partner": world_a.partner.pk,
            "name": "Platform Professional",
            "level": "Professional",
            "earned_on": (today - timedelta(days=400)).isoformat(),
            "expires_on": (today - timedelta(days=35)).isoformat(),
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["holder"] == "company"
    assert body["is_expired"] is True
    renewed = send(
        admin,
        "patch",
        f"certifications/{body['id']}/",
        {"expires_on": (today + timedelta(days=330)).isoformat()},
    )
    assert renewed.status_code == 200
    assert renewed.json()["is_expired"] is False
    assert send(admin, "post", f"certifications/{body['id']}/archive/").json()["archived"] is True
    assert audit_verbs(world_a.tenant) == [
        "certification.created",
        "certification.updated",
        "certification.archived",
    ]


def test_certification_validation_names_the_field(world_a, admin):
    today = timezone.localdate().isoformat()
    base = {"partner": world_a.partner.pk, "name": "Cert", "earned_on": today}
    no_person = send(admin, "post", "certifications/", {**base, "holder": "person"})
    assert no_person.status_code == 400
    assert list(no_person.json()) == ["contact"]
    backwards = send(admin, "post", "certifications/", {**base, "expires_on": "2000-01-01"})
    assert list(backwards.json()) == ["expires_on"]
    with tenant_context(world_a.tenant):
        stranger = ContactFactory(partner=world_a.other_partner)
    wrong_person = send(
        admin, "post", "certifications/", {**base, "holder": "person", "contact": stranger.pk}
    )
    assert list(wrong_person.json()) == ["contact"]


def test_certifications_list_filters(world_a, admin):
    today = timezone.localdate()
    with tenant_context(world_a.tenant):
        person = ContactFactory(partner=world_a.partner)
        soon = CertificationFactory(partner=world_a.partner, expires_on=today + timedelta(days=10))
        later = CertificationFactory(
            partner=world_a.partner, holder="person", contact=person, expires_on=today + timedelta(days=100)
        )
        expired = CertificationFactory(partner=world_a.other_partner, expires_on=today - timedelta(days=1))
        forever = CertificationFactory(partner=world_a.other_partner)
    assert ids(send(admin, "get", "certifications/")) == {soon.pk, later.pk, expired.pk, forever.pk}
    assert ids(send(admin, "get", "certifications/", {"partner": world_a.partner.pk})) == {soon.pk, later.pk}
    assert ids(send(admin, "get", "certifications/", {"expiring_within_days": 30})) == {soon.pk}
    assert ids(send(admin, "get", "certifications/", {"expiring_within_days": 120})) == {soon.pk, later.pk}
    assert ids(send(admin, "get", "certifications/", {"expired": "true"})) == {expired.pk}
    assert ids(send(admin, "get", "certifications/", {"expired": "false"})) == {soon.pk, later.pk, forever.pk}
    assert ids(send(admin, "get", "certifications/", {"holder": "person"})) == {later.pk}
    assert ids(send(admin, "get", "certifications/", {"contact": person.pk})) == {later.pk}
    rows = send(admin, "get", "certifications/", {"partner": world_a.other_partner.pk}).json()["results"]
    assert {row["id"]: row["is_expired"] for row in rows} == {expired.pk: True, forever.pk: False}


def test_a_partner_admin_records_certifications_for_its_own_company_only(world_a, partner_admin):
    today = timezone.localdate().isoformat()
    created = send(partner_admin, "post", "certifications/", {"name": "Sales Associate", "earned_on": today})
    assert created.status_code == 201, created.content
    assert created.json()["partner"] == world_a.partner.pk
    with tenant_context(world_a.tenant):
        stranger = ContactFactory(partner=world_a.other_partner)
        theirs = CertificationFactory(partner=world_a.other_partner)
    wrong_person = send(
        partner_admin,
        "post",
        "certifications/",
        {
            "name": "X",
            "earned_on": today,
            "holder": "person",
            "contact": stranger.pk,
        },
    )
    assert wrong_person.status_code == 400
    assert list(wrong_person.json()) == ["contact"]
    assert send(partner_admin, "patch", f"certifications/{theirs.pk}/", {"level": "x"}).status_code == 404
    assert ids(send(partner_admin, "get", "certifications/")) == {created.json()["id"]}
    with tenant_context(world_a.tenant):
        assert Certification.objects.filter(partner=world_a.other_partner).count() == 1


def test_the_partner_list_gives_exactly_the_serializers_json_for_every_row(
    world_a, admin, settings, tmp_path
):
    """The list's fast path (``PartnerListSerializer``) against ``PartnerSerializer`` row by row, on
    partners with and without tier, people, sponsor, logo, attributes, dates and archiving."""
    from django.core.files.base import ContentFile
    from rest_framework.test import APIRequestFactory

    from partners.api.serializers import PartnerSerializer
    from partners.models import PartnerAttribute
    from tests.partners.factories import PartnerFactory

    settings.MEDIA_ROOT = tmp_path
    gold = TierFactory(tenant=world_a.tenant, name="Gold", rank=1, classification="strategic")
    manager = world_a.user(Role.MANAGER)
    full = PartnerFactory(
        tenant=world_a.tenant,
        name="Full Partner",
        legal_name="Full Partner GmbH",
        website="https://full.example",
        domain="full.example",
        country="DE",
        description="Everything set",
        tier=gold,
        partner_manager=manager,
        vendor_sponsor=world_a.user(Role.ADMIN),
        join_date=timezone.localdate() - timedelta(days=400),
        agreement_start=timezone.localdate() - timedelta(days=300),
        agreement_end=timezone.localdate() + timedelta(days=65),
    )
    with tenant_context(world_a.tenant):
        sponsor = ContactFactory(partner=full)
        full.partner_sponsor = sponsor
        full.logo.save("logo.png", ContentFile(b"\x89PNG fake"), save=False)
        full.archived_at = timezone.now()
        full.save()
        for kind, value in [
            ("motion", "resell"),
            ("motion", "co_sell"),
            ("region", "dach"),
            ("segment", "smb"),
        ]:
            PartnerAttribute.objects.create(partner=full, kind=kind, value=value)
    PartnerFactory(tenant=world_a.tenant, name="Bare Partner")

    response = admin.get(f"{API}/partners/?archived=all&page_size=50")
    assert response.status_code == 200, response.content
    listed = response.json()["results"]
    request = APIRequestFactory().get(f"{API}/partners/")
    with tenant_context(world_a.tenant):
        one_by_one = [
            json.loads(json.dumps(PartnerSerializer(partner, context={"request": request}).data))
            for partner in Partner.objects.filter(pk__in=[row["id"] for row in listed]).prefetch_related(
                "attributes"
            )
        ]
    by_id = {row["id"]: row for row in one_by_one}
    assert len(listed) >= 4
    for row in listed:
        assert row == by_id[row["id"]]
    assert {row["name"] for row in listed} >= {"Full Partner", "Bare Partner"}
    full_row = next(row for row in listed if row["name"] == "Full Partner")
    assert full_row["motions"] == ["co_sell", "resell"]
    assert full_row["tier"]["name"] == "Gold"
    assert full_row["logo"] is not None
