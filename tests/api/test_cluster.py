"""Deploys through the API on the live sandbox: 202, a stream of events to the end, ready."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kapstan import sandbox
from kapstan.sandbox.versions import KUBERNETES_VERSION
from tests.api.conftest import Api, open_api
from tests.api.test_deploys import sse_events

pytestmark = pytest.mark.cluster


@pytest.fixture
def live(sandbox_cluster: sandbox.SandboxState, tmp_path: Path) -> Iterator[Api]:
    for api in open_api(str(tmp_path / "kapstan.db"), tmp_path):
        body = {
            "name": "live",
            "kubeconfig": str(sandbox_cluster.kubeconfig),
            "namespace": f"api-{uuid.uuid4().hex[:8]}",
            "config": "dev",
        }
        assert api.post("/api/v1/environments", body).status_code == 201
        api.store.grant_role("dana", "live", "deployer")
        created = api.post(
            "/api/v1/applications", {"name": "web", "template": "shop", "environment": "live"}
        )
        assert created.status_code == 201, created.text
        yield api


def test_deploy_streams_progress_until_ready(live: Api) -> None:
    started = live.post("/api/v1/applications/web/deploy", {"timeout": 120}, user="dana")
    assert started.status_code == 202, started.text
    op = started.json()["operationId"]
    events = sse_events(
        live.get(f"/api/v1/applications/web/operations/{op}/events", user="dana").text
    )
    assert events[-1] == (
        "end",
        {"id": op, "status": "succeeded", "message": events[-1][1]["message"], "finished": True},
    )
    assert {e["service"] for kind, e in events if kind == "progress"} >= {"db", "api", "web"}
    status = live.get("/api/v1/applications/web/status", user="dana").json()
    assert [(s["service"], s["health"], s["revision"]) for s in status] == [
        ("db", "healthy", 1),
        ("api", "healthy", 1),
        ("web", "healthy", 1),
    ]
    assert all(s["ready"] == s["desired"] for s in status)
    plan = live.get("/api/v1/applications/web/plan").json()
    assert [p["action"] for p in plan["services"]] == ["unchanged"] * 3
    env = live.get("/api/v1/environments/live", params={"reachability": "true"}).json()
    assert env["reachable"] is True and env["reachability"].startswith("v1.")


def test_config_change_then_rollback(live: Api) -> None:
    first = live.post("/api/v1/applications/web/deploy", {"timeout": 120}, params={"wait": "true"})
    assert first.json()["status"] == "succeeded"
    live.post("/api/v1/configs/dev/values", {"values": {"api.image.tag": "2.0"}})
    live.patch("/api/v1/applications/web", {})
    second = live.post(
        "/api/v1/applications/web/deploy", {"services": ["api"]}, params={"wait": "true"}
    )
    assert second.json()["status"] == "succeeded"
    diff = live.get(
        "/api/v1/applications/web/diff", params={"service": "api", "old": 1, "new": 2}
    ).json()
    assert "shop/api:2.0" in diff["unified"]
    back = live.post(
        "/api/v1/applications/web/rollback",
        {"service": "api"},
        params={"wait": "true"},
        user="dana",
    )
    assert back.status_code == 200 and back.json()["kind"] == "rollback"
    assert back.json()["status"] == "succeeded"


def test_an_environments_kubernetes_for_import_helm_env(live: Api) -> None:
    """``import helm --env`` through a server: the server asks the environment's cluster."""
    found = live.get("/api/v1/environments/live/kubernetes", user="dana")
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["kubeVersion"] == KUBERNETES_VERSION
    assert {"v1", "apps/v1", "policy/v1/PodDisruptionBudget"} <= set(body["apiVersions"])
