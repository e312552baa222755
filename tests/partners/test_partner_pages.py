"""One partner's pages for vendor staff: add and edit with errors on the field, lifecycle status,
archive and restore, notes and the timeline, contacts, certifications, the logo, and who may do
what. The services behind them are shared with the API (test_api.py); these tests use the forms
and read the pages a person sees.
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

from partners.models import Certification, Contact, Partner, PartnerNote, PartnerStatusChange
from prm.models import AuditEvent
from prm.permissions import Role
from tests.partners.factories import CertificationFactory, ContactFactory, PartnerFactory, TierFactory

BASE = "/t/alpha"


def page(response) -> str:
    """The page's markup with entities decoded and whitespace collapsed."""
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def plain(markup: str) -> str:
    """Markup as the words a person reads: tags dropped, entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()


def field_errors(response, name: str) -> str:
    """The error messages shown under the form field ``name`` ("" when none)."""
    match = re.search(rf'<ul[^>]*id="id_{name}_error"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""


def words(response) -> str:
    """Everything the page says, as plain text (messages, errors, labels and values)."""
    return plain(response.content.decode())


def section(response, section_id: str) -> str:
    """The markup of one ``<section id=…>`` of the partner page."""
    match = re.search(rf'<section[^>]*id="{section_id}"[^>]*>.*?</section>', page(response), re.S)
    assert match, f"no section {section_id}"
    return match.group(0)


def profile(response) -> str:
    """The markup of the partner page's Profile card."""
    match = re.search(
        r'<section[^>]*aria-labelledby="profile-title"[^>]*>.*?</section>', page(response), re.S
    )
    assert match, "no profile card"
    return match.group(0)


def partner_form(**values) -> dict:
    """A complete, valid add/edit form: an empty profile unless told otherwise."""
    data = {
        "name": "Northwind Traders",
        "legal_name": "",
        "website": "",
        "domain": "",
        "country": "",
        "company_size": "",
        "description": "",
        "join_date": "",
        "tier": "",
        "partner_manager": "",
        "vendor_sponsor": "",
        "partner_sponsor": "",
        "agreement_type": "standard",
        "agreement_start": "",
        "agreement_end": "",
    }
    data.update(values)
    return data


def png(name: str = "logo.png", colour: str = "navy") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def url(partner, action: str = "") -> str:
    return f"{BASE}/partners/{partner.pk}/{action}"


@pytest.fixture
def manager(world_a, client_for):
    return client_for(world_a.user(Role.MANAGER))


@pytest.fixture
def prospect(world_a):
    return PartnerFactory(
        tenant=world_a.tenant, name="Contoso", status=Partner.Status.PROSPECT, domain="contoso.example"
    )


def reload(world, partner, in_tenant) -> Partner:
    with in_tenant(world.tenant):
        return Partner.objects.get(pk=partner.pk)


def partner_count(world, in_tenant) -> int:
    with in_tenant(world.tenant):
        return Partner.objects.count()


# --- add a partner -------------------------------------------------------------------------------


def test_a_manager_adds_a_partner_as_a_prospect_and_lands_on_its_page(world_a, manager, in_tenant):
    response = manager.post(
        f"{BASE}/partners/new/",
        partner_form(
            legal_name="Northwind Traders GmbH",
            domain="northwind.example",
            country="DE",
            partner_types=["reseller", "system_integrator"],
            motions=["co_sell"],
            regions=["dach"],
        ),
    )
    with in_tenant(world_a.tenant):
        partner = Partner.objects.get(name="Northwind Traders")
    assert response.status_code == 302
    assert response["Location"] == url(partner)
    shown = manager.get(response["Location"])
    text = page(shown)
    assert "Northwind Traders added to the program as a prospect." in words(shown)
    assert "<h1>Northwind Traders</h1>" in text
    assert "Prospect" in text
    assert "Northwind Traders GmbH" in text
    assert "Germany" in text
    assert "System integrator" in text
    assert "Co-sell" in text
    assert "DACH" in text


def test_a_partner_without_a_name_is_refused_on_the_name_field(world_a, manager, in_tenant):
    before = partner_count(world_a, in_tenant)
    response = manager.post(f"{BASE}/partners/new/", partner_form(name=""))
    assert response.status_code == 400
    assert "This field is required." in field_errors(response, "name")
    assert "Nothing was saved" in page(response)
    assert partner_count(world_a, in_tenant) == before


