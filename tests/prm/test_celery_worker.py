"""A real Celery worker on Redis runs a tenant task inside the right tenant (and its RLS)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from prm.celery import app
from prm.models import Invitation
from prm.tenancy import tenant_context
from tests.prm.factories import InvitationFactory, TenantFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker]


@pytest.fixture
def worker(transactional_db, tmp_path):
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("needs a Redis broker: set REDIS_URL=redis://127.0.0.1:6379/15")
    db = connection.settings_dict
    queue = f"prm-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "prm.settings",
        "DEBUG": "true",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    log = tmp_path / "worker.log"
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "prm",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    app.conf.task_always_eager = False  # this test talks to the real broker on purpose
    try:
        yield queue
    finally:
        app.conf.task_always_eager = True
        process.terminate()
        process.wait(timeout=20)
        if process.returncode not in (0, -15):
            print(log.read_text())


def test_a_real_worker_runs_tenant_tasks_inside_their_tenant(worker):
    alpha, bravo = TenantFactory(slug="alpha"), TenantFactory(slug="bravo")
    past = timezone.now() - timedelta(days=1)
    stale_a = InvitationFactory(tenant=alpha, expires_at=past)
    stale_b = InvitationFactory(tenant=bravo, expires_at=past)

    result = app.send_task("prm.tasks.expire_invitations", kwargs={"tenant_id": alpha.pk}, queue=worker)
    assert result.get(timeout=60) == 1

    with tenant_context(alpha):
        assert Invitation.objects.get(pk=stale_a.pk).status == Invitation.Status.EXPIRED
    with tenant_context(bravo):
        assert Invitation.objects.get(pk=stale_b.pk).status == Invitation.Status.PENDING

    # Without a tenant_id the worker refuses the task instead of running it unscoped.
    refused = app.send_task("prm.tasks.expire_invitations", kwargs={}, queue=worker)
    with pytest.raises(ValueError, match="needs a tenant_id"):
        refused.get(timeout=60)
