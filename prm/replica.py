"""Reads that may go to a PostgreSQL streaming replica: the reports' heavy aggregates only.

With ``DATABASE_REPLICA_URL`` set, the database alias ``replica`` names a hot standby that the
primary streams to. Reads go there only inside ``replica_reads()``, which the reporting read path
enters around its figures; everything else (every other page, every service, every write, and
anything that must read its own writes) stays on the primary, because the router sends no query
to the replica outside that block. Without a replica the block changes nothing.

Entering the block:

- waits (``DATABASE_REPLICA_MAX_WAIT`` seconds, default 1) until the replica has replayed
  everything the primary had flushed when the block began, so a figure computed there is never
  older than one computed on the primary at that moment — the reporting cache would otherwise keep
  a lagging replica's figures after a write dropped the old ones; if it is still behind, or cannot
  be reached, the block reads from the primary instead (and logs why);
- sets the tenant on the replica's connection as on the primary's (``tenant_context``): the
  replica connects as the same runtime role, so row-level security holds there too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from .tenancy import require_current_tenant, tenant_context

REPLICA = "replica"
DEFAULT_MAX_WAIT = 1.0
POLL_SECONDS = 0.01

logger = logging.getLogger(__name__)

# The alias that reads use inside replica_reads(); None outside it.
_reads_from: ContextVar[str | None] = ContextVar("prm_reads_from", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def reads_from() -> str:
    """The alias reads use now: the replica inside ``replica_reads`` when it serves, else the primary."""
    return _reads_from.get() or DEFAULT_DB_ALIAS


def read_connection() -> BaseDatabaseWrapper:
    """The connection for raw SQL reads (the metric catalog's statements): the one the ORM reads from."""
    return connections[reads_from()]


class ReplicaRouter:
    """Sends reads to the replica inside ``replica_reads`` only; writes always to the primary.

    Outside the block the router has no opinion (Django's defaults: one database), except that a
    row read from the replica and used afterwards (a lazy relation in a template, a save) goes to
    the primary, never to the replica without its tenant setting.
    """

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if _reads_from.get() == REPLICA:
            return REPLICA
        return self._off_replica(hints)

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return DEFAULT_DB_ALIAS if _reads_from.get() == REPLICA else self._off_replica(hints)

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        pair = {obj1._state.db, obj2._state.db}
        return True if pair <= {DEFAULT_DB_ALIAS, REPLICA} else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None  # a standby replays the primary's schema

    @staticmethod
    def _off_replica(hints: dict[str, Any]) -> str | None:
        instance = hints.get("instance")
        if instance is not None and getattr(instance._state, "db", None) == REPLICA:
            return DEFAULT_DB_ALIAS
        return None


def _max_wait() -> float:
    return float(getattr(settings, "DATABASE_REPLICA_MAX_WAIT", DEFAULT_MAX_WAIT))


def replica_caught_up(*, max_wait: float | None = None) -> bool:
    """Whether the replica has replayed all the primary had flushed (every committed transaction),
    waiting up to ``max_wait`` seconds; False when it is behind after that or unreachable."""
    primary, replica = connections[DEFAULT_DB_ALIAS], connections[REPLICA]
    if primary.vendor != "postgresql" or replica.vendor != "postgresql":
        return True
    with primary.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_flush_lsn()")
        [target] = cursor.fetchone()
    deadline = time.monotonic() + (_max_wait() if max_wait is None else max_wait)
    try:
        while True:
            with replica.cursor() as cursor:
                # Not in recovery: the URL names a primary (a development setup), which is current.
                cursor.execute(
                    "SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]
                )
                [caught_up] = cursor.fetchone()
            if caught_up:
                return True
            if time.monotonic() >= deadline:
                logger.warning("The replica has not replayed %s yet: reading from the primary.", target)
                return False
            time.sleep(POLL_SECONDS)
    except DatabaseError:
        logger.warning("The replica cannot be read: reading from the primary.", exc_info=True)
        replica.close()
        return False


@contextmanager
def replica_reads() -> Iterator[str]:
    """Run a block of reads on the replica when one is configured and current; yields the alias
    that serves them. The block must be read-only and inside ``tenant_context``."""
    if _reads_from.get() is not None:  # nested: the outer block chose already
        yield reads_from()
        return
    tenant = require_current_tenant()
    alias = REPLICA if replica_configured() and replica_caught_up() else DEFAULT_DB_ALIAS
    token = _reads_from.set(alias)
    try:
        if alias == REPLICA:
            with tenant_context(tenant, using=REPLICA):
                yield alias
        else:
            yield alias
    finally:
        _reads_from.reset(token)