@pytest.mark.parametrize("domain", ["not a domain", "localhost", "exa mple.com", "-bad-.example"])
def test_a_malformed_domain_is_refused_on_the_domain_field(world_a, manager, in_tenant, domain):
    before = partner_count(world_a, in_tenant)
    response = manager.post(f"{BASE}/partners/new/", partner_form(domain=domain))
    assert response.status_code == 400
    assert "is not a domain name such as example.com" in field_errors(response, "domain")
    assert partner_count(world_a, in_tenant) == before


@pytest.mark.parametrize(
    "typed", ["https://www.Example.com/x", "Example.COM", "sales@example.com", "www.example.com"]
)
def test_the_domain_is_normalised_to_the_bare_domain(world_a, manager, in_tenant, typed):
    response = manager.post(f"{BASE}/partners/new/", partner_form(domain=typed))
    assert response.status_code == 302, field_errors(response, "domain")
    with in_tenant(world_a.tenant):
        assert Partner.objects.get(name="Northwind Traders").domain == "example.com"


def test_editing_normalises_a_typed_website_address_to_the_domain(world_a, manager, in_tenant):
    partner = world_a.partner
    response = manager.post(
        url(partner, "edit/"), partner_form(name=partner.name, domain="https://www.Alpha-One.example/about")
    )
    assert response.status_code == 302, field_errors(response, "domain")
    assert reload(world_a, partner, in_tenant).domain == "alpha-one.example"


def test_a_domain_already_used_in_the_program_is_refused_naming_the_other_partner(
    world_a, manager, prospect, in_tenant
):
    before = partner_count(world_a, in_tenant)
    response = manager.post(f"{BASE}/partners/new/", partner_form(domain="www.contoso.example"))
    assert response.status_code == 400
    assert field_errors(response, "domain") == "Contoso already uses the domain contoso.example."
    assert partner_count(world_a, in_tenant) == before


def test_a_domain_of_an_archived_partner_is_refused_with_a_hint_to_restore_it(world_a, manager, in_tenant):
    PartnerFactory(
        tenant=world_a.tenant, name="Old Contoso", domain="contoso.example", archived_at=timezone.now()
    )
    response = manager.post(f"{BASE}/partners/new/", partner_form(domain="contoso.example"))
    assert response.status_code == 400
    assert "Old Contoso (archived) uses the domain contoso.example: restore it instead." in field_errors(
        response, "domain"
    )


def test_the_same_domain_in_another_tenant_is_fine(world_a, world_b, manager, in_tenant):
    PartnerFactory(tenant=world_b.tenant, name="Bravo Contoso", domain="contoso.example")
    response = manager.post(f"{BASE}/partners/new/", partner_form(domain="contoso.example"))
    assert response.status_code == 302, field_errors(response, "domain")
    with in_tenant(world_a.tenant):
        assert Partner.objects.get(name="Northwind Traders").domain == "contoso.example"


def test_an_agreement_that_ends_before_it_starts_is_refused_on_the_end_date(world_a, manager, in_tenant):
    before = partner_count(world_a, in_tenant)
    response = manager.post(
        f"{BASE}/partners/new/",
        partner_form(agreement_type="custom", agreement_start="2025-06-01", agreement_end="2025-05-31"),
    )
    assert response.status_code == 400
    assert field_errors(response, "agreement_end") == "The agreement cannot end before it starts."
    assert partner_count(world_a, in_tenant) == before


# --- edit ----------------------------------------------------------------------------------------


def test_editing_changes_the_fields_and_records_one_update_with_only_the_changes(world_a, manager, in_tenant):
    partner = world_a.partner
    gold = TierFactory(tenant=world_a.tenant, name="Gold", rank=1, classification="strategic")
    response = manager.post(
        url(partner, "edit/"),
        partner_form(
            name=partner.name,
            legal_name="Alpha One Ltd",
            website="https://one.example",
            tier=gold.pk,
            motions=["co_sell", "implement"],
        ),
    )
    assert response.status_code == 302
    shown = manager.get(response["Location"])
    assert f"{partner.name} saved." in words(shown)
    assert "Legal name Alpha One Ltd" in plain(profile(shown))
    assert "Tier Gold" in words(shown)
    with in_tenant(world_a.tenant):
        saved = Partner.objects.get(pk=partner.pk)
        motions = saved.values_of("motion")
        events = list(AuditEvent.objects.filter(partner_id=partner.pk, verb="partner.updated"))
    assert (saved.legal_name, saved.website, saved.tier_id) == (
        "Alpha One Ltd",
        "https://one.example",
        gold.pk,
    )
    assert motions == ["co_sell", "implement"]
    assert len(events) == 1
    assert events[0].before == {"legal_name": "", "website": "", "tier_id": None, "motions": []}
    assert events[0].after == {
        "legal_name": "Alpha One Ltd",
        "website": "https://one.example",
        "tier_id": gold.pk,
        "motions": ["co_sell", "implement"],
    }
    timeline = section(shown, "timeline")
    assert "partner.updated" in timeline
    assert "Alpha One Ltd" in timeline


