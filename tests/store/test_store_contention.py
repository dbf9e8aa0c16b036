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

import threading

import pytest

from kapstan.model.operation import Step
from kapstan.store import Store, database
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
    assert {r.status for s in services for r in impatient.list_revisions("shop", s)} == {
        "deployed"
    }
