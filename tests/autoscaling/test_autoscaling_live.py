"""Autoscaling on the sandbox: the apiserver accepts the HPAs ``autoscaling:`` renders
(custom, object and external metrics, behavior), an HPA on CPU scales when the simulated
usage rises, and ``app status`` (API JSON, local CLI) shows desired/current replicas and
the HPA's conditions.

One application for the module, deployed once through the API: service ``web`` scales on
CPU (its pods use 400m of a 100m request, so the HPA wants the maximum, 3), service
``bandwidth`` on a per-pod metric, an Ingress's metric and an external one, which nothing
serves on this sandbox (its HPA says so and the deploy still succeeds).
"""

from __future__ import annotations

import contextlib
import io
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kapstan import sandbox
from kapstan.api.app import create_app
from kapstan.cli.backend.remotedeploys import service_status
from kapstan.cli.main import main
from kapstan.client import decode
from kapstan.kube import KubeObject, connect
from kapstan.schemas import ServiceStatusOut
from kapstan.store.crypto import generate_key
from tests.liveworld import isolate, seed
from tests.sqlitestores import migrated_sqlite

pytestmark = pytest.mark.cluster

APP = "elastic"
SCALE_WAIT = 180.0  # metrics-server's first two scrapes (~20-35 s), then one HPA sync (3 s)
KAPSTAN_YAML = """\
name: elastic
services:
  web:
    manifests: [web.yaml]
    autoscaling:
      min: 1
      max: 3
      cpu: 50
      behavior:
        scaleUp:
          stabilizationWindowSeconds: 0
          policies: [{type: Pods, value: 4, periodSeconds: 15}]
  bandwidth:
    manifests: [bandwidth.yaml]
    autoscaling:
      min: 2
      max: 10
      metrics:
        - pods: network_receive_bytes_per_second
          average: 5Mi
        - object: {kind: Ingress, name: front}
          metric: requests_per_second
          value: 10k
        - external: queue_messages_ready
          selector: {queue: orders}
          average: 30
      behavior:
        scaleDown:
          stabilizationWindowSeconds: 5m
          selectPolicy: Min
          policies:
            - {type: Percent, value: 50, periodSeconds: 60}
            - {type: Pods, value: 1, periodSeconds: 60}
"""


def _deployment(name: str) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: {name}
          image: "elastic/{name}:1"
          resources: {{requests: {{cpu: 100m, memory: 64Mi}}}}
"""


FILES = {
    "kapstan.yaml": KAPSTAN_YAML,
    "web.yaml": _deployment("web"),
    "bandwidth.yaml": _deployment("bandwidth"),
}


@dataclass
class World:
    client: TestClient
    token: str
    db: str
    namespace: str
    kubeconfig: Path

    def status(self) -> list[dict[str, Any]]:
        got = self.client.get(
            f"/api/v1/applications/{APP}/status",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert got.status_code == 200, got.text
        answer: list[dict[str, Any]] = got.json()
        return answer

    def hpa(self, name: str) -> KubeObject:
        with connect(str(self.kubeconfig)) as kube:
            found = kube.get("autoscaling/v2", "HorizontalPodAutoscaler", name, self.namespace)
        assert found is not None, f"no HPA {name} in {self.namespace}"
        return found


@pytest.fixture(scope="module")
def world(
    sandbox_cluster: sandbox.SandboxState, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Deployed once; returned when web's HPA has scaled to its maximum on the usage."""

    def usage(namespace: str) -> None:
        # Set before the pods exist: they use 400m of their 100m request from the start.
        sandbox.set_usage(sandbox_cluster, namespace, "app=web", cpu="400m", memory="40Mi")

    with deployed(sandbox_cluster, tmp_path_factory, FILES, usage) as world:
        wait_scaled(world, "web", 3)
        yield world


