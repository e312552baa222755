"""Recalculate partner scores now, for one tenant or every active tenant (what the nightly job does)."""

from datetime import date
from time import perf_counter

from django.core.management.base import BaseCommand, CommandError

from prm.models import Tenant
from prm.tenancy import tenant_context
from tiering.models import ScoreRun
from tiering.recalculation import score_run_attempt


class Command(BaseCommand):
    help = (
        "Recalculate every scored partner's score, recommendation, proposals and alerts (idempotent per day)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="Tenant slug (default: every active tenant)")
        parser.add_argument("--date", help="Run as of this day, YYYY-MM-DD (default: today)")

    def handle(self, *args, tenant=None, date=None, **options):
        tenants = Tenant.objects.filter(is_active=True)
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"No active tenant with slug “{tenant}”.")
        try:
            run_on = _parse(date)
        except ValueError:
            raise CommandError(f"“{date}” is not a date; write YYYY-MM-DD.") from None
        failed = []
        for row in tenants.order_by("slug"):
            started = perf_counter()
            with tenant_context(row):
                run = score_run_attempt(run_on=run_on)
            if run.status == ScoreRun.Status.FAILED:
                self.stderr.write(f"{row.slug}: {run.error_message}")
                failed.append(row.slug)
                continue
            self.stdout.write(
                f"{row.slug}: {run.total} partners scored for {run.run_on} ({run.period_label}), "
                f"{run.proposals_opened} new proposals, {run.changes_applied} applied, "
                f"{perf_counter() - started:.2f} s"
            )
        if failed:
            raise CommandError(f"The recalculation failed for {', '.join(failed)} (see above).")


def _parse(value):
    return date.fromisoformat(value) if value else None
