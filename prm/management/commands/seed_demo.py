"""Create (or refresh) the two demo tenants with a user of every role. Safe to run again."""

from __future__ import annotations

from typing import Any, TypedDict

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction

from partners.models import Partner
from prm.models import Membership, Tenant, User
from prm.permissions import PARTNER_ROLES, Role
from prm.tenancy import tenant_context

DEMO_PASSWORD = "demo-pass-2026"


class TenantSpec(TypedDict):
    slug: str
    name: str
    currency: str
    fiscal_year_start_month: int
    domain: str
    partners: list[tuple[str, str]]  # (name, status)


TENANTS: list[TenantSpec] = [
    {
        "slug": "acme",
        "name": "Acme Cloud",
        "currency": "USD",
        "fiscal_year_start_month": 2,
        "domain": "acme.example",
        "partners": [
            ("Northwind Systems", "active"),
            ("Contoso Consulting", "active"),
            ("Fabrikam Integrations", "active"),
            ("Tailspin MSP", "active"),
            ("Wide World Resellers", "onboarding"),
            ("Litware Analytics", "active"),
            ("Proseware Labs", "prospect"),
            ("Adatum Security", "suspended"),
            ("Woodgrove Advisors", "active"),
            ("Lucerne Digital", "exited"),
        ],
    },
    {
        "slug": "globex",
        "name": "Globex Industrial",
        "currency": "EUR",
        "fiscal_year_start_month": 1,
        "domain": "globex.example",
        "partners": [
            ("Northwind Systems", "active"),
            ("Baltic Automation", "active"),
            ("Iberia Field Services", "active"),
            ("Rhein Distribution", "onboarding"),
            ("Nordic Controls", "active"),
            ("Alpine Engineering", "prospect"),
            ("Danube Supply", "active"),
            ("Loire Maintenance", "suspended"),
        ],
    },
]

STAFF = [
    (Role.ADMIN, "admin", "Ada Admin"),
    (Role.MANAGER, "manager", "Max Manager"),
    (Role.FINANCE, "finance", "Fiona Finance"),
    (Role.EXECUTIVE, "exec", "Evan Executive"),
]
PARTNER_PEOPLE = [
    (Role.PARTNER_ADMIN, "partner-admin", "Paula Partner-Admin"),
    (Role.PARTNER_USER, "partner-user", "Pete Partner-User"),
]
# A person at a partner company that works with both vendors: their login picks the tenant.
SHARED_PARTNER_ADMIN = ("sam@northwind.example", "Sam Northwind")


def ensure_user(email: str, full_name: str) -> User:
    user, created = User.objects.get_or_create(email=email, defaults={"full_name": full_name})
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.full_name = full_name
        user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def ensure_membership(tenant: Tenant, user: User, role: str, partner: Partner | None) -> None:
    Membership.objects.update_or_create(
        tenant=tenant,
        user=user,
        defaults={"role": role, "partner": partner if role in PARTNER_ROLES else None, "is_active": True},
    )


class Command(BaseCommand):
    help = "Create the demo tenants acme and globex with a user of every role (demo passwords)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        rows: list[tuple[str, str, str, str]] = []
        for spec in TENANTS:
            tenant, _ = Tenant.objects.update_or_create(
                slug=spec["slug"],
                defaults={
                    "name": spec["name"],
                    "currency": spec["currency"],
                    "fiscal_year_start_month": spec["fiscal_year_start_month"],
                },
            )
            with tenant_context(tenant):
                partners = {}
                for name, status in spec["partners"]:
                    partner, _ = Partner.objects.update_or_create(name=name, defaults={"status": status})
                    partners[name] = partner
                anchor = next(iter(partners.values()))
                for role, local, full_name in STAFF + PARTNER_PEOPLE:
                    email = f"{local}@{spec['domain']}"
                    ensure_membership(tenant, ensure_user(email, full_name), role, anchor)
                    rows.append((tenant.slug, role.label, email, anchor.name if role in PARTNER_ROLES else ""))
                email, full_name = SHARED_PARTNER_ADMIN
                ensure_membership(tenant, ensure_user(email, full_name), Role.PARTNER_ADMIN, partners["Northwind Systems"])
                rows.append((tenant.slug, Role.PARTNER_ADMIN.label, email, "Northwind Systems"))

        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Demo-only logins (password for all: {DEMO_PASSWORD}):"))
        for slug, role_label, email, partner_name in rows:
            self.stdout.write(f"  {slug:<7} {role_label:<16} {email:<28} {partner_name}")