def test_saving_the_edit_form_unchanged_records_no_event(world_a, manager, in_tenant):
    partner = world_a.partner
    response = manager.post(url(partner, "edit/"), partner_form(name=partner.name))
    assert response.status_code == 302
    with in_tenant(world_a.tenant):
        assert not AuditEvent.objects.filter(partner_id=partner.pk, verb="partner.updated").exists()


def test_the_edit_form_shows_the_current_values(world_a, manager, in_tenant):
    partner = PartnerFactory(
        tenant=world_a.tenant, name="Fabrikam", domain="fabrikam.example", legal_name="Fabrikam Inc"
    )
    with in_tenant(world_a.tenant):
        partner.attributes.create(kind="motion", value="integrate")
    text = page(manager.get(url(partner, "edit/")))
    assert 'value="Fabrikam"' in text
    assert 'value="fabrikam.example"' in text
    assert 'value="Fabrikam Inc"' in text
    assert re.search(r'<input type="checkbox" name="motions" value="integrate"[^>]*checked', text)


def test_an_edit_with_an_error_changes_nothing(world_a, manager, prospect, in_tenant):
    partner = world_a.partner
    response = manager.post(
        url(partner, "edit/"), partner_form(name="Renamed", legal_name="New Legal", domain="contoso.example")
    )
    assert response.status_code == 400
    assert field_errors(response, "domain") == "Contoso already uses the domain contoso.example."
    saved = reload(world_a, partner, in_tenant)
    assert (saved.name, saved.legal_name, saved.domain) == (partner.name, "", "")
    with in_tenant(world_a.tenant):
        assert not AuditEvent.objects.filter(partner_id=partner.pk, verb="partner.updated").exists()


def test_a_partner_of_another_tenant_is_not_found(world_a, world_b, manager):
    theirs = world_b.partner
    assert manager.get(url(theirs)).status_code == 404
    assert manager.get(url(theirs, "edit/")).status_code == 404
    assert manager.post(url(theirs, "edit/"), partner_form(name="Hijacked")).status_code == 404
    assert manager.post(url(theirs, "notes/"), {"body": "hello"}).status_code == 404


# --- lifecycle status ------------------------------------------------------------------------------


def test_the_status_form_offers_only_the_allowed_moves(manager, prospect):
    form = re.search(
        r'<form method="post" action="/t/alpha/partners/\d+/status/".*?</form>',
        page(manager.get(url(prospect))),
        re.S,
    )
    options = re.findall(r'<option value="(\w+)"', form.group(0))
    assert sorted(options) == ["exited", "onboarding"]


def test_a_status_change_without_a_reason_is_refused_on_the_reason_field(
    world_a, manager, prospect, in_tenant
):
    response = manager.post(url(prospect, "status/"), {"status": "onboarding", "reason": "  "})
    assert response.status_code == 400
    assert "This field is required." in field_errors(response, "reason")
    assert reload(world_a, prospect, in_tenant).status == Partner.Status.PROSPECT
    with in_tenant(world_a.tenant):
        assert not PartnerStatusChange.objects.filter(partner=prospect).exists()


def test_an_illegal_status_move_is_refused_with_a_message_on_the_status_field(
    world_a, manager, prospect, in_tenant
):
    response = manager.post(url(prospect, "status/"), {"status": "active", "reason": "Skip onboarding"})
    assert response.status_code == 400
    error = field_errors(response, "status")
    assert "active" in error
    assert "not one of the available choices" in error
    assert reload(world_a, prospect, in_tenant).status == Partner.Status.PROSPECT
    with in_tenant(world_a.tenant):
        assert not PartnerStatusChange.objects.filter(partner=prospect).exists()


