"""Fixtures for the Kubernetes adapter's tests: a KubeClient on the sandbox, a namespace per module."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kapstan.kube import KubeClient, connect
from kapstan.sandbox import SandboxState


@pytest.fixture(scope="module")
def kube(sandbox_cluster: SandboxState) -> Iterator[KubeClient]:
    with connect(sandbox_cluster.kubeconfig) as client:
        yield client


@pytest.fixture(scope="module")
def namespace(kube: KubeClient, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace for the test module, with its default ServiceAccount; deleted after."""
    module = request.module.__name__.rsplit(".", 1)[-1].replace("_", "-")
    name = f"{module[:40]}-{uuid.uuid4().hex[:6]}"
    kube.ensure_namespace(name)
    try:
        wait_for(
            "the default ServiceAccount",
            lambda: kube.get("v1", "ServiceAccount", "default", name) is not None,
        )
        yield name
    finally:
        kube.delete("v1", "Namespace", name)


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def deployment(name: str, namespace: str, replicas: int = 1, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name, **labels}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]},
            },
        },
    }


def config_map(name: str, namespace: str, data: dict[str, str], **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "data": data,
    }
