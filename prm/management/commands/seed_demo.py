"""Create (or refresh) the two demo tenants, a user of every role, and each app's demo data.

Safe to run again. The core makes tenants and people; every app in ``settings.PRM_APPS`` that
has a ``demo`` module adds its own data through ``demo.seed(tenant=…, staff=…)``, in dependency
order, so the core never imports the apps; then each app's optional ``demo.finish(tenant=…,
staff=…)`` runs in the same order (e.g. the score recalculation that needs every app's data).
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any, TypedDict

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

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


TENANTS: list[TenantSpec] = [
    {
        "slug": "acme",
        "name": "Acme Cloud",
        "currency": "USD",
        "fiscal_year_start_month": 2,
        "domain": "acme.example",
    },
    {
        "slug": "globex",
        "name": "Globex Industrial",
        "currency": "EUR",
        "fiscal_year_start_month": 1,
        "domain": "globex.example",
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


def ensure_membership(tenant: Tenant, user: User, role: str, partner: Any) -> None:
    Membership.objects.update_or_create(
        tenant=tenant,
        user=user,
        defaults={"role": role, "partner": partner if role in PARTNER_ROLES else None, "is_active": True},
    )


def seed_apps(tenant: Tenant, staff: dict[str, User]) -> dict[str, Any]:
    """Run each app's ``demo.seed`` in dependency order; their results are merged and returned."""
    results: dict[str, Any] = {}
    for app in settings.PRM_APPS:
        if find_spec(f"{app}.demo") is not None:
            results.update(import_module(f"{app}.demo").seed(tenant=tenant, staff=staff) or {})
    return results


def finish_apps(tenant: Tenant, staff: dict[str, User]) -> None:
    """Then each app's optional ``demo.finish`` in the same order (work that needs every app's data)."""
    for app in settings.PRM_APPS:
        if find_spec(f"{app}.demo") is not None:
            finish = getattr(import_module(f"{app}.demo"), "finish", None)
            if finish is not None:
                finish(tenant=tenant, staff=staff)


class Command(BaseCommand):
    help = "Create the demo tenants acme and globex with a user of every role (demo passwords) and demo data."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (creates users with known passwords).",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: this looks like production, and demo users have known passwords. "
                "Pass --force to seed anyway."
            )
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
                staff = {}
                for role, local, full_name in STAFF:
                    email = f"{local}@{spec['domain']}"
                    staff[role.value] = user = ensure_user(email, full_name)
                    ensure_membership(tenant, user, role, None)
                    rows.append((tenant.slug, role.label, email, ""))
                seeded = seed_apps(tenant, staff)
                finish_apps(tenant, staff)
                portal_partner = seeded["portal_partner"]
                people = [(role, f"{local}@{spec['domain']}", name) for role, local, name in PARTNER_PEOPLE]
                people.append((Role.PARTNER_ADMIN, *SHARED_PARTNER_ADMIN))
                for role, email, full_name in people:
                    ensure_membership(tenant, ensure_user(email, full_name), role, portal_partner)
                    rows.append((tenant.slug, role.label, email, str(portal_partner)))

        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Demo-only logins (password for all: {DEMO_PASSWORD}):")
        )
        for slug, role_label, email, partner_name in rows:
            self.stdout.write(f"  {slug:<7} {role_label:<16} {email:<28} {partner_name}")
