"""Two server processes on one PostgreSQL (no cluster): locks and the reaper across them.

The test process plays a third replica: it holds a lock, or leaves behind an operation
whose process "died" (a lock never renewed), and watches what the two servers do.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kapstan.actions.journal import OperationRequest, record_request
from kapstan.engine.deploy import DeployOptions
from kapstan.errors import NotFoundError
from kapstan.model.operation import Operation, Step
from kapstan.store import Store
from tests.api import samples
from tests.replicas.conftest import INTERVAL, LEASE, Start, World, populate

pytestmark = pytest.mark.postgres
GHOST = "ghost (pid 1 on host gone)"
SERVICES = ("db", "api", "web")


@pytest.fixture
def offline(world: World, tmp_path: Path) -> World:
    """The world on a kubeconfig with no cluster: every deploy fails at once."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(samples.NO_CLUSTER)
    populate(world.store, tmp_path, kubeconfig, "ns-live", samples.WEB_YAML)
    return world


def ghost_operation(store: Store, *, lease: float, request: bool = True) -> Operation:
    """An operation whose process died right after taking the lock."""
    op = store.start_operation("shop", "deploy", author="ghost", services=list(SERVICES))
    if request:
        asked = OperationRequest("deploy", "ghost", SERVICES, DeployOptions(timeout=5), 1, 1)
        record_request(store, op.id, asked)
    store.acquire_lock("shop", owner=GHOST, operation_id=op.id, lease_seconds=lease)
    return op


def wait_finished(store: Store, op_id: int, within: float) -> Operation:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        op = store.get_operation(op_id)
        if op.finished_at is not None:
            return op
        time.sleep(0.1)
    raise AssertionError(f"operation {op_id} still {store.get_operation(op_id).status}")


def finished_or_gone(store: Store, op_id: int, within: float) -> Operation | None:
    try:
        return wait_finished(store, op_id, within)
    except NotFoundError:  # discarded: refused the lock, it never started
        return None


def test_a_held_lock_is_honoured_by_every_process(offline: World, start: Start) -> None:
    servers = start("a", "b")
    held = ghost_operation(offline.store, lease=60.0)
    for server in servers.values():
        refused = server.client.post("/api/v1/applications/shop/deploy", json={})
        assert refused.status_code == 409, refused.text
        assert f"ghost (pid 1 on host gone, operation {held.id})" in refused.text
    offline.store.release_lock("shop", owner=GHOST)
    offline.store.finish_operation(held.id, Step.FAILED, "given up by the test")
    accepted = servers["b"].client.post("/api/v1/applications/shop/deploy", json={})
    assert accepted.status_code == 202, accepted.text
    op = wait_finished(offline.store, accepted.json()["operationId"], within=20)
    assert op.author == "root" and op.status is Step.FAILED  # no cluster behind it


def test_a_dead_operation_is_taken_over_once_and_resumed(offline: World, start: Start) -> None:
    start("a", "b")
    dead = ghost_operation(offline.store, lease=LEASE)
    abandoned = wait_finished(offline.store, dead.id, within=LEASE + INTERVAL + 10)
    assert abandoned.status is Step.FAILED
    assert abandoned.message.startswith("abandoned: its process stopped renewing the lock")
    others = [offline.store.get_operation(o.id) for o in offline.store.list_operations("shop")]
    took = [
        o for o in others if any("took over the lock from ghost" in e.message for e in o.events)
    ]
    assert len(took) == 1, [(o.id, o.status, o.message) for o in others]
    resumed = wait_finished(offline.store, took[0].id, within=20)
    assert resumed.kind == "deploy" and resumed.author == "ghost"
    assert [s.service for s in resumed.services] == list(SERVICES)
    events = [(e.status, e.message) for e in resumed.events]
    assert ("resume", f"re-running the request of abandoned operation {dead.id}") in events
    ids = [o.id for o in offline.store.list_operations("shop")]
    late = [
        finished_or_gone(offline.store, i, within=10) for i in ids if i not in (dead.id, took[0].id)
    ]
    # A racing reaper lost: refused the lock, its operation is discarded (it never started);
    # finding the lock free (the winner done), its operation ends "not started".
    assert all(o is None or o.message.startswith("not started") for o in late)


def test_an_operation_without_a_request_is_ended_not_resumed(offline: World, start: Start) -> None:
    start("a")
    dead = ghost_operation(offline.store, lease=LEASE, request=False)
    ended = wait_finished(offline.store, dead.id, within=LEASE + INTERVAL + 10)
    assert ended.status is Step.FAILED
    assert "not resumed: operation" in ended.message and "no recorded request" in ended.message
    assert [o.id for o in offline.store.list_operations("shop")] == [dead.id]
