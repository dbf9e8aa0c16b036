"""Cluster lifecycle on real sandboxes (issue 17): ``cluster create`` starts a second sandbox
while the session's runs, an environment and an application (3 replicas, a
PodDisruptionBudget) go on it, a node is added, a busy node is drained and removed (pods
evicted and rescheduled), a budget that forbids eviction stops a drain with the node left
cordoned, a node running a pod no controller owns (with emptyDir data) or a removal in
progress is refused before anything changes, and ``cluster delete`` is refused while an
environment uses the cluster, then stops the sandbox.

One created cluster for the module (``made``); the tests run in file order on it, the last
one deleting it (the fixture deletes it in any case).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kapstan import sandbox
from kapstan.actions import clusterlife, drainlocks
from kapstan.api.app import create_app
from kapstan.errors import ConflictError, SandboxError
from kapstan.kube import KubeClient, KubeObject, connect
from kapstan.sandbox import SandboxState
from kapstan.sandbox import processes as sandbox_processes
from kapstan.sandbox.provider import SandboxProvider
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from kapstan.web.sessions import COOKIE, Sessions
from tests.cluster.kube_helpers import wait_for
from tests.clusters.conftest import run_kapstan

ENV, NAMESPACE, APP = "lc-env", "lc-shop", "web"
TEMPLATE = {
    "kapstan.yaml": (
        "name: lifecycle\nservices:\n  web:\n    manifests: [web.yaml]\nconfig:\n"
        "  web.replicas: 3\n"
    ),
    "web.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${web.replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.27"}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
""",
}


@dataclass
class Made:
    name: str
    db_url: str
    environ: dict[str, str]
    state: SandboxState  # the created cluster's sandbox
    main: SandboxState  # the session's, running all along

    def ok(self, *args: str | Path) -> str:
        code, out, err = run_kapstan(*args)
        assert code == 0, (args, out, err)
        return out

    def kube(self) -> KubeClient:
        return connect(self.state.kubeconfig)


def pods(kube: KubeClient, app: str) -> list[KubeObject]:
    return [
        p
        for p in kube.list("v1", "Pod", NAMESPACE, labels={"app": app})
        if not p["metadata"].get("deletionTimestamp")
    ]


def running_on(kube: KubeClient, app: str) -> dict[str, str]:
    """pod name -> node, of the app's Running pods."""
    return {
        p["metadata"]["name"]: p["spec"].get("nodeName", "")
        for p in pods(kube, app)
        if p["status"].get("phase") == "Running"
    }


@pytest.fixture(scope="module")
def made(sandbox_cluster: SandboxState, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Made]:
    tmp = tmp_path_factory.mktemp("lifecycle")
    name = f"lc{os.getpid()}"
    for file, text in TEMPLATE.items():
        (tmp / "tpl" / file).parent.mkdir(exist_ok=True)
        (tmp / "tpl" / file).write_text(text)
    db_url = f"sqlite:///{tmp / 'kapstan.db'}"
    environ = {
        "KAPSTAN_DB": db_url,
        "KAPSTAN_SECRET_KEY": generate_key(),
        "KAPSTAN_USER": "ana",
        "KAPSTAN_CLUSTER_PROVIDER": "sandbox",  # the console's node forms are offered
    }
    with pytest.MonkeyPatch.context() as patch:
        for var, value in environ.items():
            patch.setenv(var, value)
        for var in ("KAPSTAN_SERVER", "KAPSTAN_TOKEN", "KAPSTAN_SECRET_KEY_FILE"):
            patch.delenv(var, raising=False)
        try:
            code, out, err = run_kapstan("cluster", "create", name, "--nodes", "3")
            assert code == 0, (out, err)
            state = sandbox.load(name)
            assert state is not None
            made = Made(name, db_url, environ, state, sandbox_cluster)
            made.ok("template", "import", tmp / "tpl")
            made.ok("config", "set", ENV, "web.replicas=3")
            made.ok("env", "create", ENV, "--cluster", name, "-n", NAMESPACE, "--config", ENV)
            made.ok("app", "create", APP, "--template", "lifecycle", "--env", ENV)
            made.ok("app", "deploy", APP, "--yes")
            yield made
        finally:
            sandbox.down(name)


