"""``app events|logs|top`` on the sandbox: the CLI (local and through the server), the API
and the console, on one deployed application (``tests.daytwo.conftest.world``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from kapstan.kube import connect
from tests.daytwo.conftest import APP, World


def _warning(world: World) -> str:
    """A Warning event about the first api pod, older than every other event (made once)."""
    pod = world.pods("api")[0]
    name = f"{pod['metadata']['name']}.daytwo-warning"
    with connect(world.sandbox.kubeconfig) as kube:
        if kube.get("v1", "Event", name, world.namespace) is None:
            long_ago = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            kube.apply(
                {
                    "apiVersion": "v1",
                    "kind": "Event",
                    "metadata": {"name": name, "namespace": world.namespace},
                    "involvedObject": {
                        "kind": "Pod",
                        "name": pod["metadata"]["name"],
                        "namespace": world.namespace,
                        "uid": pod["metadata"]["uid"],
                    },
                    "type": "Warning",
                    "reason": "DaytwoProbe",
                    "message": "readiness probe failed (made by the test)",
                    "firstTimestamp": long_ago,
                    "lastTimestamp": long_ago,
                    "count": 3,
                    "source": {"component": "test"},
                }
            )
    return str(pod["metadata"]["name"])


def _events(world: World, *args: str) -> list[dict[str, Any]]:
    """``app events -o json`` once the controllers' events about both services are in."""
    deadline = time.monotonic() + 30  # events reach the apiserver a moment after the objects
    while True:
        ran = world.local("app", "events", APP, "-o", "json", *args)
        assert ran.code == 0, ran.err
        found: list[dict[str, Any]] = ran.json()
        services = {e["service"] for e in found if e["type"] == "Normal"}
        wanted = set(args[1::2]) if args else {"api", "worker"}
        if services >= wanted or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_events_warning_first_then_newest_naming_service_and_object(world: World) -> None:
    pod = _warning(world)
    found = _events(world)
    assert found[0]["type"] == "Warning" and found[0]["reason"] == "DaytwoProbe"
    assert found[0]["object"] == f"Pod/{pod}" and found[0]["service"] == "api"
    assert found[0]["count"] == 3
    normal = [e for e in found if e["type"] == "Normal"]
    assert normal and [e["lastSeen"] for e in normal] == sorted(
        (e["lastSeen"] for e in normal), reverse=True
    )
    kinds = {e["object"].split("/")[0] for e in found}
    assert {"Pod", "ReplicaSet", "Deployment"} <= kinds, kinds
    assert {e["service"] for e in found} == {"api", "worker"}


def test_events_of_one_service_and_the_table(world: World) -> None:
    found = _events(world, "-s", "worker")
    assert found and {e["service"] for e in found} == {"worker"}
    assert not any(e["object"].startswith("Deployment/api") for e in found)
    table = world.local("app", "events", APP, "-s", "worker")
    assert table.code == 0 and table.out.split()[:7] == [
        "TYPE",
        "REASON",
        "SERVICE",
        "OBJECT",
        "COUNT",
        "LAST",
        "SEEN",
    ]


def test_events_through_the_server_match_the_local_ones(world: World) -> None:
    _warning(world)
    local = _events(world)
    remote = world.remote("app", "events", APP, "-o", "json")
    assert remote.code == 0, remote.err
    key = ("type", "reason", "object", "service")
    assert remote.json()[0]["reason"] == "DaytwoProbe"
    assert {tuple(e[k] for k in key) for e in local} <= {
        tuple(e[k] for k in key) for e in remote.json()
    }
    answer = world.api(f"/api/v1/applications/{APP}/events", service="api")
    assert answer.status_code == 200 and {e["service"] for e in answer.json()} == {"api"}


def test_an_unknown_service_is_named_with_the_known_ones(world: World) -> None:
    ran = world.local("app", "events", APP, "-s", "nope")
    assert ran.code != 0
    assert "application duo has no service nope; its services: api, worker" in ran.err
    answer = world.api(f"/api/v1/applications/{APP}/logs", service="nope")
    assert answer.status_code == 422 and "has no service nope" in answer.text
