"""Reports read from a real PostgreSQL streaming replica, with the primary's figures and isolation.

The fixture starts a hot standby of the local cluster (tests/replica_server.py) and points the
``replica`` alias at it, as ``DATABASE_REPLICA_URL`` does, connected as the same runtime role. The
test is transactional: the replica sees only what the primary committed, after replay. Locally
the test is skipped with the reason when the machine cannot run a replica; under CI=true it fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test.utils import CaptureQueriesContext

from pipeline.models import DealRegistration
from prm.permissions import Role
from prm.replica import REPLICA, reads_from, replica_reads
from prm.tenancy import tenant_context
from tests.conftest import IN_CI, ON_POSTGRES, build_world
from tests.replica_server import Replica, Unavailable, start_replica, wait_for_replay
from tests.reporting.test_dashboard import _book
from tests.reporting.test_dashboard import world as world  # the hand-computed fixture

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

API = "/api/v1/t/dash/reporting/dashboard/?period=FY2026-Q2"
METRIC_STATEMENT = "WITH parts AS"  # the catalog's grouped statement: one per figure and trend


@pytest.fixture(scope="session")
def streaming_replica(django_db_setup) -> Iterator[Replica]:
    """A hot standby of the cluster the test database was created on (after its creation)."""
    if not ON_POSTGRES:
        pytest.skip("needs PostgreSQL")
    port = int(connections[DEFAULT_DB_ALIAS].settings_dict.get("PORT") or 5432)
    try:
        server = start_replica(port)
    except Unavailable as reason:
        if IN_CI:
            pytest.fail(f"CI runs the replica test; this machine cannot: {reason}")
        pytest.skip(f"no streaming replica on this machine: {reason}")
    yield server
    server.stop()


@pytest.fixture
def serving_replica(streaming_replica, transactional_db) -> Iterator[Callable[[], AbstractContextManager]]:
    """``with serving_replica():`` the ``replica`` alias names the standby, as
    ``DATABASE_REPLICA_URL`` would: the test database's name, the runtime role. Added after the
    test's database setup, so the test framework neither guards nor flushes it (it is read-only)."""

    @contextmanager
    def serving() -> Iterator[None]:
        settings.DATABASES[REPLICA] = {
            **connections[DEFAULT_DB_ALIAS].settings_dict,
            "HOST": "127.0.0.1",
            "PORT": str(streaming_replica.port),
        }
        assert connections.settings is settings.DATABASES  # the handler finds the alias there
        # Connected now: the test framework refuses to open connections to aliases the test did
        # not declare, and declaring this one would make it set it up and flush it.
        connections[REPLICA].connect()
        try:
            yield
        finally:
            connections[REPLICA].close()
            del connections[REPLICA]
            del settings.DATABASES[REPLICA]

    return serving


def _raw(alias: str, sql: str, params=None) -> list[tuple]:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def _figures(data: dict) -> dict:
    return {key: value for key, value in data.items() if key not in {"computed_at", "cached"}}


def _metric_statements(captured: CaptureQueriesContext) -> int:
    return sum(METRIC_STATEMENT in query["sql"] for query in captured.captured_queries)


