"""seed_demo makes the demo tenants and logins, and is safe to run again."""

from __future__ import annotations

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.test import Client

from incentives.models import Claim, FundRequest, Payout, RebateAccrual
from jbp.models import Plan, Review
from partners.models import Partner
from pipeline.models import Account, DealRegistration, DealStatusChange, RevenueRecord
from prm.management.commands.seed_demo import DEMO_PASSWORD
from prm.models import Membership, Tenant, User
from prm.permissions import Role
from prm.tenancy import tenant_context
from tiering.models import ScoreSnapshot, TierChange, TierChangeProposal


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--force", stdout=out)  # tests run with DEBUG off
    return out.getvalue()


def row_counts() -> dict[str, int]:
    counts = {
        "tenants": Tenant.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "email_addresses": EmailAddress.objects.count(),
    }
    for tenant in Tenant.objects.order_by("slug"):
        with tenant_context(tenant):
            counts[f"partners:{tenant.slug}"] = Partner.objects.count()
            counts[f"accounts:{tenant.slug}"] = Account.objects.count()
            counts[f"registrations:{tenant.slug}"] = DealRegistration.objects.count()
            counts[f"status_changes:{tenant.slug}"] = DealStatusChange.objects.count()
            counts[f"revenue_records:{tenant.slug}"] = RevenueRecord.objects.count()
            # Every app's demo, including the score runs of demo.finish, adds nothing on a re-run.
            for model in (ScoreSnapshot, TierChange, TierChangeProposal, Plan, Review, FundRequest, Claim,
                          Payout, RebateAccrual):  # fmt: skip
                counts[f"{model.__name__}:{tenant.slug}"] = model.objects.count()
    return counts


def sign_in(email: str, password: str = DEMO_PASSWORD) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


@pytest.mark.django_db
def test_seed_demo_twice_gives_the_same_rows():
    first_output = seed()
    first = row_counts()
    seed()
    second = row_counts()

    assert first == second
    assert first["tenants"] == 2
    assert first["partners:acme"] == 60
    assert first["partners:globex"] == 60
    for slug in ("acme", "globex"):
        assert first[f"accounts:{slug}"] == 40
        assert 250 <= first[f"registrations:{slug}"] <= 350
        assert first[f"status_changes:{slug}"] > 2 * first[f"registrations:{slug}"]
        assert first[f"revenue_records:{slug}"] > first[f"accounts:{slug}"] * 5
    # Six people per tenant plus the partner admin who works with both vendors.
    assert first["users"] == 13
    assert first["memberships"] == 14
    assert "demo-pass-2026" in first_output


@pytest.mark.django_db
def test_seed_demo_repairs_a_changed_demo_login():
    seed()
    admin = User.objects.get(email="admin@acme.example")
    admin.set_password("something-else-entirely")
    admin.save()
    Membership.objects.filter(user=admin).update(is_active=False)

    seed()

    client = sign_in("admin@acme.example")
    assert client.get("/t/acme/members/").status_code == 200


@pytest.mark.django_db
def test_demo_admin_signs_in_and_lands_on_their_program():
    seed()

    client = sign_in("admin@acme.example")
    home = client.get("/", follow=True)

    assert home.redirect_chain[-1][0] == "/t/acme/"
    assert "Acme Cloud" in home.content.decode()
    assert client.get("/t/acme/partners/?q=northwind").content.decode().count("Northwind Systems") >= 1


@pytest.mark.django_db
def test_demo_partner_user_lands_on_the_portal():
    seed()

    home = sign_in("partner-user@globex.example").get("/", follow=True)

    assert home.redirect_chain[-1][0] == "/t/globex/portal/"
    assert home.status_code == 200


@pytest.mark.django_db
def test_demo_person_with_two_programs_picks_one():
    seed()

    client = sign_in("sam@northwind.example")
    picker = client.get("/", follow=True)

    assert picker.redirect_chain[-1][0] == "/tenants/"
    page = picker.content.decode()
    assert "Acme Cloud" in page
    assert "Globex Industrial" in page
    membership = Membership.objects.get(user__email="sam@northwind.example", tenant__slug="globex")
    assert membership.role == Role.PARTNER_ADMIN
    assert client.get("/t/globex/portal/team/").status_code == 200


@pytest.mark.django_db
def test_demo_login_refuses_a_wrong_password():
    seed()

    client = Client()
    response = client.post(
        "/accounts/login/", {"login": "admin@acme.example", "password": "not-the-password"}
    )

    assert response.status_code == 200
    assert client.get("/t/acme/").status_code == 302
