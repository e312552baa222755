"""How long one joint business plan takes to render as a PDF (target: under 2 s).

Builds (once, kept between runs) tenant ``bench-jbp`` with one partner whose signed plan has the
demo's shape: 4 revenue commitments, 4 pipeline targets, 3 other targets, 6 investments, 4
activities, 2 reviews with action items, and a year of revenue records and registrations, so
every actual is computed from real rows. Then times, in the same run and interleaved:
  baseline  WeasyPrint rendering a one-page HTML document (the fixed cost of any PDF here);
  measured  ``jbp.pdf.render_plan``: the plan's reads and actuals from the metric catalog, the
            SVG chart, the template and WeasyPrint, as the Celery task runs it.
Prints medians, the ratio, the split between building the HTML and rendering it, and fails if
the median is 2 s or more.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
os.environ.setdefault("DEBUG", "true")  # a benchmark is a development run

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from jbp import services  # noqa: E402
from jbp.models import Plan  # noqa: E402
from jbp.pdf import plan_document_html, render_plan  # noqa: E402
from partners.models import Contact, Partner, Tier  # noqa: E402
from pipeline.models import Account, DealRegistration, RevenueRecord  # noqa: E402
from prm.access import TenantAccess  # noqa: E402
from prm.models import Tenant, User  # noqa: E402
from prm.periods import fiscal_year_of  # noqa: E402
from prm.permissions import Role  # noqa: E402
from prm.tenancy import tenant_context  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))
LIMIT_SECONDS = 2.0


def ensure_plan() -> Plan:
    tenant, _ = Tenant.objects.get_or_create(slug="bench-jbp", defaults={"name": "Bench Vendor"})
    with tenant_context(tenant):
        existing = Plan.objects.filter(status=Plan.Status.ACTIVE).first()
        if existing is not None:
            return existing
        user, _ = User.objects.get_or_create(
            email="bench-jbp@bench.example", defaults={"full_name": "Bench Manager"}
        )
        tier, _ = Tier.objects.get_or_create(
            name="Strategic", defaults={"rank": 1, "classification": "strategic"}
        )
        partner = Partner.objects.create(
            name="Bench Partner Systems", status=Partner.Status.ACTIVE, tier=tier
        )
        Contact.objects.create(
            partner=partner, name="Pat Partner", email="pat@benchpartner.example", title="Alliance lead"
        )
        today = timezone.localdate()
        year = fiscal_year_of(today, tenant.fiscal_year_start_month)
        account = Account.objects.create(name="Bench Customer", domain="benchcustomer.example")
        month = year.start
        while month <= min(today, year.end):
            RevenueRecord.objects.create(
                account=account,
                partner=partner,
                period=month,
                kind=RevenueRecord.Kind.NEW,
                amount=Decimal(90000),
                currency=tenant.currency,
                amount_reporting=Decimal(90000),
            )
            DealRegistration.objects.create(
                partner=partner,
                account=account,
                opportunity_name=f"Deal {month:%b}",
                products="Suite",
                amount=Decimal(250000),
                currency=tenant.currency,
                amount_reporting=Decimal(250000),
                expected_close_date=month + timedelta(days=60),
                submitted_at=timezone.now().replace(year=month.year, month=month.month, day=1),
            )
            month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        manager = TenantAccess(tenant=tenant, role=Role.MANAGER, partner_id=None, user=user)
        from jbp import demo

        plan = demo.draft_plan(
            manager, partner, year.fiscal_year, Decimal(250000), __import__("random").Random(1), today
        )
        services.plan_share(access=manager, plan=plan)
        services.plan_partner_approve(
            access=TenantAccess(tenant=tenant, role=Role.PARTNER_ADMIN, partner_id=partner.pk), plan=plan
        )
        services.plan_sign_off(
            access=TenantAccess(tenant=tenant, role=Role.EXECUTIVE, partner_id=None, user=user), plan=plan
        )
        demo.record_reviews(manager, plan, year.quarters()[0], today, __import__("random").Random(2))
        return plan


def baseline_pdf() -> None:
    from weasyprint import HTML

    HTML(string="<html><body><h1>Baseline</h1><p>One page of text.</p></body></html>").write_pdf()


def main() -> None:
    call_command("migrate", verbosity=0)
    plan = ensure_plan()
    tenant = plan.tenant
    with tenant_context(tenant):
        plan = Plan.objects.select_related("partner", "tenant").get(pk=plan.pk)
        pdf, pages = render_plan(plan)  # warm-up: imports, fonts
        baseline_pdf()
        base, full, html_only = [], [], []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            baseline_pdf()
            base.append(time.perf_counter() - start)
            start = time.perf_counter()
            pdf, pages = render_plan(Plan.objects.get(pk=plan.pk))
            full.append(time.perf_counter() - start)
            start = time.perf_counter()
            plan_document_html(Plan.objects.get(pk=plan.pk))
            html_only.append(time.perf_counter() - start)
    b, f, h = (statistics.median(x) for x in (base, full, html_only))
    print(f"database: {connection.vendor}, rounds: {ROUNDS}, PDF: {pages} pages, {len(pdf) // 1024} KiB")
    print(f"baseline (one-page WeasyPrint document, median): {b * 1000:.0f} ms")
    print(f"one plan as PDF, render_plan (median): {f * 1000:.0f} ms  (slowest {max(full) * 1000:.0f} ms)")
    print(f"  of which building the HTML (reads, actuals, chart, template): {h * 1000:.0f} ms")
    print(f"ratio: {f / b:.1f}x the baseline")
    if f >= LIMIT_SECONDS:
        raise SystemExit(
            f"FAIL: one plan takes {f:.2f} s to render; the target is under {LIMIT_SECONDS:.0f} s"
        )
    print(f"OK: under {LIMIT_SECONDS:.0f} s")


if __name__ == "__main__":
    main()