def test_a_status_change_is_recorded_with_its_reason_and_shown_on_the_timeline(
    world_a, manager, prospect, in_tenant
):
    response = manager.post(
        url(prospect, "status/"), {"status": "onboarding", "reason": "Signed the program terms"}
    )
    assert response.status_code == 302
    shown = manager.get(response["Location"])
    assert "Contoso: Prospect → Onboarding." in words(shown)
    with in_tenant(world_a.tenant):
        change = PartnerStatusChange.objects.get(partner=prospect)
    assert (change.from_status, change.to_status, change.reason) == (
        "prospect",
        "onboarding",
        "Signed the program terms",
    )
    assert change.changed_by == world_a.user(Role.MANAGER)
    timeline = section(shown, "timeline")
    assert "Status: Prospect → Onboarding" in timeline
    assert "Signed the program terms" in timeline
    assert "Onboarding since" in page(shown)


def test_moving_to_active_sets_an_empty_join_date_to_today(world_a, manager, in_tenant):
    partner = PartnerFactory(
        tenant=world_a.tenant, name="Litware", status=Partner.Status.ONBOARDING, join_date=None
    )
    response = manager.post(url(partner, "status/"), {"status": "active", "reason": "Onboarding complete"})
    assert response.status_code == 302
    saved = reload(world_a, partner, in_tenant)
    assert saved.status == Partner.Status.ACTIVE
    assert saved.join_date == timezone.localdate()
    today = timezone.localdate()
    assert f"Joined {today.day} {today:%b %Y}" in words(manager.get(url(partner)))


def test_moving_back_to_active_keeps_the_original_join_date(world_a, manager, in_tenant):
    partner = PartnerFactory(
        tenant=world_a.tenant, name="Litware", status=Partner.Status.SUSPENDED, join_date=date(2021, 3, 4)
    )
    manager.post(url(partner, "status/"), {"status": "active", "reason": "Back in good standing"})
    saved = reload(world_a, partner, in_tenant)
    assert saved.status == Partner.Status.ACTIVE
    assert saved.join_date == date(2021, 3, 4)


# --- archive and restore ----------------------------------------------------------------------------


def test_archiving_hides_the_partner_from_the_directory_and_restoring_brings_it_back(
    world_a, manager, prospect
):
    assert "Contoso" in page(manager.get(f"{BASE}/partners/"))
    archived = manager.post(url(prospect, "archive/"))
    assert archived.status_code == 302
    shown = manager.get(archived["Location"])
    assert "Contoso archived." in words(shown)
    assert "It is out of the directory; nothing about it was deleted." in page(shown)
    assert "Contoso" not in page(manager.get(f"{BASE}/partners/"))
    assert "Contoso" in page(manager.get(f"{BASE}/partners/", {"archived": "yes"}))

    restored = manager.post(url(prospect, "restore/"))
    assert "Contoso restored." in words(manager.get(restored["Location"]))
    assert "Contoso" in page(manager.get(f"{BASE}/partners/"))


def test_an_archived_partner_cannot_be_edited_until_restored(world_a, manager, prospect, in_tenant):
    manager.post(url(prospect, "archive/"))
    detail = page(manager.get(url(prospect)))
    assert "Restore partner" in detail
    assert url(prospect, "edit/") not in detail

    opened = manager.get(url(prospect, "edit/"))
    assert opened.status_code == 302
    assert "This partner is archived. Restore it before changing it." in words(
        manager.get(opened["Location"])
    )

    manager.post(url(prospect, "edit/"), partner_form(name="Renamed while archived"))
    status = manager.post(url(prospect, "status/"), {"status": "onboarding", "reason": "Try anyway"})
    assert status.status_code == 400
    assert "archived" in words(status)
    contact = manager.post(
        url(prospect, "contacts/new/"), {"name": "Ann", "email": "ann@contoso.example", "role": "primary"}
    )
    assert contact.status_code == 400
    assert "archived" in words(contact)
    saved = reload(world_a, prospect, in_tenant)
    assert (saved.name, saved.status) == ("Contoso", Partner.Status.PROSPECT)
    with in_tenant(world_a.tenant):
        assert not Contact.objects.filter(partner=prospect).exists()


