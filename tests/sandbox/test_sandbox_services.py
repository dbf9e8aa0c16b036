"""Services of type LoadBalancer get an address from a loopback pool, so an application that
uses one becomes ready; nodes advertise ephemeral-storage, so pods requesting it schedule."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

import pytest

from kapstan import sandbox
from kapstan.health import HealthStatus, health_of
from kapstan.sandbox import api
from tests.sandbox.live import admin, eventually, namespace, pod, running_pod

NS = "sandbox-services"


@pytest.fixture(scope="module")
def client(sandbox_cluster: sandbox.SandboxState) -> Iterator[api.SandboxClient]:
    with admin(sandbox_cluster) as c:
        namespace(c, NS)
        yield c


def _service(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "type": "LoadBalancer",
            "selector": {"app": name},
            "ports": [{"port": 80}],
            **spec,
        },
    }


def _with_address(client: api.SandboxClient, name: str) -> dict[str, Any]:
    path = f"/api/v1/namespaces/{NS}/services/{name}"
    client.apply(path, _service(name))

    def addressed() -> dict[str, Any] | None:
        got = client.get(path) or {}
        return got if got.get("status", {}).get("loadBalancer", {}).get("ingress") else None

    return eventually(f"an address for Service {name}", addressed)


def test_a_load_balancer_service_gets_a_loopback_address_and_is_healthy(
    client: api.SandboxClient,
) -> None:
    svc = _with_address(client, "front-external")
    ip = ipaddress.ip_address(svc["status"]["loadBalancer"]["ingress"][0]["ip"])
    assert ip.is_loopback and ip != ipaddress.ip_address("127.0.0.1")
    health = health_of(svc)
    assert health.status is HealthStatus.HEALTHY and str(ip) in health.message


def test_two_load_balancers_get_two_addresses(client: api.SandboxClient) -> None:
    first = _with_address(client, "lb-one")["status"]["loadBalancer"]["ingress"][0]["ip"]
    second = _with_address(client, "lb-two")["status"]["loadBalancer"]["ingress"][0]["ip"]
    assert first != second


def test_a_pod_requesting_ephemeral_storage_is_scheduled(client: api.SandboxClient) -> None:
    node = client.get("/api/v1/nodes/kwok-node-0") or {}
    assert node["status"]["allocatable"]["ephemeral-storage"] == "500Gi"
    obj = pod("scratch", ["app"])
    obj["spec"]["containers"][0]["resources"] = {
        "requests": {"ephemeral-storage": "2Gi"},
        "limits": {"ephemeral-storage": "4Gi"},
    }
    assert running_pod(client, NS, obj)["spec"]["nodeName"].startswith("kwok-node-")
