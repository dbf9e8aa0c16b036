"""Resource metrics on the sandbox: metrics-server behind the aggregation layer scrapes
kwok's simulated usage; ``kubectl top`` and ``metrics.k8s.io`` show it, and an HPA on CPU
really scales a Deployment when a test raises the usage.

One Deployment for the module: its metrics take two of metrics-server's 10 s scrapes to
appear, a wait paid once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kapstan import sandbox
from kapstan.sandbox import api
from tests.sandbox.live import admin, eventually, kubectl, namespace

NS = "sandbox-metrics"
METRICS_WAIT = 120.0  # two scrapes, the HPA's sync, the new pods: well under this


def _quantity_m(value: str) -> float:
    """CPU in millicores from ``400m`` / ``400123456n`` / ``1``."""
    if value.endswith("n"):
        return int(value[:-1]) / 1e6
    if value.endswith("u"):
        return int(value[:-1]) / 1e3
    if value.endswith("m"):
        return float(value[:-1])
    return float(value) * 1000


def _workload() -> list[tuple[str, dict[str, Any]]]:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "busy"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "busy"}},
            "template": {
                "metadata": {"labels": {"app": "busy"}},
                "spec": {
                    "containers": [
                        {
                            "name": "busy",
                            "image": "example/busy:1",
                            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                        }
                    ]
                },
            },
        },
    }
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "busy"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "busy"},
            "minReplicas": 1,
            "maxReplicas": 3,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 50},
                    },
                }
            ],
        },
    }
    return [
        (f"/apis/apps/v1/namespaces/{NS}/deployments/busy", deployment),
        (f"/apis/autoscaling/v2/namespaces/{NS}/horizontalpodautoscalers/busy", hpa),
    ]


@pytest.fixture(scope="module")
def client(sandbox_cluster: sandbox.SandboxState) -> Iterator[api.SandboxClient]:
    with admin(sandbox_cluster) as c:
        namespace(c, NS)
        yield c


@pytest.fixture(scope="module")
def busy(sandbox_cluster: sandbox.SandboxState, client: api.SandboxClient) -> list[dict[str, Any]]:
    """Deployment busy (requests 100m CPU) under an HPA at 50%; its pods use 400m, 40Mi.

    Returns the pod metrics once metrics.k8s.io serves them.
    """
    sandbox.set_usage(sandbox_cluster, NS, "app=busy", cpu="400m", memory="40Mi")
    for path, obj in _workload():
        client.apply(path, obj)

    def pod_metrics() -> list[dict[str, Any]] | None:
        got = client.get(f"/apis/metrics.k8s.io/v1beta1/namespaces/{NS}/pods")
        items: list[dict[str, Any]] = (got or {}).get("items") or []
        return items or None

    return eventually("metrics.k8s.io pod metrics of busy", pod_metrics, METRICS_WAIT)


def test_metrics_api_serves_the_simulated_usage(busy: list[dict[str, Any]]) -> None:
    usage = busy[0]["containers"][0]["usage"]
    assert busy[0]["metadata"]["name"].startswith("busy-")
    assert 390 <= _quantity_m(usage["cpu"]) <= 410, usage
    assert usage["memory"] in ("40Mi", str(40 * 2**20), f"{40 * 2**10}Ki"), usage


def test_kubectl_top_pods_shows_cpu_and_memory(
    sandbox_cluster: sandbox.SandboxState, busy: list[dict[str, Any]]
) -> None:
    out = kubectl(sandbox_cluster, "top", "pods", "-n", NS, "--no-headers")
    first = out.splitlines()[0].split()
    assert first[0].startswith("busy-") and first[2] == "40Mi", out
    assert 390 <= _quantity_m(first[1]) <= 410, out


def test_an_hpa_on_cpu_scales_the_deployment_up(
    client: api.SandboxClient, busy: list[dict[str, Any]]
) -> None:
    def scaled() -> int | None:
        dep = client.get(f"/apis/apps/v1/namespaces/{NS}/deployments/busy") or {}
        replicas = int(dep.get("spec", {}).get("replicas", 1))
        return replicas if replicas == 3 else None

    assert eventually("the HPA scaling busy to its maximum of 3", scaled, METRICS_WAIT) == 3
    hpa = client.get(f"/apis/autoscaling/v2/namespaces/{NS}/horizontalpodautoscalers/busy") or {}
    current = hpa["status"]["currentMetrics"][0]["resource"]["current"]
    assert current["averageUtilization"] >= 390  # 400m used of 100m requested