def test_create_starts_a_second_sandbox_beside_the_first_and_registers_it(made: Made) -> None:
    listed = {c["name"]: c for c in made_json(made, "cluster", "list")}
    assert listed[made.name]["sandbox"] == made.name
    assert listed[made.name]["server"] == made.state.server != made.main.server
    for state in (made.main, made.state):  # side by side: both control planes answer
        assert all(sandbox_processes.is_running(p) for p in state.processes)
        with connect(state.kubeconfig) as kube:
            assert kube.version().startswith("v1.")
    nodes = made_json(made, "cluster", "nodes", made.name)
    assert len(nodes) == 3 and all(n["ready"] and not n["cordoned"] for n in nodes)
    with made.kube() as kube:
        assert len(running_on(kube, APP)) == 3
    # A name in use is refused before anything starts.
    code, _, err = run_kapstan("cluster", "create", made.name)
    assert code != 0 and "registered already" in err


def test_nodes_add_makes_nodes_of_the_shape_asked_and_waits_until_ready(made: Made) -> None:
    added = made_json(made, "cluster", "nodes", "add", made.name, "--cpu", "2", "--memory", "4Gi")
    assert len(added) == 1 and added[0]["ready"]
    assert added[0]["capacity"]["cpu"] == "2" and added[0]["capacity"]["memory"] == "4Gi"
    assert added[0]["name"] in {n["name"] for n in made_json(made, "cluster", "nodes", made.name)}


def test_removing_a_busy_node_drains_it_and_its_pods_run_elsewhere(made: Made) -> None:
    with made.kube() as kube:
        placed = running_on(kube, APP)
    busiest = max(set(placed.values()), key=lambda n: list(placed.values()).count(n))
    leaving = sorted(p for p, n in placed.items() if n == busiest)
    removed = made_json(made, "cluster", "nodes", "remove", made.name, busiest)
    assert [r["node"] for r in removed] == [busiest]
    moved = removed[0]["moved"]
    assert sorted(m["pod"].split("/")[1] for m in moved) == leaving
    for m in moved:
        assert m["owner"] == "Deployment web"
        assert m["replacement"] and m["node"] and m["node"] != busiest
    names = {n["name"] for n in made_json(made, "cluster", "nodes", made.name)}
    assert busiest not in names
    with made.kube() as kube:
        after = running_on(kube, APP)
    assert len(after) == 3 and busiest not in after.values()
    assert {m["replacement"].split("/")[1] for m in moved} <= set(after)


