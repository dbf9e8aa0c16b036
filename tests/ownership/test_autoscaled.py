"""Kapstan never fights an autoscaler over spec.replicas (finding 3 of issue 11), on the sandbox.

The sandbox runs the real kube-controller-manager, whose HPA controller raises a workload
below its minReplicas to that minimum even without metrics. ``api`` is scaled by Kapstan's
own HPA (``autoscaling:`` settings from config keys); ``web`` by one made with kubectl.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from kapstan.actions.deploying import deploy_app, plan_app
from kapstan.kube import connect
from tests.ownership.conftest import Kubectl, Shop

pytestmark = pytest.mark.cluster

HPA_PATIENCE = 120.0  # the HPA controller syncs every 15 s; the sandbox shares 2 cores


def replicas(kubeconfig: Path, namespace: str, name: str) -> int:
    with connect(kubeconfig) as cluster:
        live = cluster.get("apps/v1", "Deployment", name, namespace)
        assert live is not None
        return int(live["spec"]["replicas"])


def wait_for_replicas(kubeconfig: Path, namespace: str, name: str, wanted: int) -> None:
    deadline = time.monotonic() + HPA_PATIENCE
    while replicas(kubeconfig, namespace, name) != wanted:
        assert time.monotonic() < deadline, f"the HPA did not scale {name} to {wanted}"
        time.sleep(1)


@contextmanager
def every_replica_count(kubeconfig: Path, namespace: str) -> Iterator[list[tuple[str, Any]]]:
    """Each spec.replicas the Deployments of ``namespace`` had while the block ran, as
    watched (every write is one event), so a brief reset to the manifest's value shows."""
    seen: list[tuple[str, Any]] = []
    stop = threading.Event()
    start = _newest_version(kubeconfig, namespace)
    reached = [start]  # the newest version the watcher has seen

    def follow() -> None:
        version = str(start)
        with connect(kubeconfig) as cluster:
            while not stop.is_set():
                for _, obj in cluster.watch(
                    "apps/v1", "Deployment", namespace, resource_version=version, timeout_seconds=1
                ):
                    version = str(obj["metadata"]["resourceVersion"])
                    seen.append((obj["metadata"]["name"], obj["spec"].get("replicas")))
                    reached[0] = max(reached[0], int(version))

    watcher = threading.Thread(target=follow, daemon=True)
    watcher.start()
    try:
        yield seen
    finally:
        # Until the watcher has seen the block's last write (bounded): its events arrive late.
        newest, deadline = _newest_version(kubeconfig, namespace), time.monotonic() + 30
        while reached[0] < newest and time.monotonic() < deadline and watcher.is_alive():
            stop.wait(0.05)
        stop.set()
        watcher.join(timeout=30)


def _newest_version(kubeconfig: Path, namespace: str) -> int:
    with connect(kubeconfig) as cluster:
        return max(
            int(d["metadata"]["resourceVersion"])
            for d in cluster.list("apps/v1", "Deployment", namespace)
        )


def replicas_owners(kubeconfig: Path, namespace: str, name: str) -> list[str]:
    with connect(kubeconfig) as cluster:
        live = cluster.get("apps/v1", "Deployment", name, namespace)
        assert live is not None
        return [
            str(m["manager"])
            for m in live["metadata"].get("managedFields") or []
            if "f:replicas" in ((m.get("fieldsV1") or {}).get("f:spec") or {})
        ]


def test_a_redeploy_keeps_the_replicas_the_hpa_set(shop: Shop, kubectl: Kubectl) -> None:
    ns, kubeconfig = shop.namespace, shop.kubeconfig
    shop.set_config(api_replicas=1, api_autoscaling_min=3, api_autoscaling_max=5)
    assert deploy_app(shop.store, shop.app, author="alice").outcome.ok
    created_with = replicas(kubeconfig, ns, "api")

    # Another HPA, not Kapstan's: the controller scales web from its manifest's 1 to 2.
    kubectl("autoscale", "deployment", "web", "--min=2", "--max=4", "-n", ns)
    wait_for_replicas(kubeconfig, ns, "api", 3)
    wait_for_replicas(kubeconfig, ns, "web", 2)
    assert [p.action for p in plan_app(shop.store, shop.app)] == ["unchanged"] * 3

    shop.set_config(api_tag="1.1", web_tag="1.1")
    planned = {p.service: p for p in plan_app(shop.store, shop.app)}
    assert planned["api"].action == planned["web"].action == "update"
    diffs = [r.diff for s in ("api", "web") for r in planned[s].resources if r.action == "update"]
    assert any("shop/web:1.1" in d for d in diffs) and any("shop/api:1.1" in d for d in diffs)
    assert not any("replicas" in d for d in diffs), diffs

    with every_replica_count(kubeconfig, ns) as seen:
        result = deploy_app(shop.store, shop.app, author="alice")
    assert result.outcome.ok, result.operation
    assert {n for n, _ in seen} >= {"api", "web"}, "the redeploy wrote both Deployments"
    assert {(n, r) for n, r in seen} == {("api", 3), ("web", 2)}
    assert replicas(kubeconfig, ns, "api") == 3 and replicas(kubeconfig, ns, "web") == 2
    # Kapstan holds the field no more: the next apply cannot take it back.
    assert "kapstan" not in replicas_owners(kubeconfig, ns, "api")
    assert "kapstan" not in replicas_owners(kubeconfig, ns, "web")
    with connect(kubeconfig) as cluster:
        api = cluster.get("apps/v1", "Deployment", "api", ns)
        assert api is not None
        assert api["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/api:1.1"
    # Created at the HPA's minimum, not the manifest's 1: nothing for the HPA to catch up.
    assert created_with == 3