@contextlib.contextmanager
def deployed(
    sandbox_cluster: sandbox.SandboxState,
    tmp_path_factory: pytest.TempPathFactory,
    files: dict[str, str],
    usage: Callable[[str], None],
) -> Iterator[World]:
    """Template ``files`` deployed as application APP through the API, in a new namespace
    whose simulated usage ``usage(namespace)`` sets before the deploy."""
    home = tmp_path_factory.mktemp("autoscaling")
    path = migrated_sqlite(home / "kapstan.db")
    key = generate_key()
    namespace = f"hpa-{uuid.uuid4().hex[:8]}"
    app = create_app(str(path), environ={"KAPSTAN_SECRET_KEY": key}, shutdown_wait=10.0)
    with pytest.MonkeyPatch.context() as patch, TestClient(app) as client:
        isolate(patch, home, key)
        store = app.state.kapstan.store
        token = seed(store, APP, files, str(sandbox_cluster.kubeconfig), namespace)
        usage(namespace)
        done = client.post(
            f"/api/v1/applications/{APP}/deploy",
            json={"timeout": 120},
            params={"wait": "true"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert done.json()["status"] == "succeeded", done.text
        yield World(client, token, str(path), namespace, sandbox_cluster.kubeconfig)


def wait_scaled(world: World, hpa: str, replicas: int, timeout: float = SCALE_WAIT) -> None:
    """Until the HPA wants ``replicas`` and sees them (bounded: it fails naming its status)."""
    deadline = time.monotonic() + timeout
    while True:
        status = world.hpa(hpa).get("status") or {}
        if status.get("desiredReplicas") == replicas and status.get("currentReplicas") == replicas:
            return
        assert time.monotonic() < deadline, f"{hpa}'s HPA did not scale to {replicas}: {status}"
        time.sleep(1)


def _local(db: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--db", db, *args])
    return code, out.getvalue(), err.getvalue()


def test_the_apiserver_accepts_custom_object_external_metrics_and_behavior(world: World) -> None:
    spec = world.hpa("bandwidth")["spec"]
    assert [m["type"] for m in spec["metrics"]] == ["Pods", "Object", "External"]
    assert spec["metrics"][1]["object"]["describedObject"] == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "name": "front",
    }
    assert spec["metrics"][2]["external"]["metric"]["selector"] == {
        "matchLabels": {"queue": "orders"}
    }
    down = spec["behavior"]["scaleDown"]
    assert (down["stabilizationWindowSeconds"], down["selectPolicy"]) == (300, "Min")
    assert len(down["policies"]) == 2
    # The apiserver filled in the direction left out with its defaults: it read ours.
    assert spec["behavior"]["scaleUp"]["selectPolicy"] == "Max"


def test_app_status_shows_the_scaled_desired_count_and_the_reason(world: World) -> None:
    by = {s["service"]: s for s in world.status()}
    web = by["web"]["autoscaler"]
    assert (web["name"], web["desired"], web["current"], web["min"], web["max"]) == (
        "web",
        3,
        3,
        1,
        3,
    )
    kinds = {c["type"]: c for c in web["conditions"]}
    assert kinds["ScalingActive"]["status"] == "True"
    assert kinds["ScalingLimited"]["reason"] == "TooManyReplicas"  # it wanted 8, max is 3
    assert "ScalingLimited=True (TooManyReplicas): " in web["reason"]
    assert by["web"]["desired"] == 3


def test_app_status_says_why_an_hpa_on_unserved_metrics_does_not_scale(world: World) -> None:
    bandwidth = {s["service"]: s for s in world.status()}["bandwidth"]
    scaler = bandwidth["autoscaler"]
    assert (scaler["min"], scaler["max"]) == (2, 10)
    assert bandwidth["health"] == "healthy"  # an HPA never blocks: the pods still serve
    active = {c["type"]: c for c in scaler["conditions"]}["ScalingActive"]
    assert active["status"] == "False" and active["reason"].startswith("FailedGet"), active
    assert "ScalingActive=False (FailedGet" in scaler["reason"]


def test_local_cli_status_has_the_autoscaler_column_and_record(world: World) -> None:
    code, out, err = _local(world.db, "app", "status", APP, "-o", "json")
    assert code == 0, err
    web = {s["service"]: s for s in json.loads(out)}["web"]["autoscaler"]
    assert (web["desired"], web["current"]) == (3, 3) and "TooManyReplicas" in web["reason"]
    code, out, err = _local(world.db, "app", "status", APP)
    assert code == 0, err
    header = out.splitlines()[0].lower()
    assert "autoscaler" in header and "drift" in header
    assert "3 desired, 3 current (min 1, max 3)" in " ".join(out.split())


def test_remote_cli_reads_the_autoscaler_from_the_api(world: World) -> None:
    [web] = [
        service_status(decode.parse(ServiceStatusOut, s))
        for s in world.status()
        if s["service"] == "web"
    ]
    assert web.autoscaler is not None
    assert (web.autoscaler.desired, web.autoscaler.max) == (3, 3)
    assert any(c.reason == "TooManyReplicas" for c in web.autoscaler.conditions)