def test_a_budget_that_forbids_eviction_stops_the_drain_with_the_node_cordoned(
    made: Made,
) -> None:
    with made.kube() as kube:
        for obj in _pinned():
            kube.apply(obj)
        wait_for("pinned Running", lambda: len(running_on(kube, "pinned")) == 1)
        wait_for("the budget computed", lambda: _budget_observed(kube))
        pod, node = next(iter(running_on(kube, "pinned").items()))
    code, out, err = run_kapstan("cluster", "nodes", "remove", made.name, node, "--timeout", "3s")
    assert code != 0, out
    assert f"node {node} stays cordoned" in err
    assert f"pod {NAMESPACE}/{pod}: PodDisruptionBudget {NAMESPACE}/pinned" in err
    listed = {n["name"]: n for n in made_json(made, "cluster", "nodes", made.name)}
    assert listed[node]["cordoned"] and listed[node]["ready"]  # still there, cordoned
    with made.kube() as kube:
        assert running_on(kube, "pinned") == {pod: node}
    # The API and the console show it cordoned; an admin gets the node forms.
    with Store.open(made.db_url, environ=made.environ) as store:
        store.create_user("root", password=None, admin=True)
        token = store.create_token("root")[0]
        cookie = {"Cookie": f"{COOKIE}={Sessions(store).create('root').id}"}
    with TestClient(create_app(made.db_url, environ=made.environ)) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        answer = client.get(f"/api/v1/clusters/{made.name}/nodes", headers=bearer)
        page = client.get(f"/ui/clusters/{made.name}", headers=cookie)
        body = {"nodes": [node], "timeout": 1}
        blocked = client.post(
            f"/api/v1/clusters/{made.name}/nodes/remove", json=body, headers=bearer
        )
    assert blocked.status_code == 409 and f"PodDisruptionBudget {NAMESPACE}/pinned" in blocked.text
    assert {n["name"]: n["cordoned"] for n in answer.json()}[node] is True
    assert page.status_code == 200 and 'class="cordoned">cordoned' in page.text
    assert 'id="add-nodes"' in page.text and "Drain and remove" in page.text
    assert 'name="force"' in page.text and 'name="delete_emptydir_data"' in page.text


def test_pods_a_drain_would_lose_and_a_removal_in_progress_refuse_before_any_change(
    made: Made,
) -> None:
    """A bare pod with emptyDir data on a node: refused by name (console), nothing cordoned;
    another removal's live lock: refused even with force (API), and the apiserver itself
    refuses a second holder; once stale: refused without --force, taken over with it."""
    with made.kube() as kube:
        listed = made_json(made, "cluster", "nodes", made.name)
        node = next(n["name"] for n in listed if not n["cordoned"])
        kube.apply(_solo(node))
        wait_for("solo Running", lambda: len(running_on(kube, "solo")) == 1)
    with Store.open(made.db_url, environ=made.environ) as store:
        token = store.create_token("root")[0]
        session = Sessions(store).create("root")
    bearer = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(made.db_url, environ=made.environ)) as client:
        form, cookie = {"node": node, "csrf": session.csrf}, {"Cookie": f"{COOKIE}={session.id}"}
        page = client.post(f"/ui/clusters/{made.name}/nodes/remove", data=form, headers=cookie)
        assert page.status_code == 409 and "nothing was changed" in page.text, page.text
        assert f"no controller would replace once evicted: {NAMESPACE}/solo" in page.text
        assert f"{NAMESPACE}/solo (volumes scratch); pass --delete-emptydir-data" in page.text
        assert not _cordoned(made, node)
        # Another removal holds the lock (as bob's process would): refused, force or not.
        with made.kube() as kube:
            kube.apply(_lease(datetime.now(UTC), "bob via api #abc123"), field_manager=BOB)
            with pytest.raises(ConflictError, match=r"in progress \(bob via api"):
                drainlocks.DrainLock(kube, made.name, "eve via cli").renew(None, 60)
        body = {"nodes": [node], "force": True, "deleteEmptydirData": True, "timeout": 60}
        path = f"/api/v1/clusters/{made.name}/nodes/remove"
        busy = client.post(path, json=body, headers=bearer)
        assert busy.status_code == 409 and "in progress (bob via api, since" in busy.text
        assert not _cordoned(made, node)
    # Its process stopped an hour ago: the lock is stale, taken over only with --force.
    with made.kube() as kube:
        stale = _lease(datetime.now(UTC) - timedelta(hours=1), "bob via api #abc123")
        kube.apply(stale, field_manager=BOB)
    code, _, err = run_kapstan("cluster", "nodes", "remove", made.name, node)
    assert code != 0 and "stopped mid-way" in err and "pass --force" in err
    # Taken over; the drain evicts the bare pod, then the machine cannot be freed: the node
    # stays cordoned, audited, the lock released, and the message says how to go on.
    heard: list[str] = []
    with Store.open(made.db_url, environ=made.environ) as store:
        with pytest.raises(SandboxError, match=f"stays cordoned.*nodes remove {made.name} {node}`"):
            clusterlife.remove_nodes(
                store,
                StuckMachines(),
                made.name,
                nodes=[node],
                author="eve",
                via="test",
                timeout=60,
                force=True,
                delete_emptydir_data=True,
                progress=heard.append,
            )
        done = [e.action for e in store.list_audit(kind="cluster", name=made.name, limit=2)]
    assert done == ["cluster.nodes.cordon", "cluster.nodes.unlock"]
    assert any("took over the drain lock of a stopped removal (bob via api" in h for h in heard)
    with made.kube() as kube:
        lease = kube.get(*drainlocks.LEASE, drainlocks.NAME, drainlocks.NAMESPACE)
        assert drainlocks.holder_of(lease) is None
        assert running_on(kube, "solo") == {}  # evicted, and nothing replaces it
    assert _cordoned(made, node)
    # As the message says: run it again.
    code, out, err = run_kapstan("cluster", "nodes", "remove", made.name, node)
    assert code == 0 and f"node {node} removed" in out, err
    assert node not in {n["name"] for n in made_json(made, "cluster", "nodes", made.name)}


