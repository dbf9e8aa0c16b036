"""Health read from the live sandbox: a Deployment goes progressing -> healthy, while one whose
pods never become Ready (sandbox fault label) stays unhealthy and is explained.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Event, Namespace, Pod, ServiceAccount

from kapstan import sandbox
from kapstan.health import HealthStatus, explain_failure, health_of, pods_for
from kapstan.model.health import Health
from tests.cluster.kube_helpers import client_for, objects, wait_for

pytestmark = pytest.mark.cluster


@pytest.fixture()
def client(sandbox_cluster: sandbox.SandboxState) -> Iterator[Client]:
    name = f"health-{uuid.uuid4().hex[:8]}"
    admin = client_for(sandbox_cluster)
    namespaced = client_for(sandbox_cluster, name)
    try:
        admin.create(Namespace(metadata=ObjectMeta(name=name)))
        wait_for("the namespace's default ServiceAccount", lambda: _has_default_sa(namespaced))
        yield namespaced
    finally:
        try:
            admin.delete(Namespace, name)
        finally:
            namespaced.close()
            admin.close()


def _has_default_sa(client: Client) -> bool:
    try:
        client.get(ServiceAccount, "default")
        return True
    except ApiError:
        return False


def deployment(name: str, replicas: int, fault: str | None = None) -> str:
    labels = f"{{app: {name}" + (f", kapstan.io/sandbox-fault: {fault}" if fault else "") + "}"
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {labels}}}
    spec: {{containers: [{{name: app, image: "busybox:1.36"}}]}}
"""


def create(client: Client, manifest: str) -> dict[str, Any]:
    (resource,) = objects(manifest)
    return as_dict(client.create(resource))


def as_dict(resource: Any) -> dict[str, Any]:
    data: dict[str, Any] = resource.to_dict()
    return data


def health(client: Client, name: str) -> Health:
    return health_of(as_dict(client.get(Deployment, name)))


def pods(client: Client) -> list[dict[str, Any]]:
    return [as_dict(p) for p in client.list(Pod)]


def test_a_deployment_goes_from_progressing_to_healthy(client: Client) -> None:
    created = create(client, deployment("web", 3))
    seen: list[Health] = [health_of(created)]

    def healthy() -> bool:
        seen.append(health(client, "web"))
        return seen[-1].ok

    wait_for("deployment web to become healthy", healthy, timeout=60)

    assert seen[0].status is HealthStatus.PROGRESSING, seen[0]
    assert seen[-1].message == "3/3 replicas updated and available"
    mine = pods_for(as_dict(client.get(Deployment, "web")), pods(client))
    assert len(mine) == 3 and all(health_of(p).ok for p in mine)


def test_a_never_ready_deployment_stays_unhealthy_and_is_explained(client: Client) -> None:
    create(client, deployment("stuck", 2, fault="never-ready"))
    create(client, deployment("other", 1))  # its pods must not be blamed
    wait_for(
        "deployment stuck to be observed with its pods running",
        lambda: "0/2 updated replicas available" in health(client, "stuck").message,
    )

    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:  # it must not turn healthy while we watch
        assert health(client, "stuck").status is HealthStatus.PROGRESSING
        time.sleep(0.25)

    workload = as_dict(client.get(Deployment, "stuck"))
    mine = pods_for(workload, pods(client))
    events = [as_dict(e) for e in client.list(Event)]
    lines = explain_failure(workload, mine, events)
    assert lines[0] == "Deployment stuck: progressing: 0/2 updated replicas available"
    assert sum("progressing: container app not ready" in line for line in lines) == 2
    assert not any("other" in line for line in lines)