def test_contacts_and_certifications_of_an_archived_partner_cannot_be_changed(
    world_a, manager, prospect, in_tenant
):
    contact = ContactFactory(partner=prospect, name="Ann Lee", email="ann@contoso.example")
    cert = CertificationFactory(partner=prospect, name="Kept Cert")
    manager.post(url(prospect, "archive/"))
    attempts = [
        manager.post(
            f"{BASE}/contacts/{contact.pk}/edit/",
            contact_form(name="Changed While Archived", email="ann@contoso.example"),
            follow=True,
        ),
        manager.post(
            f"{BASE}/certifications/{cert.pk}/edit/", cert_form(name="Changed While Archived"), follow=True
        ),
    ]
    for response in attempts:
        assert "Restore it before changing it" in words(response)
    with in_tenant(world_a.tenant):
        assert Contact.objects.get(pk=contact.pk).name == "Ann Lee"
        assert Certification.objects.get(pk=cert.pk).name == "Kept Cert"


# --- notes and timeline ------------------------------------------------------------------------


def test_notes_are_added_to_the_timeline_newest_first(world_a, manager):
    partner = world_a.partner
    first = manager.post(url(partner, "notes/"), {"body": "Met at the partner summit"})
    assert first.status_code == 302
    manager.post(url(partner, "notes/"), {"body": "Asked for a co-marketing plan"})
    timeline = section(manager.get(url(partner)), "timeline")
    assert "Met at the partner summit" in timeline
    assert timeline.index("Asked for a co-marketing plan") < timeline.index("Met at the partner summit")


def test_an_empty_note_is_refused(world_a, manager, in_tenant):
    response = manager.post(url(world_a.partner, "notes/"), {"body": "   "})
    assert response.status_code == 400
    assert field_errors(response, "body")
    with in_tenant(world_a.tenant):
        assert not PartnerNote.objects.exists()


def test_notes_are_never_shown_to_the_partners_own_users(world_a, manager, client_for):
    manager.post(url(world_a.partner, "notes/"), {"body": "Churn risk: pricing complaints"})
    for role in (Role.PARTNER_ADMIN, Role.PARTNER_USER):
        client = client_for(world_a.user(role))
        portal = client.get(f"{BASE}/portal/")
        assert portal.status_code == 200
        assert world_a.partner.name in page(portal)
        assert "Churn risk" not in page(portal)
        staff_page = client.get(url(world_a.partner))
        assert staff_page.status_code == 403
        assert "Churn risk" not in page(staff_page)


def test_partner_roles_cannot_write_notes(world_a, client_for, in_tenant):
    response = client_for(world_a.user(Role.PARTNER_ADMIN)).post(
        url(world_a.partner, "notes/"), {"body": "Hi"}
    )
    assert response.status_code == 403
    with in_tenant(world_a.tenant):
        assert not PartnerNote.objects.exists()


# --- contacts --------------------------------------------------------------------------------------


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


def test_a_manager_adds_and_edits_a_contact(world_a, manager, in_tenant):
    partner = world_a.partner
    added = manager.post(url(partner, "contacts/new/"), contact_form(title="Head of Sales", role="sales"))
    assert added.status_code == 302
    assert added["Location"] == url(partner) + "#contacts"
    contacts = section(manager.get(url(partner)), "contacts")
    assert "Ann Lee" in contacts
    assert "Head of Sales" in contacts
    assert "ann@one.example" in contacts

    with in_tenant(world_a.tenant):
        contact = Contact.objects.get(partner=partner)
    edited = manager.post(
        f"{BASE}/contacts/{contact.pk}/edit/", contact_form(name="Ann Lee-Smith", phone="+49 30 1234")
    )
    assert edited.status_code == 302
    contacts = section(manager.get(url(partner)), "contacts")
    assert "Ann Lee-Smith" in contacts
    assert "+49 30 1234" in contacts


def test_a_contact_is_archived_and_restored_and_stays_listed_meanwhile(world_a, manager, in_tenant):
    contact = ContactFactory(partner=world_a.partner, name="Bo Berg", email="bo@one.example")
    archived = manager.post(f"{BASE}/contacts/{contact.pk}/archive/")
    assert archived.status_code == 302
    shown = manager.get(url(world_a.partner))
    assert "Bo Berg archived." in words(shown)
    row = re.search(r'<tr class="archived">.*?</tr>', section(shown, "contacts")).group(0)
    assert "Bo Berg" in row
    assert "Archived" in row
    assert "Restore" in row

    manager.post(f"{BASE}/contacts/{contact.pk}/restore/")
    shown = manager.get(url(world_a.partner))
    assert 'class="archived"' not in section(shown, "contacts")
    with in_tenant(world_a.tenant):
        assert Contact.objects.get(pk=contact.pk).archived_at is None