def test_reports_read_from_a_streaming_replica_with_the_primarys_figures_and_isolation(
    world, client_for, serving_replica, streaming_replica, settings
):
    bravo = build_world("bravo", "BRAVO")
    client = client_for(world.executive)
    # The reference: no replica configured, every read on the primary.
    on_primary = client.get(f"{API}&fresh=1").json()
    assert on_primary["figures"][0]["total"]["value"] == "4700.00"

    # Other databases of the cluster stream too (a busy shared machine can lag by seconds): here
    # the reports may wait for replay longer than the production default before using the primary.
    settings.DATABASE_REPLICA_MAX_WAIT = 60
    with serving_replica():
        with connection.cursor() as primary, connections[REPLICA].cursor() as standby:
            wait_for_replay(primary, standby)
        # A standby, connected as the runtime role: not superuser, not BYPASSRLS.
        assert _raw(REPLICA, "SELECT pg_is_in_recovery()") == [(True,)]
        assert _raw(
            REPLICA, "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ) == [(connection.settings_dict["USER"], False, False)]

        # 1. The dashboard's figures are computed on the replica, and equal the primary's.
        with (
            CaptureQueriesContext(connections[REPLICA]) as replica_queries,
            CaptureQueriesContext(connection) as primary_queries,
        ):
            on_replica = client.get(f"{API}&fresh=1").json()
        assert _figures(on_replica) == _figures(on_primary)
        assert _metric_statements(replica_queries) >= 7  # at least one statement per headline metric
        assert _metric_statements(primary_queries) == 0
        # The replica's transaction carried the caller's tenant for row-level security.
        assert [q["sql"] for q in replica_queries.captured_queries if "set_config" in q["sql"]]

        # 2. Isolation holds on the replica: the database itself keeps tenants apart there.
        sql = "SELECT DISTINCT tenant_id FROM partners_partner"
        assert _raw(REPLICA, sql) == []  # no tenant set: nothing
        with tenant_context(world.tenant, using=REPLICA):
            assert _raw(REPLICA, sql) == [(world.tenant.pk,)]
        with tenant_context(bravo.tenant, using=REPLICA):
            assert _raw(REPLICA, sql) == [(bravo.tenant.pk,)]
            rows = _raw(
                REPLICA,
                "SELECT count(*) FROM pipeline_dealregistration WHERE tenant_id = %s",
                [world.tenant.pk],
            )
            assert rows == [(0,)]
        with tenant_context(bravo.tenant), replica_reads() as alias:  # the ORM path, as bravo
            assert alias == REPLICA
            assert not DealRegistration.objects.filter(tenant=world.tenant).exists()
            assert list(DealRegistration.objects.values_list("tenant_id", flat=True).distinct()) == []
        assert reads_from() == DEFAULT_DB_ALIAS  # after the block, reads are the primary's again
        bravo_client = client_for(bravo.user(Role.EXECUTIVE))
        bravo_data = bravo_client.get("/api/v1/t/bravo/reporting/dashboard/?period=FY2026-Q2&fresh=1").json()
        assert bravo_data["figures"][0]["total"]["value"] in {"0.00", None}

        # 3. A write on the primary is in the next figures read from the replica (the cached ones
        # were dropped by the write; the read waited for the replica to replay the commit).
        before = client.get(API).json()["figures"][-1]["total"]["value"]  # revenue
        with tenant_context(world.tenant):
            deal = DealRegistration.objects.filter(partner=world.partners[0]).first()
            _book(world, world.partners[0], deal.account, date(2025, 9, 1), "1000")
        with CaptureQueriesContext(connections[REPLICA]) as after_write:
            after = client.get(API).json()
        assert after["cached"] is False
        assert _metric_statements(after_write) > 0
        assert after["figures"][-1]["total"]["value"] == str(Decimal(before) + 1000)

        # 4. A replica that lags is not read: the figures come from the primary, with the write.
        settings.DATABASE_REPLICA_MAX_WAIT = 0.2
        streaming_replica.sql("SELECT pg_wal_replay_pause()")
        try:
            with tenant_context(world.tenant):
                _book(world, world.partners[0], deal.account, date(2025, 9, 1), "500")
            with (
                CaptureQueriesContext(connections[REPLICA]) as paused_replica,
                CaptureQueriesContext(connection) as primary_instead,
            ):
                lagging = client.get(API).json()
            assert lagging["figures"][-1]["total"]["value"] == str(Decimal(before) + 1500)
            assert _metric_statements(paused_replica) == 0
            assert _metric_statements(primary_instead) > 0
        finally:
            streaming_replica.sql("SELECT pg_wal_replay_resume()")
