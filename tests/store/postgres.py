"""A throwaway PostgreSQL server for the store tests: Debian's binaries, a temp dir, a free port.

``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` user
(created by Debian's ``postgresql`` package) through ``runuser``. It listens on
127.0.0.1 and a socket in its own temp dir; fsync is off (the data is thrown away).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

INSTALL_HINT = (
    "the store tests need a real PostgreSQL server: install Debian's package `postgresql` "
    "(apt-get update && apt-get install -y postgresql)"
)
USER = "kapstan"
MIGRATED = "kapstan_migrated"  # the template of migrated test databases
_MIGRATED: dict[int, str] = {}  # server port -> its migrated template, once made


class PostgresUnavailable(RuntimeError):
    """The server cannot be started; the message says why and what to install."""


@dataclass(frozen=True)
class Server:
    host: str
    port: int

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{USER}@{self.host}:{self.port}/{database}"

    @contextmanager
    def database(self, *, migrated: bool = False) -> Iterator[str]:
        """A fresh database for one test (dropped afterwards); yields its URL.

        Empty, or with ``migrated`` a copy of one Kapstan migrated to the newest schema
        (made once per server): the migrations cost a second per database, and only the
        tests of the migrations themselves need to watch them run.
        """
        name = f"test_{uuid.uuid4().hex[:16]}"
        template = f' TEMPLATE "{self._migrated()}"' if migrated else ""
        self._admin(f'CREATE DATABASE "{name}"{template}')
        try:
            yield self.url(name)
        finally:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _migrated(self) -> str:
        if self.port not in _MIGRATED:
            from kapstan.store import Store  # the store under test, only when asked for

            self._admin(f'CREATE DATABASE "{MIGRATED}"')
            Store.open(self.url(MIGRATED), environ={}).close()
            _MIGRATED[self.port] = MIGRATED
        return _MIGRATED[self.port]

    def _admin(self, sql: str) -> None:
        dsn = f"host={self.host} port={self.port} user={USER} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(sql.encode())


def bin_dir() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]),
    )
    if not found:
        raise PostgresUnavailable(f"no /usr/lib/postgresql/*/bin/initdb: {INSTALL_HINT}")
    return Path(found[-1]).parent


@contextmanager
def running() -> Iterator[Server]:
    """Start a server for the session; stop it and delete its files at the end."""
    binaries = bin_dir()
    root = Path(tempfile.mkdtemp(prefix="kapstan-pg-"))
    prefix = _as_postgres(root)
    data, log = root / "data", root / "server.log"
    port = _free_port()
    options = (
        f"-k {root} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off"
    )
    try:
        _run(
            [
                *prefix,
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            log,
        )
        _run(
            [
                *prefix,
                str(binaries / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            ],
            log,
        )
        try:
            yield Server("127.0.0.1", port)
        finally:
            _run(
                [*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                log,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _as_postgres(root: Path) -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        shutil.chown(root, "postgres", "postgres")
    except LookupError as exc:
        raise PostgresUnavailable(
            f"running as root, but no 'postgres' user: {INSTALL_HINT}"
        ) from exc
    return ["runuser", "-u", "postgres", "--"]


def _run(command: list[str], log: Path) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise PostgresUnavailable(
            f"{' '.join(command[:6])}... failed ({done.returncode}): {done.stderr.strip()}\n{tail}"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
