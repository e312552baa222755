"""A real PostgreSQL streaming replica of the local test server, for tests of the replica reads.

``start_replica()`` takes a base backup of the PostgreSQL cluster that the test database lives on
(``pg_basebackup`` over the local socket, as the ``postgres`` superuser), writes a minimal
configuration for a hot standby (``standby.signal`` and ``primary_conninfo`` from ``-R``) and starts
it on a free port of 127.0.0.1 in a temporary directory. Streaming replication copies the whole
cluster, so the test database and everything committed to it later appear there after replay.

It needs root (the servers run as the ``postgres`` OS user, reached with ``runuser``), the server
binaries of the primary's major version, and a ``pg_hba.conf`` rule that lets ``postgres`` open a
replication connection over the local socket — Debian's default rule; when it is missing it is
added (the one line below) and the configuration reloaded. ``Unavailable`` says what is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Debian's own default rule: only the postgres OS user (peer), only over the local socket.
HBA_RULE = "local replication postgres peer"
HBA_COMMENT = "# PRM tests: a streaming replica of this cluster (tests/replica_server.py)"
# A hot standby refuses to start with less of these than its primary.
AT_LEAST_PRIMARY = [
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
]


class Unavailable(RuntimeError):
    """The machine cannot run a replica here; the message says why and what would fix it."""


def _run(*args: str, timeout: int = 60) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def _as_postgres(*args: str, timeout: int = 60) -> str:
    return _run("runuser", "-u", "postgres", "--", *args, timeout=timeout)


@dataclass
class Primary:
    port: int
    socket_dir: str

    def sql(self, statement: str) -> str:
        """One statement as the superuser over the local socket; the first column of the first row."""
        out = _as_postgres("psql", "-X", "-qAt", "-h", self.socket_dir, "-p", str(self.port), "-c", statement)
        return out.strip()


@dataclass
class Replica:
    port: int
    directory: Path
    bindir: Path

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def sql(self, statement: str) -> str:
        """One statement on the replica as the superuser (over its own socket)."""
        out = _as_postgres(
            "psql", "-X", "-qAt", "-h", str(self.directory), "-p", str(self.port), "-c", statement
        )
        return out.strip()

    def log(self) -> str:
        path = self.directory / "server.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            _as_postgres(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


def _check_machine(port: int) -> tuple[Primary, Path]:
    if os.geteuid() != 0:
        raise Unavailable("needs root: the replica runs as the postgres OS user (runuser -u postgres)")
    for tool in ("runuser", "psql", "pg_basebackup"):
        if shutil.which(tool) is None:
            raise Unavailable(f"needs {tool} on PATH (apt-get install postgresql)")
    primary = Primary(port=port, socket_dir="/var/run/postgresql")
    try:
        primary.socket_dir = primary.sql("SHOW unix_socket_directories").split(",")[0].strip()
    except RuntimeError as error:
        raise Unavailable(f"cannot reach the local PostgreSQL as postgres over its socket: {error}") from None
    if primary.sql("SHOW wal_level") not in {"replica", "logical"}:
        raise Unavailable("the primary's wal_level must be replica (the default) for streaming replication")
    major = int(primary.sql("SHOW server_version_num")) // 10000
    bindir = Path(f"/usr/lib/postgresql/{major}/bin")
    if not (bindir / "pg_ctl").exists():
        raise Unavailable(f"needs the PostgreSQL {major} server binaries in {bindir}")
    return primary, bindir


def _allow_local_replication(primary: Primary) -> None:
    allowed = primary.sql(
        "SELECT count(*) FROM pg_hba_file_rules WHERE type = 'local' AND error IS NULL "
        "AND database && ARRAY['replication'] AND user_name && ARRAY['all', 'postgres'] "
        "AND auth_method IN ('peer', 'trust')"
    )
    if allowed != "0":
        return
    hba = Path(primary.sql("SHOW hba_file"))
    if not os.access(hba, os.W_OK):
        raise Unavailable(f"{hba} has no replication rule and cannot be written: add `{HBA_RULE}`")
    # Appended: the first matching rule wins, and no earlier rule matches replication connections
    # but one that says "replication" (checked above).
    with hba.open("a") as file:
        file.write(f"\n{HBA_COMMENT}\n{HBA_RULE}\n")
    primary.sql("SELECT pg_reload_conf()")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _configure(primary: Primary, replica: Replica) -> None:
    at_least = "\n".join(f"{name} = {primary.sql(f'SHOW {name}')}" for name in AT_LEAST_PRIMARY)
    files = {
        "postgresql.conf": (
            f"port = {replica.port}\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{replica.directory}'\n"
            "hot_standby = on\n"
            "hot_standby_feedback = on\n"
            "shared_buffers = '32MB'\n"
            "fsync = off\n"  # a throwaway copy
            f"{at_least}\n"
        ),
        # The app's runtime role by password over TCP; the superuser only by its own OS user.
        "pg_hba.conf": "local all postgres peer\nhost all all 127.0.0.1/32 md5\n",
        "pg_ident.conf": "",
    }
    for name, text in files.items():
        path = replica.data / name
        path.write_text(text)
        shutil.chown(path, "postgres", "postgres")


def start_replica(primary_port: int, *, timeout: int = 300) -> Replica:
    """A hot standby of the local cluster on a free port, streaming from it; ``stop()`` removes it."""
    primary, bindir = _check_machine(primary_port)
    _allow_local_replication(primary)
    directory = Path(tempfile.mkdtemp(prefix="prm-replica-"))
    shutil.chown(directory, "postgres", "postgres")
    replica = Replica(port=_free_port(), directory=directory, bindir=bindir)
    try:
        _as_postgres(
            "pg_basebackup",
            *("-D", str(replica.data), "-h", primary.socket_dir, "-p", str(primary.port), "-U", "postgres"),
            *("-X", "stream", "--checkpoint=fast", "--no-sync", "-R"),  # -R: standby.signal, primary_conninfo
            timeout=timeout,
        )
        _configure(primary, replica)
        _as_postgres(
            str(bindir / "pg_ctl"),
            *("-D", str(replica.data), "-l", str(directory / "server.log"), "-w", "-t", "120", "start"),
            timeout=150,
        )
    except Exception:
        log = replica.log()
        replica.stop()
        if log:
            raise RuntimeError(f"the replica did not start; its log:\n{log}") from None
        raise
    return replica


def wait_for_replay(primary_cursor, replica_cursor, *, timeout: float = 60) -> None:
    """Until the replica has replayed everything the primary had flushed when this was called."""
    primary_cursor.execute("SELECT pg_current_wal_flush_lsn()")
    [target] = primary_cursor.fetchone()
    deadline = time.monotonic() + timeout
    while True:
        replica_cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
        if replica_cursor.fetchone()[0]:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the replica did not replay {target} within {timeout} s")
        time.sleep(0.05)
