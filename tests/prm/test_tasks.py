"""Celery tasks run inside their tenant: the base task enters ``tenant_context(tenant_id)`` around
the body, leaves it afterwards (even on error), refuses a tenant task without a tenant, and
``fan_out`` queues a task once per active tenant. Tasks run eagerly here, as in the embedded
default."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import shared_task
from django.db import connection
from django.utils import timezone

from partners.models import Partner
from prm import audit
from prm.models import AuditEvent, Invitation, Tenant
from prm.tasks import expire_invitations, fan_out
from prm.tenancy import get_current_tenant
from tests.prm.factories import InvitationFactory, TenantFactory


@shared_task
def describe_tenant(*, tenant_id: int) -> dict:
    """What the task body sees: the tenant in context, its partners, and (on PostgreSQL) what a
    raw query that bypasses the ORM sees under row-level security."""
    tenant = get_current_tenant()
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM partners_partner ORDER BY name")
        raw = [row[0] for row in cursor.fetchall()]
    return {
        "slug": tenant.slug if tenant else None,
        "partners": sorted(Partner.objects.values_list("name", flat=True)),
        "raw": raw,
    }


@shared_task
def stamp(*, tenant_id: int) -> int:
    """Leave a mark in the tenant's audit trail (an observable, idempotence-free side effect)."""
    tenant = get_current_tenant()
    audit.record(access=None, verb="test.stamped", target=tenant)
    return tenant.pk


@shared_task
def fail_inside(*, tenant_id: int) -> None:
    raise RuntimeError("boom")


@shared_task
def untenanted(*, tenant_id: int | None = None) -> str:
    return "ran"


def stamps(in_tenant, tenant) -> int:
    with in_tenant(tenant):
        return AuditEvent.objects.filter(verb="test.stamped").count()


def test_tenant_task_sees_its_own_tenant_and_its_rows_only(world_a, world_b, on_postgres):
    seen_a = describe_tenant.delay(tenant_id=world_a.tenant.pk).get()
    seen_b = describe_tenant.delay(tenant_id=world_b.tenant.pk).get()

    assert seen_a["slug"] == "alpha"
    assert seen_a["partners"] == ["ALPHA Partner One", "ALPHA Partner Two"]
    assert seen_b["slug"] == "bravo"
    assert seen_b["partners"] == ["BRAVO Partner One", "BRAVO Partner Two"]
    if on_postgres:  # row-level security holds for SQL that bypasses the ORM, too
        assert seen_a["raw"] == seen_a["partners"]
        assert seen_b["raw"] == seen_b["partners"]


def test_tenant_task_called_directly_also_runs_in_its_tenant(world_a):
    assert describe_tenant(tenant_id=world_a.tenant.pk)["slug"] == "alpha"


def test_tenant_context_is_cleared_after_the_task(world_a):
    assert get_current_tenant() is None

    describe_tenant.delay(tenant_id=world_a.tenant.pk).get()

    assert get_current_tenant() is None


def test_tenant_context_is_cleared_after_a_failing_task(world_a):
    with pytest.raises(RuntimeError, match="boom"):
        fail_inside.delay(tenant_id=world_a.tenant.pk)

    assert get_current_tenant() is None


def test_task_queued_from_inside_a_tenant_runs_in_its_own_tenant_and_restores_the_caller(
    world_a, world_b, in_tenant
):
    with in_tenant(world_a.tenant):
        seen = describe_tenant.delay(tenant_id=world_b.tenant.pk).get()
        assert get_current_tenant() == world_a.tenant
        assert sorted(Partner.objects.values_list("name", flat=True)) == [
            "ALPHA Partner One",
            "ALPHA Partner Two",
        ]

    assert seen["slug"] == "bravo"
    assert get_current_tenant() is None


def test_tenant_task_without_tenant_id_is_refused(db):
    with pytest.raises(ValueError, match="needs a tenant_id"):
        untenanted.delay()
    with pytest.raises(ValueError, match="needs a tenant_id"):
        untenanted()


def test_fan_out_queues_the_task_once_per_active_tenant(world_a, world_b, in_tenant):
    asleep = TenantFactory(slug="dormant", is_active=False)

    queued = fan_out.delay(task_name=stamp.name).get()

    assert queued == 2
    assert stamps(in_tenant, world_a.tenant) == 1
    assert stamps(in_tenant, world_b.tenant) == 1
    assert stamps(in_tenant, asleep) == 0
    assert Tenant.objects.count() == 3


def test_nightly_invitation_expiry_fan_out_expires_stale_invitations_in_every_tenant(
    world_a, world_b, in_tenant
):
    """What beat runs (settings.CELERY_BEAT_SCHEDULE): fan_out of prm.tasks.expire_invitations."""
    past = timezone.now() - timedelta(days=1)
    stale_a = InvitationFactory(tenant=world_a.tenant, expires_at=past)
    stale_b = InvitationFactory(tenant=world_b.tenant, expires_at=past)

    queued = fan_out.delay(task_name=expire_invitations.name).get()

    assert queued == 2
    with in_tenant(world_a.tenant):
        assert Invitation.objects.get(pk=stale_a.pk).status == Invitation.Status.EXPIRED
    with in_tenant(world_b.tenant):
        assert Invitation.objects.get(pk=stale_b.pk).status == Invitation.Status.EXPIRED
    assert get_current_tenant() is None


def test_expire_invitations_can_be_sent_to_a_worker_queue(world_a, in_tenant):
    """apply_async is what a real broker path uses; its options must be acceptable to Celery."""
    stale = InvitationFactory(tenant=world_a.tenant, expires_at=timezone.now() - timedelta(minutes=5))

    result = expire_invitations.apply_async(kwargs={"tenant_id": world_a.tenant.pk})

    assert result.get() == 1
    with in_tenant(world_a.tenant):
        assert Invitation.objects.get(pk=stale.pk).status == Invitation.Status.EXPIRED
