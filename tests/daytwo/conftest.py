"""One deployed application on the sandbox, shared by the day-two tests of a module.

A Kapstan server (uvicorn, in process) over a SQLite file; the local CLI opens the same
file (``--db``), the remote CLI and the browser go through the server. Template ``duo``:
service ``api`` (a Deployment of 2 pods, one container) and ``worker`` (1 pod, two
containers: ``worker`` and ``sidecar``), deployed once into a namespace of its own.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest

from kapstan import sandbox
from kapstan.api.app import create_app
from kapstan.cli.main import main
from kapstan.kube import KubeObject, connect
from kapstan.render.labels import APP_LABEL, SERVICE_LABEL
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from tests.liveworld import isolate, seed
from tests.web.test_browser import serving

APP = "duo"
KAPSTAN_YAML = """\
name: duo
services:
  api:
    manifests: [api.yaml]
  worker:
    manifests: [worker.yaml]
"""
API_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "duo/api:1.0"}]
"""
WORKER_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  replicas: 1
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
        - {name: worker, image: "duo/worker:1.0"}
        - {name: sidecar, image: "duo/sidecar:1.0"}
"""
FILES = {"kapstan.yaml": KAPSTAN_YAML, "api.yaml": API_YAML, "worker.yaml": WORKER_YAML}


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class World:
    base: str  # http://127.0.0.1:PORT
    db: str
    token: str
    namespace: str
    sandbox: sandbox.SandboxState
    store: Store
    run: Callable[[list[str]], Ran] = field(repr=False)

    def local(self, *args: str) -> Ran:
        return self.run(["--db", self.db, *args])

    def remote(self, *args: str) -> Ran:
        return self.run(["--server", self.base, "--token", self.token, *args])

    def api(self, path: str, **params: Any) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx2.get(f"{self.base}{path}", params=params, headers=headers, timeout=60)

    def pods(self, service: str) -> list[KubeObject]:
        labels = {APP_LABEL: APP, SERVICE_LABEL: service}
        with connect(self.sandbox.kubeconfig) as kube:
            found = kube.list("v1", "Pod", self.namespace, labels=labels)
        return sorted(found, key=lambda p: str(p["metadata"]["name"]))


@pytest.fixture(scope="module")
def world(
    sandbox_cluster: sandbox.SandboxState, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    home = tmp_path_factory.mktemp("daytwo")
    db = f"sqlite:///{home / 'kapstan.db'}"
    key = generate_key()
    namespace = f"daytwo-{uuid.uuid4().hex[:8]}"
    app = create_app(db, environ={"KAPSTAN_SECRET_KEY": key}, shutdown_wait=10.0)
    with pytest.MonkeyPatch.context() as patch, serving(app) as port:
        isolate(patch, home, key)
        store = app.state.kapstan.store
        token = seed(store, APP, FILES, str(sandbox_cluster.kubeconfig), namespace)
        base = f"http://127.0.0.1:{port}"
        done = httpx2.post(
            f"{base}/api/v1/applications/{APP}/deploy",
            json={"timeout": 120},
            params={"wait": "true"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=180,
        )
        assert done.json()["status"] == "succeeded", done.text
        yield World(base, db, token, namespace, sandbox_cluster, store, _run)


def _run(argv: list[str]) -> Ran:
    """``kapstan`` in process, its output captured (capsys is function-scoped)."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return Ran(code, out.getvalue(), err.getvalue())
