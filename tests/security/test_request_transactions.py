"""A request under a tenant is one transaction: a failed request leaves nothing behind, and
streamed bodies are produced inside the tenant too."""

import pytest
from django.db import connection
from django.test import Client

from prm.models import AuditEvent
from prm.permissions import Role
from prm.tenancy import tenant_context
from tests.conftest import build_world

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.security.urls_failing_view")]


@pytest.fixture
def world():
    return build_world("alpha", "ALPHA")


def _client(world) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(world.user(Role.ADMIN))
    return client


def test_a_failed_request_commits_nothing_it_wrote(world):
    response = _client(world).get("/t/alpha/test-fail/")
    assert response.status_code == 500
    with tenant_context(world.tenant):
        assert not AuditEvent.objects.filter(verb="test.half_done").exists()


@pytest.mark.postgres
def test_a_database_error_is_reported_as_itself_not_as_a_cleanup_error(world, caplog):
    response = _client(world).get("/t/alpha/test-fail/?sql=1")
    assert response.status_code == 500
    logged = " ".join(record.getMessage() + str(record.exc_info) for record in caplog.records)
    assert "division by zero" in logged
    assert "InFailedSqlTransaction" not in logged


def test_streamed_bodies_are_produced_inside_the_tenant(world):
    body = b"".join(_client(world).get("/t/alpha/test-stream/").streaming_content).decode()
    assert body.splitlines() == ["ALPHA Partner One", "ALPHA Partner Two"]


@pytest.mark.postgres
def test_after_a_real_request_the_connection_carries_no_tenant(world):
    assert _client(world).get("/t/alpha/partners/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT NULLIF(current_setting('app.tenant_id', true), ''), count(*) FROM partners_partner"
        )
        assert cursor.fetchone() == (None, 0)