def test_a_second_contact_with_the_same_email_at_one_partner_is_refused(world_a, manager, in_tenant):
    ContactFactory(partner=world_a.partner, name="Ann Lee", email="ann@one.example")
    response = manager.post(
        url(world_a.partner, "contacts/new/"), contact_form(name="Ann Again", email="ANN@one.example")
    )
    assert response.status_code == 400
    assert field_errors(response, "email") == "This partner already has a contact with this e-mail address."
    with in_tenant(world_a.tenant):
        assert Contact.objects.filter(partner=world_a.partner).count() == 1


def test_changing_a_contacts_email_to_a_colleagues_is_refused(world_a, manager, in_tenant):
    ContactFactory(partner=world_a.partner, name="Ann Lee", email="ann@one.example")
    bo = ContactFactory(partner=world_a.partner, name="Bo Berg", email="bo@one.example")
    response = manager.post(
        f"{BASE}/contacts/{bo.pk}/edit/", contact_form(name="Bo Berg", email="ann@one.example")
    )
    assert response.status_code == 400
    assert field_errors(response, "email") == "This partner already has a contact with this e-mail address."
    with in_tenant(world_a.tenant):
        assert Contact.objects.get(pk=bo.pk).email == "bo@one.example"


def test_the_same_email_at_another_partner_is_fine(world_a, manager, in_tenant):
    ContactFactory(partner=world_a.other_partner, name="Ann Lee", email="ann@shared.example")
    response = manager.post(url(world_a.partner, "contacts/new/"), contact_form(email="ann@shared.example"))
    assert response.status_code == 302, field_errors(response, "email")
    with in_tenant(world_a.tenant):
        assert Contact.objects.filter(email="ann@shared.example").count() == 2


def test_a_contact_of_another_tenant_is_not_found(world_b, manager):
    theirs = ContactFactory(partner=world_b.partner)
    assert manager.get(f"{BASE}/contacts/{theirs.pk}/edit/").status_code == 404
    assert manager.post(f"{BASE}/contacts/{theirs.pk}/archive/").status_code == 404


# --- certifications ----------------------------------------------------------------------------------


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


def test_a_manager_adds_a_company_certification(world_a, manager):
    response = manager.post(url(world_a.partner, "certifications/new/"), cert_form())
    assert response.status_code == 302
    assert response["Location"] == url(world_a.partner) + "#certifications"
    certs = section(manager.get(url(world_a.partner)), "certifications")
    assert "Cloud Architect" in certs
    assert "Professional" in certs
    assert "Company" in certs
    assert "15 Jan 2027" in certs


def test_a_person_held_certification_needs_a_contact(world_a, manager, in_tenant):
    response = manager.post(url(world_a.partner, "certifications/new/"), cert_form(holder="person"))
    assert response.status_code == 400
    assert field_errors(response, "contact") == "Name the person who holds this certification."
    with in_tenant(world_a.tenant):
        assert not Certification.objects.exists()


def test_a_person_held_certification_needs_a_contact_of_this_partner(world_a, manager, in_tenant):
    stranger = ContactFactory(partner=world_a.other_partner, name="Stranger")
    response = manager.post(
        url(world_a.partner, "certifications/new/"), cert_form(holder="person", contact=stranger.pk)
    )
    assert response.status_code == 400
    assert "Select a valid choice" in field_errors(response, "contact")
    with in_tenant(world_a.tenant):
        assert not Certification.objects.exists()


def test_a_certification_held_by_a_contact_shows_who_holds_it(world_a, manager):
    ann = ContactFactory(partner=world_a.partner, name="Ann Lee")
    response = manager.post(
        url(world_a.partner, "certifications/new/"), cert_form(holder="person", contact=ann.pk)
    )
    assert response.status_code == 302
    row = re.search(
        r"<tr>.*?Cloud Architect.*?</tr>", section(manager.get(url(world_a.partner)), "certifications")
    )
    assert "Ann Lee" in row.group(0)


def test_a_certification_cannot_expire_before_it_was_earned(world_a, manager, in_tenant):
    response = manager.post(
        url(world_a.partner, "certifications/new/"),
        cert_form(earned_on="2025-01-15", expires_on="2025-01-14"),
    )
    assert response.status_code == 400
    assert field_errors(response, "expires_on") == "A certification cannot expire before it was earned."
    with in_tenant(world_a.tenant):
        assert not Certification.objects.exists()


