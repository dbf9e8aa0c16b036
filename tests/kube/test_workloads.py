"""Watches, events and logs around a real Deployment on the sandbox's kwok nodes."""

from __future__ import annotations

import time
from typing import Any

import pytest

from kapstan.kube import KubeClient
from tests.kube.conftest import deployment, wait_for


def _available(obj: dict[str, Any]) -> bool:
    status = obj.get("status") or {}
    return bool(status.get("availableReplicas") == obj["spec"]["replicas"])


@pytest.fixture(scope="module")
def web(kube: KubeClient, namespace: str) -> dict[str, Any]:
    return kube.apply(deployment("web", namespace, replicas=2))


def test_a_watch_sees_the_deployment_become_available(
    kube: KubeClient, namespace: str, web: dict[str, Any]
) -> None:
    seen: list[str] = []
    started = time.monotonic()
    for event_type, obj in kube.watch(
        "apps/v1", "Deployment", namespace, labels={"app": "web"}, timeout_seconds=30
    ):
        seen.append(event_type)
        assert obj["kind"] == "Deployment" and obj["metadata"]["name"] == "web"
        if _available(obj):
            break
    else:
        pytest.fail(f"the watch ended without the Deployment becoming available: {seen}")
    assert time.monotonic() - started < 30


def test_a_watch_ends_when_the_server_timeout_passes(kube: KubeClient, namespace: str) -> None:
    quiet = kube.list("v1", "ConfigMap", namespace, labels={"never": "there"})
    started = time.monotonic()
    events = list(
        kube.watch("v1", "ConfigMap", namespace, labels={"never": "x"}, timeout_seconds=1)
    )
    assert quiet == [] and events == []
    assert time.monotonic() - started < 5


def test_events_for_a_deployment_and_its_pod(
    kube: KubeClient, namespace: str, web: dict[str, Any]
) -> None:
    scaled = wait_for("the Deployment's events", lambda: kube.events_for(web))
    assert {e["reason"] for e in scaled} == {"ScalingReplicaSet"}
    assert all(e["involvedObject"]["uid"] == web["metadata"]["uid"] for e in scaled)

    pod = wait_for("a pod of web", lambda: kube.list("v1", "Pod", namespace, {"app": "web"}))[0]
    reasons = wait_for("the pod's events", lambda: {e["reason"] for e in kube.events_for(pod)})
    assert "Scheduled" in reasons


def test_events_for_an_object_without_uid_match_by_name_and_kind(
    kube: KubeClient, namespace: str, web: dict[str, Any]
) -> None:
    meta = {"name": "web", "namespace": namespace}
    by_name = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta}
    events = wait_for("the Deployment's events", lambda: kube.events_for(by_name))
    assert {e["involvedObject"]["name"] for e in events} == {"web"}


def test_pod_logs_do_not_raise_on_fake_nodes(
    kube: KubeClient, namespace: str, web: dict[str, Any]
) -> None:
    pod = wait_for("a pod of web", lambda: kube.list("v1", "Pod", namespace, {"app": "web"}))[0]
    logs = kube.pod_logs(namespace, pod["metadata"]["name"], "main", tail_lines=5)
    assert logs is None or isinstance(logs, str)
