"""A deploy's own service workers recording on one store at once: none is refused.

The engine runs one thread per service in flight, and each records, on the operation's
one store, its service's steps, its revision and its events (``actions.journal``). At
scale (500 services on SQLite) services failed with "database is locked": the threads of
one process contended for SQLite's single write lock, which its busy handler hands out
by polling, not in turn, so under load a writer could wait out the whole busy timeout.

Here that timeout is cut to almost nothing, so contention between the threads of one
process shows at once as that error instead of after 30 s under load. The writers of
one process must queue for the store, not for the file lock. On PostgreSQL (no busy
timeout) the same recording must come out whole as well.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from kapstan.model.operation import JournalEntry, LogLine, ServiceState, Step
from kapstan.store import Store, database
from tests.sqlitestores import migrated_sqlite
from tests.store.conftest import OpenStore, create_app

WORKERS = 8
SERVICES_EACH = 3
OBJECTS = ("ConfigMap", "Secret", "Service", "Deployment")


def record_service(store: Store, op_id: int, service: str) -> None:
    """What ``engine.deploy`` records for one service it deploys, in its order."""
    previous = store.latest_revision("shop", service, status=None)
    number = (previous.number if previous else 0) + 1
    store.add_revision(
        "shop",
        service,
        manifests="",
        hash=f"h-{service}",
        template="base",
        template_version=1,
        config="dev",
        config_version=1,
        author="ana",
        status="pending",
        operation_id=op_id,
    )
    store.set_service_state(op_id, service, Step.APPLYING, f"applying revision {number}", number)
    for kind in OBJECTS:
        store.record_event(
            op_id, status="applied", message="ok", service=service, resource=f"{kind} {service}"
        )
    store.update_revision("shop", service, number, inventory=[])
    store.set_service_state(op_id, service, Step.WAITING, "waiting for readiness", number)
    store.record_event(op_id, status="healthy", message="ready", service=service)
    store.update_revision("shop", service, number, inventory=[], status="deployed")
    store.set_service_state(op_id, service, Step.READY, f"revision {number} ready", number)


@pytest.fixture
def impatient(open_store: OpenStore, monkeypatch: pytest.MonkeyPatch) -> Store:
    """A store (an application ``shop``) whose SQLite connections wait 1 ms for a lock."""
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 1)
    return create_app(open_store())


@pytest.fixture
def sqlite_shop(tmp_path: Path) -> Iterator[Store]:
    """An application ``shop`` on SQLite alone: what is said here is of its disk syncs."""
    with Store.open(str(migrated_sqlite(tmp_path / "k.db")), environ={}) as store:
        yield create_app(store)


def test_a_deploys_workers_record_at_once_without_locking_each_other_out(
    impatient: Store,
) -> None:
    services = [f"s{w}-{i}" for w in range(WORKERS) for i in range(SERVICES_EACH)]
    op = impatient.start_operation("shop", "deploy", author="ana", services=services)
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        start.wait()
        try:
            for service in services[index * SERVICES_EACH : (index + 1) * SERVICES_EACH]:
                record_service(impatient, op.id, service)
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker never finished"
    assert errors == [], [str(e) for e in errors]
    done = impatient.get_operation(op.id)
    assert {s.service: s.step for s in done.services} == dict.fromkeys(services, Step.READY)
    assert len(done.events) == len(services) * (len(OBJECTS) + 1)
    assert {r.status for s in services for r in impatient.list_revisions("shop", s)} == {"deployed"}


def statements(store: Store, work: Callable[[], object]) -> list[str]:
    """The PRAGMA synchronous statements ``work`` made the store send."""
    sent: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        if sql.startswith("PRAGMA synchronous"):
            sent.append(sql)

    event.listen(store._db.engine, "before_cursor_execute", seen)
    try:
        work()
    finally:
        event.remove(store._db.engine, "before_cursor_execute", seen)
    return sent


def test_progress_lines_wait_for_no_disk_sync_and_history_does(sqlite_shop: Store) -> None:
    op = sqlite_shop.start_operation("shop", "deploy", author="ana", services=["api"])
    lines: list[JournalEntry] = [
        LogLine("applied", "ok", "api", "Service api"),
        ServiceState("api", Step.WAITING),
    ]
    assert statements(sqlite_shop, lambda: sqlite_shop.record_journal(op.id, lines)) == [
        "PRAGMA synchronous=NORMAL"
    ]
    ended = statements(sqlite_shop, lambda: sqlite_shop.finish_operation(op.id, Step.SUCCEEDED))
    assert ended == ["PRAGMA synchronous=FULL"]
    one = statements(sqlite_shop, lambda: sqlite_shop.record_event(op.id, status="s", message="m"))
    assert one == ["PRAGMA synchronous=FULL"]


KILLED = """
import os, sys
from kapstan.model.operation import LogLine, ServiceState, Step
from kapstan.store import Store
store = Store.open(sys.argv[1], environ={})
store.record_journal(int(sys.argv[2]), [LogLine("applied", "ok", "api"), ServiceState("api", Step.READY)])
os._exit(9)  # killed: no close, no checkpoint
"""


def test_a_killed_process_keeps_its_progress_lines(sqlite_shop: Store) -> None:
    op = sqlite_shop.start_operation("shop", "deploy", author="ana", services=["api"])
    db = str(sqlite_shop._db.engine.url.database)
    done = subprocess.run([sys.executable, "-c", KILLED, db, str(op.id)], check=False)
    assert done.returncode == 9
    after = sqlite_shop.get_operation(op.id)
    assert [(e.status, e.service) for e in after.events] == [("applied", "api")]
    assert after.services[0].step is Step.READY
