"""Where the store lives and how it is opened: URL, engine, pragmas, migrations, sessions.

The default is SQLite (WAL) at ``<user data dir>/kapstan.db``; ``KAPSTAN_DB`` (a path or
a SQLAlchemy URL) or an explicit URL overrides it. PostgreSQL URLs use psycopg 3.
On SQLite, write transactions start with ``BEGIN IMMEDIATE`` so two writers queue on
the lock (``busy_timeout``) instead of failing when one upgrades a read to a write.

SQLite has one writer at a time, and its busy handler hands the file lock out by polling
(sleeps of up to 100 ms), not in turn: the many threads of one process (a deploy's
service workers, a server's requests) could each poll for the whole busy timeout while
others kept taking the lock, and fail with "database is locked" (seen at 500 services).
So the writers of one process wait for each other on a lock of the process, without a
timeout, and only the first in line polls the file: the busy timeout is spent on other
processes alone. PostgreSQL needs none of this (row locks, no single writer).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from kapstan.errors import StoreError

DB_VARIABLE = "KAPSTAN_DB"
BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "kapstan_write"
# A write that may wait for the next durable one to reach the disk (see ``writing``).
LAGGING_OPTION = "kapstan_lagging"
# A SQLite connection is a file handle and a small page cache: keep one per server worker
# thread (anyio runs 40) instead of the default 5, past which every busy request opened a
# connection (and ran the pragmas below) and closed it again.
SQLITE_POOL_SIZE = 40
SQLITE_POOL_OVERFLOW = 20
# A PostgreSQL connection is a server process: fewer, but enough that a server's requests
# (each holds one for its reads: ``kapstan.store.shared``) rarely wait for one. Size
# PostgreSQL's max_connections for 40 per server process (``--workers``) and replica.
POSTGRES_POOL_SIZE = 20
POSTGRES_POOL_OVERFLOW = 20


def default_path() -> Path:
    return Path(platformdirs.user_data_dir("kapstan")) / "kapstan.db"


def resolve_url(url: str | None, environ: Mapping[str, str]) -> URL:
    """The URL to open: ``url``, else ``$KAPSTAN_DB``, else the default SQLite file."""
    text = url or environ.get(DB_VARIABLE, "").strip() or str(default_path())
    if "://" not in text:
        return URL.create("sqlite+pysqlite", database=str(Path(text).expanduser().absolute()))
    try:
        parsed = make_url(text)
    except ArgumentError as exc:
        raise StoreError(f"{text!r} is not a database URL or path: {exc}") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"{parsed.drivername!r} databases are not supported: use a SQLite path "
            "(or sqlite:///path) or a PostgreSQL URL (postgresql://user@host/db)"
        )
    return parsed


def create(url: URL) -> Engine:
    """An engine for ``url``; for SQLite, create the file's directory and set pragmas."""
    if url.get_backend_name() != "sqlite":
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=POSTGRES_POOL_SIZE,
            max_overflow=POSTGRES_POOL_OVERFLOW,
        )
    memory = url.database in (None, "", ":memory:")
    if not memory:
        _sqlite_folder(Path(str(url.database)))
    pooling: dict[str, Any] = (
        {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        if memory
        else {"pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_POOL_OVERFLOW}
    )
    engine = create_engine(url, **pooling)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_folder(path: Path) -> None:
    """Create the folder of SQLite file ``path``; StoreError naming it if that cannot be."""
    try:
        folder = path.is_dir()
        if not folder:
            path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if isinstance(exc, FileExistsError | NotADirectoryError):
            reason = "a part of that path is a file, not a folder"
        raise StoreError(
            f"cannot create the folder {path.parent} for the store {path}: {reason}; pass "
            "--db (or KAPSTAN_DB) a path in a folder you can write, or a postgresql:// URL"
        ) from None
    if folder:
        raise StoreError(
            f"the store path {path} is a folder; pass --db (or KAPSTAN_DB) the path of a "
            f"file, e.g. {path / 'kapstan.db'}"
        )


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from the sqlite3 module: we emit BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    options = connection.get_execution_options()
    if not options.get(WRITE_OPTION, False):
        connection.exec_driver_sql("BEGIN")
        return
    # FULL: the WAL is synced at each commit (SQLite's default); NORMAL: at the next FULL
    # commit or checkpoint. Set on every write, as a pooled connection keeps it.
    lagging = options.get(LAGGING_OPTION, False)
    connection.exec_driver_sql(f"PRAGMA synchronous={'NORMAL' if lagging else 'FULL'}")
    connection.exec_driver_sql("BEGIN IMMEDIATE")


_WRITERS: dict[str, threading.RLock] = {}  # SQLite file -> the lock its writers take turns on
_WRITERS_GUARD = threading.Lock()


def writers_lock(url: URL) -> threading.RLock | None:
    """The lock this process's writers of SQLite ``url`` take turns on; None for PostgreSQL.

    One per file, whichever ``Database`` opened it (a process may open a store twice).
    Re-entrant: a thread already writing is not made to wait for itself.
    """
    if url.get_backend_name() != "sqlite":
        return None
    if url.database in (None, "", ":memory:"):
        return threading.RLock()  # a memory database is its Database's alone
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(os.path.realpath(str(url.database)), threading.RLock())


class Database:
    """An engine and two session factories: reads, and writes (one transaction each)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reads = sessionmaker(engine, expire_on_commit=False)
        writer = engine.execution_options(**{WRITE_OPTION: True})
        self._writes = sessionmaker(writer, expire_on_commit=False)
        lagging = engine.execution_options(**{WRITE_OPTION: True, LAGGING_OPTION: True})
        self._lagging_writes = sessionmaker(lagging, expire_on_commit=False)
        self._writers = writers_lock(engine.url)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._reads() as session, session.begin():
            yield session

    def begin_reading(self) -> Session:
        """A session in an open read transaction, for ``SharedReads`` (its owner ends it)."""
        session = self._reads()
        session.begin()
        return session

    @contextmanager
    def writing(self, *, lagging: bool = False) -> Iterator[Session]:
        """One transaction: committed if the block returns, rolled back if it raises.

        On SQLite, after this process's earlier writers of the file (see the module).
        ``lagging``: for records worth no wait on the disk (a running operation's progress
        lines): on SQLite the commit is not synced (an fsync, about 3 ms here, with the
        write lock held); it reaches the disk with the next write that is, so only what
        came after the last such write can be lost, and only to a power cut or an OS crash
        (a killed process loses nothing). PostgreSQL commits it as any other.
        """
        factory = self._lagging_writes if lagging else self._writes
        with self._turn(), factory() as session, session.begin():
            yield session

    def _turn(self) -> AbstractContextManager[object]:
        return self._writers if self._writers is not None else nullcontext()

    def describe(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()