class StuckMachines(SandboxProvider):
    """The sandbox's provider whose machines cannot be freed (Kapstan's own port)."""

    def remove_node(self, handle: str, node: str) -> None:
        raise SandboxError(f"machine of node {node} is stuck")


BOB = "kapstan-drain-abc123"  # the field manager bob's removal would apply its lock as


def _lease(renewed: datetime, holder: str) -> KubeObject:
    return drainlocks.lease_body(holder, acquired=renewed, now=renewed, seconds=600, node="n9")


def _cordoned(made: Made, node: str) -> bool:
    listed = {n["name"]: n["cordoned"] for n in made_json(made, "cluster", "nodes", made.name)}
    return bool(listed[node])


def _solo(node: str) -> KubeObject:
    """A pod no controller owns, bound to ``node``, with an emptyDir volume."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "solo", "namespace": NAMESPACE, "labels": {"app": "solo"}},
        "spec": {
            "nodeName": node,
            "containers": [{"name": "c", "image": "nginx:1.27"}],
            "volumes": [{"name": "scratch", "emptyDir": {}}],
        },
    }


def test_delete_is_refused_while_an_environment_uses_it_then_stops_the_sandbox(
    made: Made,
) -> None:
    code, _, err = run_kapstan("cluster", "delete", made.name)
    assert code != 0 and f"environment(s) {ENV}" in err
    code, _, err = run_kapstan("cluster", "remove", made.name)
    assert code != 0 and "cluster delete" in err  # forgetting would leave it running
    made.ok("env", "delete", ENV, "--cascade", "--yes")
    made.ok("cluster", "delete", made.name)
    assert not any(sandbox_processes.is_running(p) for p in made.state.processes)
    assert not Path(made.state.directory).exists()
    assert made.name not in {c["name"] for c in made_json(made, "cluster", "list")}
    assert all(sandbox_processes.is_running(p) for p in made.main.processes)


def made_json(made: Made, *args: str) -> Any:
    return json.loads(made.ok(*args, "-o", "json"))


def _pinned() -> list[KubeObject]:
    labels = {"app": "pinned"}
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "pinned", "namespace": NAMESPACE},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
                },
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "pinned", "namespace": NAMESPACE},
            "spec": {"maxUnavailable": 0, "selector": {"matchLabels": labels}},
        },
    ]


def _budget_observed(kube: KubeClient) -> bool:
    budget = kube.get("policy/v1", "PodDisruptionBudget", "pinned", NAMESPACE) or {}
    status = budget.get("status") or {}
    return status.get("observedGeneration") == budget["metadata"].get("generation") and (
        status.get("currentHealthy") == 1
    )
