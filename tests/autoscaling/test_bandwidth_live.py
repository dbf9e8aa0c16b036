"""An HPA on bandwidth really scales on the sandbox: kwok serves each pod's simulated
``network_receive_bytes_per_second``, Prometheus scrapes it, prometheus-adapter serves it on
``custom.metrics.k8s.io``; raising it scales the service and ``app status`` says so.

Prometheus and the adapter are added to the session's sandbox by this module (they cost
their start-up only to the tests that need them).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kapstan import sandbox
from kapstan.kube import connect
from tests.autoscaling.test_autoscaling_live import World, deployed, wait_scaled

pytestmark = pytest.mark.cluster

KAPSTAN_YAML = """\
name: elastic
services:
  edge:
    manifests: [edge.yaml]
    autoscaling:
      min: 1
      max: 4
      metrics:
        - pods: network_receive_bytes_per_second
          average: 5Mi
      behavior:
        scaleUp: {stabilizationWindowSeconds: 0}
"""
EDGE_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: edge}
spec:
  replicas: 1
  selector: {matchLabels: {app: edge}}
  template:
    metadata: {labels: {app: edge}}
    spec:
      containers: [{name: edge, image: "elastic/edge:1"}]
"""


@pytest.fixture(scope="module")
def world(
    sandbox_cluster: sandbox.SandboxState, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Each edge pod receives 20Mi/s against a 5Mi target: the HPA wants 4, its maximum."""
    sandbox.start_custom_metrics(sandbox_cluster)

    def usage(namespace: str) -> None:
        sandbox.set_usage(sandbox_cluster, namespace, "app=edge", network="20Mi")

    files = {"kapstan.yaml": KAPSTAN_YAML, "edge.yaml": EDGE_YAML}
    with deployed(sandbox_cluster, tmp_path_factory, files, usage) as world:
        wait_scaled(world, "edge", 4)
        yield world


def test_the_custom_metrics_api_serves_each_pods_bandwidth(world: World) -> None:
    path = (
        f"/apis/custom.metrics.k8s.io/v1beta2/namespaces/{world.namespace}"
        "/pods/*/network_receive_bytes_per_second"
    )
    with connect(str(world.kubeconfig)) as kube:
        ok, text = kube.health_check(path)
    assert ok, text
    assert '"value":"20Mi"' in text.replace(" ", "") or "20971520" in text, text


def test_raising_bandwidth_scales_the_service_and_app_status_says_why(world: World) -> None:
    edge = {s["service"]: s for s in world.status()}["edge"]
    scaler = edge["autoscaler"]
    assert (scaler["desired"], scaler["current"], scaler["max"]) == (4, 4, 4)
    kinds = {c["type"]: c for c in scaler["conditions"]}
    assert kinds["ScalingActive"]["status"] == "True", scaler["reason"]
    assert "pods metric network_receive_bytes_per_second" in kinds["ScalingActive"]["message"]
    assert edge["desired"] == 4
