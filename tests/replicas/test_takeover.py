"""A server killed mid-deploy on the live sandbox: the other server takes over and finishes.

``web`` selects nodes by a label no node has yet, so its pod stays Pending and server A
waits for it (a long ``timeout``: A is never the one to give up). While A waits, a deploy
through B is refused (409, naming A's pid). Then A is SIGKILLed, a node gets the label,
and B's reaper must take the lock over within lease + interval, end A's operation as
abandoned and re-run the request: db and api are done, web is applied and waited for
(the revision A recorded as pending before its wait ends interrupted).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lightkube import Client
from lightkube.resources.core_v1 import Node

from kapstan import sandbox
from kapstan.model.operation import Step
from tests.api import samples
from tests.cluster.kube_helpers import client_for, wait_for
from tests.replicas.conftest import INTERVAL, LEASE, Start, World, populate
from tests.replicas.servers import Replica

pytestmark = [pytest.mark.cluster, pytest.mark.postgres]
SLACK = 5.0  # process scheduling on a loaded 2-core machine


@pytest.fixture
def late_label(sandbox_cluster: sandbox.SandboxState) -> Iterator[tuple[Client, str]]:
    """A node label key unique to this test; removed from every node at the end."""
    kube, key = client_for(sandbox_cluster), f"kapstan.io/late-{uuid.uuid4().hex[:8]}"
    try:
        yield kube, key
    finally:
        for node in kube.list(Node, labels={key: "yes"}):
            assert node.metadata is not None and node.metadata.name is not None
            kube.patch(Node, node.metadata.name, {"metadata": {"labels": {key: None}}})
        kube.close()


@pytest.fixture
def live(
    world: World,
    sandbox_cluster: sandbox.SandboxState,
    tmp_path: Path,
    late_label: tuple[Client, str],
) -> World:
    web = samples.WEB_YAML.replace(
        "    spec:\n", f"    spec:\n      nodeSelector: {{{late_label[1]}: 'yes'}}\n"
    )
    namespace = f"replicas-{uuid.uuid4().hex[:8]}"
    populate(world.store, tmp_path, sandbox_cluster.kubeconfig, namespace, web)
    return world


def operation(server: Replica, op_id: int) -> dict[str, Any]:
    found = server.client.get(f"/api/v1/applications/shop/operations/{op_id}")
    assert found.status_code == 200, found.text
    body: dict[str, Any] = found.json()
    return body


def step_of(op: dict[str, Any], service: str) -> str:
    return next(str(s["step"]) for s in op["services"] if s["service"] == service)


def test_killed_server_is_taken_over_and_the_deploy_finished(
    live: World, start: Start, late_label: tuple[Client, str]
) -> None:
    servers = start("a", "b")
    a, b = servers["a"], servers["b"]
    started = a.client.post("/api/v1/applications/shop/deploy", json={"timeout": 300})
    assert started.status_code == 202, started.text
    first = int(started.json()["operationId"])
    wait_for("A to wait for web", lambda: step_of(operation(a, first), "web") == "waiting", 60)

    refused = b.client.post("/api/v1/applications/shop/deploy", json={})
    assert refused.status_code == 409, refused.text
    assert f"pid {a.pid} " in refused.text and f"operation {first})" in refused.text

    a.kill()
    killed = time.monotonic()
    kube, key = late_label
    node = next(iter(kube.list(Node)))
    assert node.metadata is not None and node.metadata.name is not None
    kube.patch(Node, node.metadata.name, {"metadata": {"labels": {key: "yes"}}})

    wait_for(
        "A's operation to be abandoned",
        lambda: operation(b, first)["status"] == Step.FAILED.value,
        LEASE + INTERVAL + SLACK,
    )
    taken = time.monotonic() - killed
    old = operation(b, first)
    assert old["message"].startswith("abandoned: its process stopped renewing the lock")
    newer = b.client.get("/api/v1/applications/shop/operations").json()["items"]
    second = max(o["id"] for o in newer)
    assert second > first
    wait_for(
        "the resumed deploy to end", lambda: operation(b, second)["finishedAt"] is not None, 90
    )
    resumed = operation(b, second)
    assert resumed["status"] == "succeeded", resumed
    messages = [e["message"] for e in resumed["events"]]
    assert any(f"took over the lock from root (pid {a.pid} " in m for m in messages), messages
    assert f"re-running the request of abandoned operation {first}" in messages
    assert [(s["service"], s["step"]) for s in resumed["services"]] == [("web", "ready")]
    # The revision A recorded before its wait (pending) is interrupted, never a rollback
    # target; the resumed deploy applied web again and recorded it deployed.
    history = b.client.get("/api/v1/applications/shop/history", params={"service": "web"})
    assert [(r["revision"], r["status"], r["operationId"]) for r in history.json()["items"]] == [
        (1, "interrupted", first),
        (2, "deployed", second),
    ]
    status = b.client.get("/api/v1/applications/shop/status").json()
    assert [(s["service"], s["health"]) for s in status] == [
        ("db", "healthy"),
        ("api", "healthy"),
        ("web", "healthy"),
    ]
    assert taken <= LEASE + INTERVAL + SLACK
