"""The partner portal's company profile at /t/<slug>/portal/: what a partner admin may keep
current about its own company, what a partner user may only read, and that every portal page is
confined to the member's own partner.
"""

from __future__ import annotations

import html
import io
import re
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from partners.models import Certification, Contact, Partner, PartnerAttribute
from prm.models import AuditEvent
from prm.permissions import Role
from tests.partners.factories import CertificationFactory, ContactFactory, TierFactory

PORTAL = "/t/alpha/portal/"


def plain(markup: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()


def words(response) -> str:
    """Everything the page says, as plain text."""
    return plain(response.content.decode())


def field_errors(response, name: str) -> str:
    match = re.search(rf'<ul[^>]*id="id_{name}_error"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    return plain(match.group(1)) if match else ""


def profile_form(**values) -> dict:
    data = {"legal_name": "", "website": "", "country": "", "company_size": "", "description": ""}
    data.update(values)
    return data


def contact_form(**values) -> dict:
    data = {
        "name": "Ann Lee",
        "email": "ann@one.example",
        "phone": "",
        "title": "",
        "role": "primary",
        "user": "",
    }
    data.update(values)
    return data


def cert_form(**values) -> dict:
    data = {
        "name": "Cloud Architect",
        "level": "Professional",
        "holder": "company",
        "contact": "",
        "earned_on": "2025-01-15",
        "expires_on": "2027-01-15",
    }
    data.update(values)
    return data


@pytest.fixture
def partner_admin(world_a, client_for):
    return client_for(world_a.user(Role.PARTNER_ADMIN))


@pytest.fixture
def partner_user(world_a, client_for):
    return client_for(world_a.user(Role.PARTNER_USER))


@pytest.fixture
def programmed(world_a, in_tenant):
    """Partner one with the program team's data set: tier, manager, motions, types, domain."""
    gold = TierFactory(tenant=world_a.tenant, name="Gold", rank=1, classification="strategic")
    with in_tenant(world_a.tenant):
        partner = Partner.objects.get(pk=world_a.partner.pk)
        partner.tier = gold
        partner.partner_manager = world_a.user(Role.MANAGER)
        partner.domain = "alpha-one.example"
        partner.join_date = date(2022, 5, 1)
        partner.save()
        PartnerAttribute.objects.create(partner=partner, kind="motion", value="co_sell")
        PartnerAttribute.objects.create(partner=partner, kind="type", value="reseller")
    return partner


@pytest.fixture
def others(world_a):
    """What the other partner of the same tenant has: a contact and a certification."""
    contact = ContactFactory(partner=world_a.other_partner, name="Secret Sam", email="sam@two.example")
    cert = CertificationFactory(partner=world_a.other_partner, name="Secret Cert")
    return contact, cert


def snapshot(world, partner_id: int, in_tenant) -> tuple:
    with in_tenant(world.tenant):
        p = Partner.objects.get(pk=partner_id)
        return (
            p.name,
            p.domain,
            p.status,
            p.tier_id,
            p.partner_manager_id,
            p.join_date,
            p.values_of("type"),
            p.values_of("motion"),
        )


# --- seeing the profile ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.PARTNER_USER])
def test_partner_members_see_their_company_profile_contacts_and_certifications(
    world_a, client_for, programmed, role
):
    ContactFactory(partner=world_a.partner, name="Ann Lee", email="ann@one.example", title="CTO")
    CertificationFactory(partner=world_a.partner, name="Cloud Architect")
    response = client_for(world_a.user(role)).get(PORTAL)
    assert response.status_code == 200
    text = words(response)
    assert world_a.partner.name in text
    assert "Tier Gold" in text
    assert "Program status Active" in text
    assert "Motions Co-sell" in text
    assert "Ann Lee" in text
    assert "Cloud Architect" in text
    assert world_a.user(Role.MANAGER).email in text


def test_a_partner_user_is_not_offered_edit_controls(partner_user):
    page = partner_user.get(PORTAL).content.decode()
    assert f"{PORTAL}profile/edit/" not in page
    assert f"{PORTAL}contacts/new/" not in page
    assert f"{PORTAL}certifications/new/" not in page


def test_a_partner_admin_is_offered_edit_controls(partner_admin):
    page = partner_admin.get(PORTAL).content.decode()
    assert f"{PORTAL}profile/edit/" in page
    assert f"{PORTAL}contacts/new/" in page
    assert f"{PORTAL}certifications/new/" in page


def test_an_expired_certification_shows_as_expired_in_the_portal(world_a, partner_user):
    today = timezone.localdate()
    CertificationFactory(
        partner=world_a.partner,
        name="Lapsed Badge",
        earned_on=today - timedelta(days=900),
        expires_on=today - timedelta(days=3),
    )
    row = re.search(
        r"<tr[^>]*>(?:(?!</tr>).)*Lapsed Badge.*?</tr>", partner_user.get(PORTAL).content.decode(), re.S
    )
    assert row, "the expired certification is not listed"
    assert "Expired" in plain(row.group(0))


# --- editing the profile -----------------------------------------------------------------------------


def test_a_partner_admin_edits_the_company_profile_and_the_change_is_audited(
    world_a, partner_admin, client_for, in_tenant
):
    form = partner_admin.get(f"{PORTAL}profile/edit/")
    assert form.status_code == 200
    response = partner_admin.post(
        f"{PORTAL}profile/edit/",
        profile_form(
            legal_name="Alpha One Holdings Ltd",
            website="https://alpha-one.example",
            country="GB",
            company_size="51-200",
            description="Cloud migration specialists.",
            regions=["uk_ireland", "nordics"],
            verticals=["healthcare"],
            segments=["mid_market"],
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == PORTAL
    home = words(partner_admin.get(PORTAL))
    assert "Your company profile is saved." in home
    for shown in (
        "Alpha One Holdings Ltd",
        "https://alpha-one.example",
        "United Kingdom",
        "51–200 employees",
        "Cloud migration specialists.",
        "Nordics, UK & Ireland",
        "Healthcare & life sciences",
        "Mid-market",
    ):
        assert shown in home
    staff_page = words(client_for(world_a.user(Role.MANAGER)).get(f"/t/alpha/partners/{world_a.partner.pk}/"))
    assert "Alpha One Holdings Ltd" in staff_page
    with in_tenant(world_a.tenant):
        saved = Partner.objects.get(pk=world_a.partner.pk)
        regions = saved.values_of("region")
        event = AuditEvent.objects.get(partner_id=world_a.partner.pk, verb="partner.updated")
    assert (saved.legal_name, saved.website, saved.country.code, saved.company_size) == (
        "Alpha One Holdings Ltd",
        "https://alpha-one.example",
        "GB",
        "51-200",
    )
    assert regions == ["nordics", "uk_ireland"]
    changed = {
        "legal_name",
        "website",
        "country",
        "company_size",
        "description",
        "regions",
        "verticals",
        "segments",
    }
    assert set(event.before) == set(event.after) == changed
    assert event.before["legal_name"] == ""
    assert event.after["legal_name"] == "Alpha One Holdings Ltd"
    assert event.after["regions"] == ["nordics", "uk_ireland"]
    assert event.actor == world_a.user(Role.PARTNER_ADMIN)


def test_the_edit_form_shows_the_current_profile(world_a, partner_admin, in_tenant):
    with in_tenant(world_a.tenant):
        Partner.objects.filter(pk=world_a.partner.pk).update(legal_name="Alpha One GmbH")
        PartnerAttribute.objects.create(partner=world_a.partner, kind="region", value="dach")
    page = html.unescape(partner_admin.get(f"{PORTAL}profile/edit/").content.decode())
    assert 'value="Alpha One GmbH"' in page
    assert re.search(r'<input type="checkbox" name="regions" value="dach"[^>]*checked', page)


def test_program_fields_posted_to_the_portal_form_change_nothing(
    world_a, partner_admin, programmed, in_tenant
):
    silver = TierFactory(tenant=world_a.tenant, name="Silver", rank=2, classification="tactical")
    before = snapshot(world_a, programmed.pk, in_tenant)
    response = partner_admin.post(
        f"{PORTAL}profile/edit/",
        {
            **profile_form(legal_name="Alpha One Ltd"),
            "name": "Renamed By Partner",
            "domain": "evil.example",
            "tier": silver.pk,
            "status": "exited",
            "partner_manager": world_a.user(Role.ADMIN).pk,
            "motions": ["influence", "integrate"],
            "partner_types": ["advisor"],
            "join_date": "2010-01-01",
        },
    )
    assert response.status_code == 302
    assert snapshot(world_a, programmed.pk, in_tenant) == before
    with in_tenant(world_a.tenant):
        assert Partner.objects.get(pk=programmed.pk).legal_name == "Alpha One Ltd"
        event = AuditEvent.objects.get(partner_id=programmed.pk, verb="partner.updated")
    assert set(event.after) == {"legal_name"}


def test_an_invalid_website_is_refused_on_the_field_and_nothing_is_saved(world_a, partner_admin, in_tenant):
    response = partner_admin.post(
        f"{PORTAL}profile/edit/", profile_form(legal_name="Changed", website="not a url at all")
    )
    assert response.status_code == 400
    assert "Enter a valid URL." in field_errors(response, "website")
    with in_tenant(world_a.tenant):
        assert Partner.objects.get(pk=world_a.partner.pk).legal_name == ""
        assert not AuditEvent.objects.filter(verb="partner.updated").exists()


def test_a_partner_admin_uploads_a_logo_that_its_colleagues_and_staff_see(
    world_a, partner_admin, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    logo = SimpleUploadedFile("ours.png", buffer.getvalue(), content_type="image/png")
    response = partner_admin.post(f"{PORTAL}profile/edit/", {**profile_form(), "logo": logo})
    assert response.status_code == 302, field_errors(response, "logo")
    logo_url = f"/t/alpha/partners/{world_a.partner.pk}/logo/"
    assert f'src="{logo_url}"' in partner_admin.get(PORTAL).content.decode()
    for client in (client_for(world_a.user(Role.PARTNER_USER)), client_for(world_a.user(Role.MANAGER))):
        served = client.get(logo_url)
        assert served.status_code == 200
        assert b"".join(served.streaming_content) == buffer.getvalue()
    assert client_for(world_a.user("other_partner_user")).get(logo_url).status_code == 404


def test_a_partner_admin_removes_the_logo_with_the_clear_box(
    world_a, partner_admin, settings, tmp_path, in_tenant
):
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    logo = SimpleUploadedFile("ours.png", buffer.getvalue(), content_type="image/png")
    assert partner_admin.post(f"{PORTAL}profile/edit/", {**profile_form(), "logo": logo}).status_code == 302
    assert 'name="logo-clear"' in partner_admin.get(f"{PORTAL}profile/edit/").content.decode()
    response = partner_admin.post(f"{PORTAL}profile/edit/", {**profile_form(), "logo-clear": "on"})
    assert response.status_code == 302
    with in_tenant(world_a.tenant):
        assert not Partner.objects.get(pk=world_a.partner.pk).logo
    assert partner_admin.get(f"/t/alpha/partners/{world_a.partner.pk}/logo/").status_code == 404


# --- partner users read only -------------------------------------------------------------------------


def test_a_partner_user_is_refused_every_change(world_a, partner_user, in_tenant):
    contact = ContactFactory(partner=world_a.partner, name="Ann Lee", email="ann@one.example")
    cert = CertificationFactory(partner=world_a.partner, name="Kept Cert")
    attempts = [
        partner_user.get(f"{PORTAL}profile/edit/"),
        partner_user.post(f"{PORTAL}profile/edit/", profile_form(legal_name="Changed")),
        partner_user.get(f"{PORTAL}contacts/new/"),
        partner_user.post(f"{PORTAL}contacts/new/", contact_form(email="new@one.example")),
        partner_user.get(f"{PORTAL}contacts/{contact.pk}/edit/"),
        partner_user.post(f"{PORTAL}contacts/{contact.pk}/edit/", contact_form(name="Changed")),
        partner_user.post(f"{PORTAL}contacts/{contact.pk}/archive/"),
        partner_user.get(f"{PORTAL}certifications/new/"),
        partner_user.post(f"{PORTAL}certifications/new/", cert_form()),
        partner_user.post(f"{PORTAL}certifications/{cert.pk}/edit/", cert_form(name="Changed")),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    with in_tenant(world_a.tenant):
        assert Partner.objects.get(pk=world_a.partner.pk).legal_name == ""
        assert list(Contact.objects.values_list("name", "archived_at")) == [("Ann Lee", None)]
        assert list(Certification.objects.values_list("name", flat=True)) == ["Kept Cert"]


# --- contacts and certifications -------------------------------------------------------------------


def test_a_partner_admin_adds_edits_and_removes_its_contacts(world_a, partner_admin, client_for, in_tenant):
    added = partner_admin.post(
        f"{PORTAL}contacts/new/", contact_form(title="Head of Alliances", role="executive_sponsor")
    )
    assert added.status_code == 302
    assert added["Location"] == f"{PORTAL}#contacts"
    home = words(partner_admin.get(PORTAL))
    assert "Ann Lee" in home
    assert "Head of Alliances" in home
    assert "Executive sponsor" in home
    with in_tenant(world_a.tenant):
        contact = Contact.objects.get(partner=world_a.partner)

    edited = partner_admin.post(
        f"{PORTAL}contacts/{contact.pk}/edit/", contact_form(name="Ann Lee-Park", phone="+44 20 7946 0000")
    )
    assert edited.status_code == 302
    home = words(partner_admin.get(PORTAL))
    assert "Ann Lee-Park" in home
    assert "+44 20 7946 0000" in home

    removed = partner_admin.post(f"{PORTAL}contacts/{contact.pk}/archive/")
    assert removed.status_code == 302
    home = words(partner_admin.get(PORTAL))
    assert "Ann Lee-Park removed from your contacts." in home
    assert home.count("Ann Lee-Park") == 1  # only in the message, no longer in the list
    # Nothing is lost: the program team still sees the contact, marked archived.
    staff_contacts = client_for(world_a.user(Role.MANAGER)).get(f"/t/alpha/partners/{world_a.partner.pk}/")
    assert "Ann Lee-Park" in words(staff_contacts)
    with in_tenant(world_a.tenant):
        assert Contact.objects.get(pk=contact.pk).archived_at is not None


def test_a_partner_admin_cannot_add_a_second_contact_with_the_same_email(world_a, partner_admin, in_tenant):
    ContactFactory(partner=world_a.partner, name="Ann Lee", email="ann@one.example")
    response = partner_admin.post(
        f"{PORTAL}contacts/new/", contact_form(name="Ann Twin", email="Ann@One.example")
    )
    assert response.status_code == 400
    assert field_errors(response, "email") == "This partner already has a contact with this e-mail address."
    with in_tenant(world_a.tenant):
        assert Contact.objects.filter(partner=world_a.partner).count() == 1


def test_a_partner_admin_adds_and_renews_certifications(world_a, partner_admin, in_tenant):
    ann = ContactFactory(partner=world_a.partner, name="Ann Lee", email="ann@one.example")
    added = partner_admin.post(f"{PORTAL}certifications/new/", cert_form(holder="person", contact=ann.pk))
    assert added.status_code == 302
    assert added["Location"] == f"{PORTAL}#certifications"
    row = re.search(
        r"<tr[^>]*>(?:(?!</tr>).)*Cloud Architect.*?</tr>", partner_admin.get(PORTAL).content.decode(), re.S
    )
    assert "Ann Lee" in plain(row.group(0))
    assert "15 Jan 2027" in plain(row.group(0))
    with in_tenant(world_a.tenant):
        cert = Certification.objects.get(partner=world_a.partner)
    renewed = partner_admin.post(
        f"{PORTAL}certifications/{cert.pk}/edit/",
        cert_form(holder="person", contact=ann.pk, expires_on="2029-01-15"),
    )
    assert renewed.status_code == 302
    with in_tenant(world_a.tenant):
        assert Certification.objects.get(pk=cert.pk).expires_on == date(2029, 1, 15)
    assert "15 Jan 2029" in words(partner_admin.get(PORTAL))


def test_a_certification_cannot_name_a_person_of_another_partner(world_a, partner_admin, others, in_tenant):
    stranger, _ = others
    response = partner_admin.post(
        f"{PORTAL}certifications/new/", cert_form(holder="person", contact=stranger.pk)
    )
    assert response.status_code == 400
    assert "Select a valid choice" in field_errors(response, "contact")
    assert "Secret Sam" not in response.content.decode()
    with in_tenant(world_a.tenant):
        assert not Certification.objects.filter(partner=world_a.partner).exists()


def test_a_certification_cannot_expire_before_it_was_earned_in_the_portal(world_a, partner_admin, in_tenant):
    response = partner_admin.post(f"{PORTAL}certifications/new/", cert_form(expires_on="2024-12-31"))
    assert response.status_code == 400
    assert field_errors(response, "expires_on") == "A certification cannot expire before it was earned."


# --- confined to the own partner ---------------------------------------------------------------------


def test_a_contact_or_certification_of_another_partner_is_not_found_in_the_portal(
    world_a, partner_admin, others, in_tenant
):
    contact, cert = others
    attempts = [
        partner_admin.get(f"{PORTAL}contacts/{contact.pk}/edit/"),
        partner_admin.post(
            f"{PORTAL}contacts/{contact.pk}/edit/", contact_form(name="Taken Over", email="x@two.example")
        ),
        partner_admin.post(f"{PORTAL}contacts/{contact.pk}/archive/"),
        partner_admin.get(f"{PORTAL}certifications/{cert.pk}/edit/"),
        partner_admin.post(f"{PORTAL}certifications/{cert.pk}/edit/", cert_form(name="Taken Over")),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    assert all(b"Secret" not in r.content for r in attempts)
    with in_tenant(world_a.tenant):
        saved_contact = Contact.objects.get(pk=contact.pk)
        assert (saved_contact.name, saved_contact.archived_at) == ("Secret Sam", None)
        assert Certification.objects.get(pk=cert.pk).name == "Secret Cert"


def test_the_portal_home_never_shows_another_partners_data(
    world_a, partner_admin, client_for, others, in_tenant
):
    with in_tenant(world_a.tenant):
        Partner.objects.filter(pk=world_a.other_partner.pk).update(
            legal_name="Secret Two Legal", description="Secret plans", domain="two.example"
        )
    ContactFactory(partner=world_a.partner, name="Our Own Olga", email="olga@one.example")
    ours = words(partner_admin.get(PORTAL))
    assert "Our Own Olga" in ours
    assert "Secret" not in ours
    assert world_a.other_partner.name not in ours
    assert "two.example" not in ours

    theirs = words(client_for(world_a.user("other_partner_user")).get(PORTAL))
    assert "Secret Sam" in theirs
    assert "Secret Cert" in theirs
    assert "Our Own Olga" not in theirs
    assert world_a.partner.name not in theirs


def test_staff_have_no_portal_of_their_own(world_a, client_for):
    assert client_for(world_a.user(Role.MANAGER)).get(PORTAL).status_code == 403


def test_a_partner_member_of_another_tenant_cannot_open_this_portal(world_b, client_for):
    outsider = client_for(world_b.user(Role.PARTNER_ADMIN))
    assert outsider.get(PORTAL).status_code == 404
    assert outsider.get(f"{PORTAL}profile/edit/").status_code == 404