def test_renewing_a_certification_changes_its_expiry(world_a, manager, in_tenant):
    cert = CertificationFactory(
        partner=world_a.partner, name="Security Pro", expires_on=date(2025, 1, 1), earned_on=date(2023, 1, 1)
    )
    response = manager.post(
        f"{BASE}/certifications/{cert.pk}/edit/",
        cert_form(name="Security Pro", level="", earned_on="2023-01-01", expires_on="2029-01-01"),
    )
    assert response.status_code == 302
    with in_tenant(world_a.tenant):
        assert Certification.objects.get(pk=cert.pk).expires_on == date(2029, 1, 1)
    row = re.search(
        r"<tr[^>]*>.*?Security Pro.*?</tr>", section(manager.get(url(world_a.partner)), "certifications")
    )
    assert "1 Jan 2029" in row.group(0)
    assert "Expired" not in row.group(0)


def test_expired_certifications_stay_listed_with_an_expired_badge(world_a, manager):
    today = timezone.localdate()
    CertificationFactory(
        partner=world_a.partner,
        name="Old Badge",
        earned_on=today - timedelta(days=800),
        expires_on=today - timedelta(days=1),
    )
    CertificationFactory(partner=world_a.partner, name="Fresh Badge", expires_on=today + timedelta(days=90))
    certs = section(manager.get(url(world_a.partner)), "certifications")
    old = re.search(r"<tr[^>]*>.*?Old Badge.*?</tr>", certs).group(0)
    fresh = re.search(r"<tr[^>]*>.*?Fresh Badge.*?</tr>", certs).group(0)
    assert "Expired" in old
    assert "Expired" not in fresh


def test_a_removed_certification_leaves_the_page(world_a, manager):
    cert = CertificationFactory(partner=world_a.partner, name="Mistake Cert")
    response = manager.post(f"{BASE}/certifications/{cert.pk}/archive/")
    assert response.status_code == 302
    assert "Mistake Cert" not in section(manager.get(url(world_a.partner)), "certifications")


def test_a_certification_of_another_tenant_is_not_found(world_b, manager):
    theirs = CertificationFactory(partner=world_b.partner)
    assert manager.get(f"{BASE}/certifications/{theirs.pk}/edit/").status_code == 404


# --- logo ----------------------------------------------------------------------------------------


