"""The registration desk's scheduled work, run as beat runs it: ``prm.tasks.fan_out`` queues the
task once per active tenant (eagerly here). Expiry ends lapsed protection; SLA escalation tells
the partner manager about registrations waiting too long, once. Both are safe to run twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import current_app
from django.conf import settings
from django.utils import timezone

from pipeline.models import DealRegistration, DealStatusChange
from prm.models import AuditEvent
from prm.permissions import Role
from prm.tasks import fan_out
from prm.tenancy import tenant_context
from tests.conftest import build_world
from tests.pipeline.factories import DealRegistrationFactory

Status = DealRegistration.Status
EXPIRE = "pipeline.tasks.expire_registrations"
ESCALATE = "pipeline.tasks.escalate_overdue_registrations"


@pytest.fixture(autouse=True, scope="module")
def _worker_modules():
    """Import the task modules as a worker does at start (Celery's autodiscovery), so that fan_out
    finds the pipeline's tasks by name without this test importing them itself."""
    current_app.loader.import_default_modules()


def today():
    return timezone.localdate()


def approved(partner, days: int, **fields):
    """An approved registration whose protection ends ``days`` from today."""
    return DealRegistrationFactory(
        partner=partner, status=Status.APPROVED, protected_until=today() + timedelta(days=days), **fields
    )


def waiting(partner, hours: float, **fields):
    """A submitted registration that has waited ``hours`` for a decision."""
    return DealRegistrationFactory(
        partner=partner, submitted_at=timezone.now() - timedelta(hours=hours), **fields
    )


def statuses(world, *registrations) -> list[str]:
    with tenant_context(world.tenant):
        found = dict(
            DealRegistration.objects.filter(pk__in=[r.pk for r in registrations]).values_list("pk", "status")
        )
    return [found[r.pk] for r in registrations]


def run(django_capture_on_commit_callbacks, task_name: str) -> int:
    """What beat does: fan the task out to every active tenant; e-mails go once the work commits."""
    with django_capture_on_commit_callbacks(execute=True):
        return fan_out.delay(task_name).get()


# --- expiry --------------------------------------------------------------------------------------


def test_expiry_ends_lapsed_protection_in_every_tenant_and_nothing_else(
    world_a, world_b, mailoutbox, django_capture_on_commit_callbacks
):
    lapsed_a = approved(world_a.partner, -1, submitted_by=world_a.user(Role.PARTNER_USER))
    long_lapsed_a = approved(world_a.other_partner, -40, submitted_by=world_a.user("other_partner_user"))
    lapsed_b = approved(world_b.partner, -3)
    protected_today = approved(world_a.partner, 0)
    protected = approved(world_b.partner, 20)
    submitted = waiting(world_a.partner, 24 * 200)
    won = DealRegistrationFactory(
        partner=world_a.partner, status=Status.WON, protected_until=today() - timedelta(days=9)
    )

    assert run(django_capture_on_commit_callbacks, EXPIRE) == 2

    assert statuses(world_a, lapsed_a, long_lapsed_a, protected_today, submitted, won) == [
        Status.EXPIRED,
        Status.EXPIRED,
        Status.APPROVED,
        Status.SUBMITTED,
        Status.WON,
    ]
    assert statuses(world_b, lapsed_b, protected) == [Status.EXPIRED, Status.APPROVED]
    with tenant_context(world_a.tenant):
        change = DealStatusChange.objects.get(registration=lapsed_a)
        event = AuditEvent.objects.get(verb="registration.expired", target_id=str(lapsed_a.pk))
    assert (change.from_status, change.to_status, change.reason, change.changed_by) == (
        Status.APPROVED,
        Status.EXPIRED,
        "Protection period ended.",
        None,
    )
    assert (event.actor, event.actor_label, event.before, event.partner_id) == (
        None,
        "system",
        {"status": "approved"},
        world_a.partner.pk,
    )
    expired_mail = [
        m for m in mailoutbox if m.subject == f"[PRM] Deal registration expired: {lapsed_a.opportunity_name}"
    ]
    assert [m.to for m in expired_mail] == [["partner-admin@alpha.example", "partner-user@alpha.example"]]
    assert f"/t/alpha/portal/deals/{lapsed_a.pk}/" in expired_mail[0].body
    assert len(mailoutbox) == 3  # one per expired registration, each to its own partner
    assert {tuple(m.to) for m in mailoutbox} == {
        ("partner-admin@alpha.example", "partner-user@alpha.example"),
        ("other@alpha.example",),
        ("partner-admin@bravo.example",),
    }


def test_expiry_run_twice_changes_nothing_more(world_a, mailoutbox, django_capture_on_commit_callbacks):
    lapsed = approved(world_a.partner, -2)
    run(django_capture_on_commit_callbacks, EXPIRE)
    mailoutbox.clear()

    run(django_capture_on_commit_callbacks, EXPIRE)

    assert statuses(world_a, lapsed) == [Status.EXPIRED]
    with tenant_context(world_a.tenant):
        assert DealStatusChange.objects.filter(registration=lapsed).count() == 1
        assert AuditEvent.objects.filter(verb="registration.expired").count() == 1
    assert mailoutbox == []


def test_expiry_skips_inactive_tenants(world_a, django_capture_on_commit_callbacks):
    dormant = build_world("dormant", "DORMANT")
    dormant.tenant.is_active = False
    dormant.tenant.save()
    lapsed = approved(dormant.partner, -5)

    assert run(django_capture_on_commit_callbacks, EXPIRE) == 1

    assert statuses(dormant, lapsed) == [Status.APPROVED]


# --- SLA escalation ------------------------------------------------------------------------------


def test_overdue_registrations_are_escalated_to_the_partner_manager_once(
    world_a, world_b, mailoutbox, django_capture_on_commit_callbacks
):
    manager = world_a.user(Role.MANAGER)
    world_a.partner.partner_manager = manager
    with tenant_context(world_a.tenant):
        world_a.partner.save()
    overdue = waiting(world_a.partner, 49, opportunity_name="Contoso rollout")
    fresh = waiting(world_a.partner, 47)
    decided = approved(world_a.partner, 30, submitted_at=timezone.now() - timedelta(days=9))
    overdue_b = waiting(world_b.partner, 72)

    run(django_capture_on_commit_callbacks, ESCALATE)

    with tenant_context(world_a.tenant):
        escalated = set(
            DealRegistration.objects.filter(sla_escalated_at__isnull=False).values_list("pk", flat=True)
        )
        event = AuditEvent.objects.get(verb="registration.sla_escalated")
    assert escalated == {overdue.pk}
    assert fresh.pk not in escalated
    assert decided.pk not in escalated
    assert event.target_id == str(overdue.pk)
    assert event.after == {"waiting_hours": 49}
    by_recipient = {tuple(m.to): m for m in mailoutbox}
    assert set(by_recipient) == {
        ("manager@alpha.example",),
        ("admin@bravo.example",),
        ("manager@bravo.example",),
    }
    alpha = by_recipient[("manager@alpha.example",)]
    assert alpha.subject == "[PRM] 1 deal registration(s) waiting past the decision SLA"
    assert "Contoso rollout" in alpha.body
    assert "ALPHA Partner One" in alpha.body
    assert "http://127.0.0.1:8000/t/alpha/deals/" in alpha.body
    assert "BRAVO" not in alpha.body
    assert overdue_b.opportunity_name in by_recipient[("manager@bravo.example",)].body

    mailoutbox.clear()
    assert run(django_capture_on_commit_callbacks, ESCALATE) == 2  # ran in both tenants again…

    assert mailoutbox == []  # …and had nobody left to escalate
    with tenant_context(world_a.tenant):
        assert AuditEvent.objects.filter(verb="registration.sla_escalated").count() == 1


def test_without_a_partner_manager_the_programs_managers_and_admins_hear_of_it(
    world_a, mailoutbox, django_capture_on_commit_callbacks
):
    first = waiting(world_a.partner, 50, opportunity_name="First deal")
    second = waiting(world_a.other_partner, 60, opportunity_name="Second deal")

    run(django_capture_on_commit_callbacks, ESCALATE)

    assert sorted(tuple(m.to) for m in mailoutbox) == [("admin@alpha.example",), ("manager@alpha.example",)]
    for message in mailoutbox:
        assert message.subject == "[PRM] 2 deal registration(s) waiting past the decision SLA"
        assert first.opportunity_name in message.body
        assert second.opportunity_name in message.body


def test_the_sla_is_the_tenants(world_a, django_capture_on_commit_callbacks):
    world_a.tenant.settings = {"deal_registration": {"sla_hours": 24}}
    world_a.tenant.save()
    late = waiting(world_a.partner, 30)
    on_time = waiting(world_a.partner, 20)

    run(django_capture_on_commit_callbacks, ESCALATE)

    with tenant_context(world_a.tenant):
        assert DealRegistration.objects.get(pk=late.pk).sla_escalated_at is not None
        assert DealRegistration.objects.get(pk=on_time.pk).sla_escalated_at is None


def test_a_registration_escalated_before_is_not_escalated_again(
    world_a, mailoutbox, django_capture_on_commit_callbacks
):
    earlier = timezone.now() - timedelta(hours=20)
    waiting(world_a.partner, 90, sla_escalated_at=earlier)

    run(django_capture_on_commit_callbacks, ESCALATE)

    assert mailoutbox == []


# --- the schedule --------------------------------------------------------------------------------


@pytest.mark.parametrize("task_name", [EXPIRE, ESCALATE])
def test_beat_fans_both_tasks_out_hourly(task_name):
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "prm.tasks.fan_out" and entry.get("kwargs", {}).get("task_name") == task_name
    ]

    assert len(entries) == 1
    assert entries[0]["schedule"] == timedelta(hours=1)
    assert task_name in current_app.tasks
