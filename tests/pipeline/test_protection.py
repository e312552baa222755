"""Deal protection: an approval protects the deal for the partner's tier's deal-protection days
when the tier sets them, else for the program's protection period; the registration records
which applied, and the staff page, the portal and the API say so. Extensions stay the program's."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from pipeline import services
from pipeline.models import DealRegistration
from prm.models import AuditEvent
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.partners.factories import TierFactory
from tests.pipeline.factories import DealRegistrationFactory


def today():
    return timezone.localdate()


def words(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))).strip()


def with_tier(world, name: str, days: int | None, rank: int = 1, partner=None):
    partner = partner or world.partner
    with tenant_context(world.tenant):
        partner.tier = TierFactory(tenant=world.tenant, name=name, rank=rank, deal_protection_days=days)
        partner.save(update_fields=["tier", "updated_at"])
    return partner


def program(world, **rules: int) -> None:
    world.tenant.settings = {"deal_registration": rules}
    world.tenant.save()


def registration(world, partner=None) -> DealRegistration:
    return DealRegistrationFactory(partner=partner or world.partner)


def approve(world, reg: DealRegistration) -> DealRegistration:
    with tenant_context(world.tenant):
        services.registration_approve(access=world.access(Role.MANAGER), registration=reg)
        return DealRegistration.objects.get(pk=reg.pk)


def test_a_strategic_partners_approval_gives_its_tiers_180_days_and_says_tier_strategic(world_a):
    program(world_a, protection_days=90)
    with_tier(world_a, "Strategic", 180)

    approved = approve(world_a, registration(world_a))

    assert approved.protected_until == today() + timedelta(days=180)
    assert (approved.protection_days, approved.protection_source) == (180, "tier Strategic")
    with tenant_context(world_a.tenant):
        event = AuditEvent.objects.get(verb="registration.approved", target_id=str(approved.pk))
    assert event.after["protection_days"] == 180
    assert event.after["protection_source"] == "tier Strategic"


def test_a_tier_without_protection_days_gives_the_program_default_and_says_so(world_a):
    program(world_a, protection_days=45)
    with_tier(world_a, "Registered", None, rank=4)

    approved = approve(world_a, registration(world_a))

    assert approved.protected_until == today() + timedelta(days=45)
    assert (approved.protection_days, approved.protection_source) == (45, "program default")


def test_an_untiered_partner_gets_the_program_default(world_a):
    program(world_a, protection_days=60)

    approved = approve(world_a, registration(world_a))

    assert (approved.protection_days, approved.protection_source) == (60, "program default")


def test_extensions_stay_the_programs_length_whatever_the_tier(world_a):
    program(world_a, extension_days=30)
    with_tier(world_a, "Strategic", 180)
    approved = approve(world_a, registration(world_a))

    with tenant_context(world_a.tenant):
        services.registration_extend(access=world_a.access(Role.MANAGER), registration=approved)
        extended = DealRegistration.objects.get(pk=approved.pk)

    assert extended.protected_until == today() + timedelta(days=180 + 30)
    assert (extended.protection_days, extended.protection_source) == (180, "tier Strategic")


def test_the_api_shows_the_days_granted_and_their_source_for_both_cases(world_a, client_for):
    program(world_a, protection_days=90)
    with_tier(world_a, "Strategic", 180)
    other = with_tier(world_a, "Registered", None, rank=4, partner=world_a.other_partner)
    strategic, default = registration(world_a), registration(world_a, partner=other)
    manager = client_for(world_a.user(Role.MANAGER))

    def approve_over_api(reg):
        url = f"/api/v1/t/alpha/registrations/{reg.pk}/approve/"
        response = manager.post(url, json.dumps({}), content_type="application/json")
        assert response.status_code == 200, response.content
        return response.json()

    first, second = approve_over_api(strategic), approve_over_api(default)

    assert (first["protection_days"], first["protection_source"]) == (180, "tier Strategic")
    assert first["protected_until"] == str(today() + timedelta(days=180))
    assert (second["protection_days"], second["protection_source"]) == (90, "program default")
    partner_view = client_for(world_a.user(Role.PARTNER_USER)).get(
        f"/api/v1/t/alpha/registrations/{strategic.pk}/"
    )
    assert partner_view.json()["protection_source"] == "tier Strategic"


def test_the_api_refuses_to_write_the_protection_fields(world_a, client_for):
    reg = registration(world_a)
    response = client_for(world_a.user(Role.MANAGER)).patch(
        f"/api/v1/t/alpha/registrations/{reg.pk}/",
        json.dumps({"protection_days": 999}),
        content_type="application/json",
    )
    assert response.status_code in (400, 405)
    with tenant_context(world_a.tenant):
        assert DealRegistration.objects.get(pk=reg.pk).protection_days is None


def test_the_staff_page_tells_the_term_before_and_after_approval(world_a, client_for):
    program(world_a, protection_days=90, extension_days=30)
    with_tier(world_a, "Strategic", 180)
    reg = registration(world_a)
    manager = client_for(world_a.user(Role.MANAGER))

    before = words(manager.get(f"/t/alpha/deals/{reg.pk}/"))
    assert "is protected on this deal for 180 days (tier Strategic)" in before

    approve(world_a, reg)
    after = words(manager.get(f"/t/alpha/deals/{reg.pk}/"))
    assert "Granted 180 days on approval (tier Strategic)" in after
    assert "Extend by 30 days" in after


def test_the_portal_page_tells_the_partner_which_term_applied(world_a, client_for):
    program(world_a, protection_days=45)
    with_tier(world_a, "Registered", None, rank=4)
    reg = approve(world_a, registration(world_a))

    text = words(client_for(world_a.user(Role.PARTNER_USER)).get(f"/t/alpha/portal/deals/{reg.pk}/"))

    assert "45 days granted on approval (program default)" in text
    assert "Protection granted 45 days (program default)" in text


@pytest.mark.parametrize(("days", "shown"), [(180, "180 days"), (None, "Program default")])
def test_the_portal_tier_page_shows_the_tiers_term_or_the_program_default(world_a, client_for, days, shown):
    with_tier(world_a, "Strategic", days)

    text = words(client_for(world_a.user(Role.PARTNER_USER)).get("/t/alpha/portal/tier/"))

    assert f"Deal protection {shown}" in text