@pytest.fixture
def with_logo(world_a, manager, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    logo = png()
    response = manager.post(
        url(world_a.partner, "edit/"), {**partner_form(name=world_a.partner.name), "logo": logo}
    )
    assert response.status_code == 302, field_errors(response, "logo")
    logo.seek(0)
    return logo.read()


def fetch(client, path: str):
    response = client.get(path)
    # Reading the whole stream closes the file (the test client closes the response at its end).
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body


def test_an_uploaded_logo_shows_on_the_partner_page(world_a, manager, with_logo):
    assert f'src="{url(world_a.partner, "logo/")}"' in page(manager.get(url(world_a.partner)))


@pytest.mark.parametrize(
    "role", [Role.ADMIN, Role.MANAGER, Role.FINANCE, Role.EXECUTIVE, Role.PARTNER_ADMIN, Role.PARTNER_USER]
)
def test_the_logo_is_served_to_staff_and_to_the_partners_own_users(world_a, client_for, with_logo, role):
    status, body = fetch(client_for(world_a.user(role)), url(world_a.partner, "logo/"))
    assert status == 200
    assert body == with_logo
    assert body.startswith(b"\x89PNG")


def test_the_logo_is_not_found_for_another_partners_user(world_a, client_for, with_logo):
    status, _ = fetch(client_for(world_a.user("other_partner_user")), url(world_a.partner, "logo/"))
    assert status == 404


def test_the_logo_is_not_found_from_another_tenant(world_a, world_b, client_for, with_logo):
    for role in (Role.ADMIN, Role.PARTNER_ADMIN):
        client = client_for(world_b.user(role))
        assert fetch(client, url(world_a.partner, "logo/"))[0] == 404
        assert fetch(client, f"/t/bravo/partners/{world_a.partner.pk}/logo/")[0] == 404


def test_ticking_clear_removes_the_logo(world_a, manager, with_logo, in_tenant):
    form = manager.get(url(world_a.partner, "edit/")).content.decode()
    assert 'name="logo-clear"' in form  # the form offers a "Clear" box once there is a logo
    response = manager.post(
        url(world_a.partner, "edit/"), {**partner_form(name=world_a.partner.name), "logo-clear": "on"}
    )
    assert response.status_code == 302
    assert not reload(world_a, world_a.partner, in_tenant).logo
    assert fetch(manager, url(world_a.partner, "logo/"))[0] == 404


def test_a_partner_without_a_logo_has_none_to_serve(world_a, manager):
    assert fetch(manager, url(world_a.other_partner, "logo/"))[0] == 404


def test_a_file_that_is_not_an_image_is_refused_as_a_logo(world_a, manager, settings, tmp_path, in_tenant):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("logo.png", b"not really a picture", content_type="image/png")
    response = manager.post(
        url(world_a.partner, "edit/"), {**partner_form(name=world_a.partner.name), "logo": fake}
    )
    assert response.status_code == 400
    assert "image" in field_errors(response, "logo")
    assert not reload(world_a, world_a.partner, in_tenant).logo


# --- who may do what ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.FINANCE, Role.EXECUTIVE])
def test_read_only_staff_see_the_partner_page_without_edit_controls(world_a, client_for, role):
    response = client_for(world_a.user(role)).get(url(world_a.partner))
    assert response.status_code == 200
    text = page(response)
    assert f"<h1>{world_a.partner.name}</h1>" in text
    assert url(world_a.partner, "edit/") not in text
    assert url(world_a.partner, "archive/") not in text
    assert url(world_a.partner, "status/") not in text
    assert url(world_a.partner, "contacts/new/") not in text


@pytest.mark.parametrize("role", [Role.FINANCE, Role.EXECUTIVE])
def test_read_only_staff_are_refused_every_change(world_a, client_for, in_tenant, role):
    client = client_for(world_a.user(role))
    partner = world_a.partner
    contact = ContactFactory(partner=partner, name="Ann Lee", email="ann@one.example")
    cert = CertificationFactory(partner=partner, name="Kept Cert")
    before_count = partner_count(world_a, in_tenant)
    attempts = [
        client.get(f"{BASE}/partners/new/"),
        client.post(f"{BASE}/partners/new/", partner_form(name="Sneaky")),
        client.get(url(partner, "edit/")),
        client.post(url(partner, "edit/"), partner_form(name="Renamed")),
        client.post(url(partner, "status/"), {"status": "suspended", "reason": "Because"}),
        client.post(url(partner, "archive/")),
        client.post(url(partner, "contacts/new/"), contact_form(email="new@one.example")),
        client.post(f"{BASE}/contacts/{contact.pk}/edit/", contact_form(name="Changed")),
        client.post(f"{BASE}/contacts/{contact.pk}/archive/"),
        client.post(url(partner, "certifications/new/"), cert_form()),
        client.post(f"{BASE}/certifications/{cert.pk}/edit/", cert_form(name="Changed")),
        client.post(f"{BASE}/certifications/{cert.pk}/archive/"),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    saved = reload(world_a, partner, in_tenant)
    assert (saved.name, saved.status, saved.archived_at) == (partner.name, partner.status, None)
    assert partner_count(world_a, in_tenant) == before_count
    with in_tenant(world_a.tenant):
        assert list(Contact.objects.values_list("name", "archived_at")) == [("Ann Lee", None)]
        assert list(Certification.objects.values_list("name", "archived_at")) == [("Kept Cert", None)]


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.PARTNER_USER])
def test_partner_roles_cannot_open_the_staff_partner_pages(world_a, client_for, role):
    client = client_for(world_a.user(role))
    own = world_a.partner
    assert client.get(url(own)).status_code == 403
    assert client.get(url(own, "edit/")).status_code == 403
    assert client.get(f"{BASE}/partners/new/").status_code == 403


def test_a_manager_can_edit_archive_and_change_status(world_a, manager, in_tenant):
    partner = world_a.partner
    assert manager.get(url(partner, "edit/")).status_code == 200
    assert manager.post(url(partner, "edit/"), partner_form(name="Alpha One Renamed")).status_code == 302
    assert (
        manager.post(url(partner, "status/"), {"status": "suspended", "reason": "Missed targets"}).status_code
        == 302
    )
    saved = reload(world_a, partner, in_tenant)
    assert (saved.name, saved.status) == ("Alpha One Renamed", Partner.Status.SUSPENDED)
