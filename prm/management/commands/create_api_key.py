"""Create a tenant API key from the command line and print it once (for operators and scripts)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from prm.models import Tenant
from prm.permissions import Role
from prm.services import api_key_create_by_operator
from prm.tenancy import tenant_context


class Command(BaseCommand):
    help = "Create an API key for a tenant and print it. The key is not shown again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="Tenant slug, e.g. acme")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--partner", type=int, help="Partner id (required for partner roles)")
        parser.add_argument("--name", default="Command-line key")

    def handle(
        self, *args: Any, tenant: str, role: str, partner: int | None, name: str, **options: Any
    ) -> None:
        try:
            tenant_obj = Tenant.objects.get(slug=tenant)
        except Tenant.DoesNotExist:
            raise CommandError(f"No tenant with slug “{tenant}”.") from None
        with tenant_context(tenant_obj):
            try:
                key, secret = api_key_create_by_operator(name=name, role=role, partner_id=partner)
            except ValidationError as error:
                raise CommandError(
                    "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
                ) from None
        self.stderr.write(
            f"Created API key “{key.name}” ({key.get_role_display()}) for {tenant_obj.name}. Store it now:"
        )
        self.stdout.write(secret)
