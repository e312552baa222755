"""Rebuild the per partner × fiscal quarter totals (``pipeline.rollup``) of one or every tenant.

Run after loading data with raw SQL and once after deploying the table (until then a tenant's
metrics read the base tables). Safe to run at any time: each tenant in one transaction.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from pipeline import rollup
from prm.models import Tenant


class Command(BaseCommand):
    help = "Rebuild the pipeline's per partner and fiscal quarter totals from the base tables."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", help="tenant slugs (default: every tenant)")

    def handle(self, *args: Any, slugs: list[str], **options: Any) -> None:
        tenants = Tenant.objects.order_by("pk")
        if slugs:
            tenants = tenants.filter(slug__in=slugs)
        for tenant in tenants:
            rows = rollup.rebuild(tenant)
            self.stdout.write(f"{tenant.slug}: {rows} rows")
