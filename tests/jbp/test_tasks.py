"""Background work of plans: the PDF export (a real PDF with the plan's numbers in its text, or a
failure that says why) and the review reminders, run as beat runs them (``fan_out``)."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from celery import current_app
from django.conf import settings
from django.core import mail
from django.utils import timezone

from jbp import services
from jbp.models import PlanExport, Side
from prm.permissions import Role
from prm.tasks import fan_out
from prm.tenancy import tenant_context

from .helpers import draft, signed

REMIND = "jbp.tasks.send_review_reminders"


@pytest.fixture(autouse=True, scope="module")
def _worker_modules():
    current_app.loader.import_default_modules()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def pdf_text(export: PlanExport) -> str:
    with export.file.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF-")
    return subprocess.run(
        ["/usr/bin/pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_export_renders_a_real_pdf_with_the_plans_numbers(world_a, django_capture_on_commit_callbacks):
    plan = signed(world_a, commitments=(Decimal(125000), Decimal(250000), Decimal(375000), Decimal(500000)))
    with tenant_context(world_a.tenant):
        with django_capture_on_commit_callbacks(execute=True):
            export = services.export_request(access=world_a.access(Role.PARTNER_USER), plan=plan)
        export.refresh_from_db()
        assert export.status == PlanExport.Status.DONE, export.error
        assert export.pages >= 2
        text = pdf_text(export)
    assert "ALPHA Partner One" in text
    assert "Joint business plan FY2026" in text
    for figure in ("125,000", "250,000", "375,000", "500,000", "1,250,000", "8,000"):
        assert figure in text, figure
    assert "Attainment by quarter" in text
    assert world_a.user(Role.EXECUTIVE).full_name in text  # the executive's sign-off


def test_a_failed_render_says_why(world_a, monkeypatch, django_capture_on_commit_callbacks):
    plan = draft(world_a)

    def broken(plan):
        raise OSError("fonts are missing")

    monkeypatch.setattr("jbp.pdf.render_plan", broken)
    with tenant_context(world_a.tenant):
        with django_capture_on_commit_callbacks(execute=True):
            export = services.export_request(access=world_a.access(Role.MANAGER), plan=plan)
        export.refresh_from_db()
    assert export.status == PlanExport.Status.FAILED
    assert export.error == "OSError: fonts are missing"


def test_the_beat_schedule_fans_the_reminders_out():
    entry = settings.CELERY_BEAT_SCHEDULE["plan-review-reminders-daily"]
    assert entry["task"] == "prm.tasks.fan_out"
    assert entry["kwargs"] == {"task_name": REMIND}


def test_reminders_go_out_for_upcoming_reviews_and_overdue_actions_once(world_a):
    plan = signed(world_a)
    today = timezone.localdate()
    manager = world_a.access(Role.MANAGER)
    with tenant_context(world_a.tenant):
        services.review_record(
            access=manager,
            plan=plan,
            fields={
                "quarter": 1,
                "held_on": today - timedelta(days=40),
                "vendor_attendees": "Max",
                "partner_attendees": "Paula",
            },
            action_items=[
                services.NewActionItem(
                    "Send the account list", Side.PARTNER, "Paula", today - timedelta(days=2)
                ),
                services.NewActionItem("Book the bootcamp", Side.VENDOR, "Max", today + timedelta(days=5)),
            ],
        )
        plan.next_review_on = today + timedelta(days=3)
        plan.save()
    mail.outbox.clear()

    fan_out(REMIND)

    review_subject = f"[PRM] ALPHA Partner One: plan review on {plan.next_review_on:%d %b %Y}"
    assert sorted(m.subject for m in mail.outbox) == sorted(
        [review_subject, review_subject, "[PRM] Overdue action: Send the account list"]
    )
    vendor_mail, partner_mail = sorted(
        (m for m in mail.outbox if "plan review" in m.subject), key=lambda m: "portal" in m.body
    )
    assert world_a.user(Role.MANAGER).email in vendor_mail.to
    assert f"/t/alpha/plans/{plan.pk}/" in vendor_mail.body
    assert partner_mail.to == [world_a.user(Role.PARTNER_ADMIN).email]
    assert f"/t/alpha/portal/plans/{plan.pk}/" in partner_mail.body
    action_mail = next(m for m in mail.outbox if "Overdue" in m.subject)
    assert action_mail.to == [world_a.user(Role.PARTNER_ADMIN).email]
    assert f"/t/alpha/portal/plans/{plan.pk}/" in action_mail.body

    mail.outbox.clear()
    fan_out(REMIND)  # the same day again: nothing twice
    assert mail.outbox == []


def test_no_reminders_for_plans_that_are_not_active(world_a):
    plan = draft(world_a)
    with tenant_context(world_a.tenant):
        plan.next_review_on = timezone.localdate() + timedelta(days=1)
        plan.save()
    mail.outbox.clear()
    fan_out(REMIND)
    assert mail.outbox == []
