"""POST /api/v1/applications/{app}/cancel: asks the running operation to stop; audited.

Without a cluster: the running operation is one another process started (its row only);
on the sandbox: a deploy the server runs, waiting for a service that never gets ready.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kapstan import sandbox
from tests.api.conftest import Api, open_api
from tests.api.samples import WEB_YAML, template_body

NEVER_READY_WEB = WEB_YAML.replace(
    "labels: {app: web}}", "labels: {app: web, kapstan.io/sandbox-fault: never-ready}}"
)
WAIT_LIMIT = 240.0  # seconds a sandbox step may take on a loaded machine


def test_cancel_asks_the_running_operation_and_is_audited(api: Api) -> None:
    running = api.store.start_operation("shop", "deploy", author="dana", services=["api"]).id
    answer = api.post("/api/v1/applications/shop/cancel", user="dana")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["id"], answer.json()["status"]) == (running, "running")
    assert api.store.cancel_requested(running) == "dana"
    assert [(e["actor"], e["name"], e["details"]) for e in api.audit("app.cancel")] == [
        ("dana", "shop", {"operation": running})
    ]


def test_cancel_needs_deploy_and_a_running_operation(api: Api) -> None:
    nothing = api.post("/api/v1/applications/shop/cancel", user="dana")
    assert nothing.status_code == 409
    assert "application 'shop' has no running operation to cancel" in nothing.text
    running = api.store.start_operation("shop", "deploy", author="dana", services=["api"]).id
    assert api.post("/api/v1/applications/shop/cancel", user="vic").status_code == 403
    assert api.post("/api/v1/applications/shop/cancel", user="olga").status_code == 403
    assert api.store.cancel_requested(running) is None
    assert api.audit("app.cancel") == []


@pytest.fixture
def live(sandbox_cluster: sandbox.SandboxState, tmp_path: Path) -> Iterator[Api]:
    for api in open_api(str(tmp_path / "kapstan.db"), tmp_path):
        body = {
            "name": "live",
            "kubeconfig": str(sandbox_cluster.kubeconfig),
            "namespace": f"cancel-{uuid.uuid4().hex[:8]}",
            "config": "dev",
        }
        assert api.post("/api/v1/environments", body).status_code == 201
        api.store.grant_role("dana", "live", "deployer")
        saved = api.post("/api/v1/templates", template_body(**{"web.yaml": NEVER_READY_WEB}))
        assert saved.status_code == 201, saved.text
        created = api.post(
            "/api/v1/applications",
            {"name": "web", "template": "shop", "environment": "live"},
        )
        assert created.status_code == 201, created.text
        yield api


def _operation(api: Api, op: int) -> dict[str, Any]:
    found: dict[str, Any] = api.get(f"/api/v1/applications/web/operations/{op}").json()
    return found


def _until(api: Api, op: int, done: Any) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline:
        found = _operation(api, op)
        if done(found):
            return found
        time.sleep(0.2)
    pytest.fail(f"operation {op} did not get there: {_operation(api, op)}")


@pytest.mark.cluster
def test_cancel_stops_a_deploy_the_server_runs(live: Api) -> None:
    started = live.post("/api/v1/applications/web/deploy", {"timeout": 3600}, user="dana")
    assert started.status_code == 202, started.text
    op = started.json()["operationId"]
    _until(
        live,
        op,
        lambda o: any(s["service"] == "web" and s["step"] == "waiting" for s in o["services"]),
    )
    assert live.post("/api/v1/applications/web/cancel", user="dana").status_code == 200
    ended = _until(live, op, lambda o: o["finishedAt"] is not None)
    assert (ended["status"], ended["message"]) == (
        "cancelled",
        f"operation {op} was cancelled by dana",
    )
    assert {s["service"]: s["step"] for s in ended["services"]} == {
        "db": "ready",
        "api": "ready",
        "web": "cancelled",
    }
    assert live.store.get_lock("web") is None
    assert [r.status for r in live.store.list_revisions("web", "web")] == ["cancelled"]
    again = live.post(
        "/api/v1/applications/web/deploy", {"services": ["db"]}, params={"wait": "true"}
    )
    assert again.json()["status"] == "succeeded", again.text
