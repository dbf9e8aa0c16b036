"""The sandbox is a real cluster: workloads become ready, APIs accept objects, kubectl works."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator

import pytest
from lightkube import Client
from lightkube.codecs import from_dict
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apps_v1 import Deployment, StatefulSet
from lightkube.resources.autoscaling_v2 import HorizontalPodAutoscaler
from lightkube.resources.batch_v1 import Job
from lightkube.resources.core_v1 import ConfigMap, Namespace, PersistentVolumeClaim, Pod, Service
from lightkube.resources.networking_v1 import Ingress

from kapstan import sandbox
from tests.cluster.kube_helpers import client_for, objects, wait_for

pytestmark = pytest.mark.cluster


@pytest.fixture()
def ns(sandbox_cluster: sandbox.SandboxState) -> Iterator[tuple[Client, str]]:
    name = f"smoke-{uuid.uuid4().hex[:8]}"
    admin = client_for(sandbox_cluster)
    client = client_for(sandbox_cluster, name)
    try:
        admin.create(Namespace(metadata=ObjectMeta(name=name)))
        wait_for("the namespace's default ServiceAccount", lambda: _has_default_sa(admin, name))
        yield client, name
        admin.delete(Namespace, name)
    finally:
        client.close()
        admin.close()


def _has_default_sa(client: Client, namespace: str) -> bool:
    from lightkube.core.exceptions import ApiError
    from lightkube.resources.core_v1 import ServiceAccount

    try:
        client.get(ServiceAccount, "default", namespace=namespace)
        return True
    except ApiError:
        return False


WORKLOADS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:1.27, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres:16}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: busybox}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 3
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: web.example.test
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web, port: {number: 80}}}
"""


def test_workloads_become_ready_and_apis_accept_objects(ns: tuple[Client, str]) -> None:
    client, _name = ns
    for obj in objects(WORKLOADS):
        client.apply(obj, field_manager="kapstan-tests")

    def deployment_available() -> bool:
        d = client.get(Deployment, "web")
        conds = {c.type: c.status for c in (d.status.conditions or [])} if d.status else {}
        return bool(d.status and d.status.readyReplicas == 3 and conds.get("Available") == "True")

    wait_for("Deployment web to be Available with 3 ready pods", deployment_available)
    pods = [p for p in client.list(Pod, labels={"app": "web"})]
    assert len(pods) == 3
    assert all(p.status and p.status.podIP for p in pods), "kwok gives every pod an IP"
    assert len({p.spec.nodeName for p in pods if p.spec}) >= 2, (
        "the scheduler spreads pods on fake nodes"
    )

    svc = client.get(Service, "web")
    assert svc.spec and svc.spec.clusterIP and svc.spec.clusterIP.startswith("10.96.")

    wait_for(
        "StatefulSet db to have 2 ready replicas",
        lambda: (client.get(StatefulSet, "db").status.readyReplicas or 0) == 2,  # type: ignore[union-attr]
    )
    wait_for(
        "Job migrate to complete",
        lambda: (client.get(Job, "migrate").status.succeeded or 0) == 1,  # type: ignore[union-attr]
    )
    hpa = client.get(HorizontalPodAutoscaler, "web")
    assert hpa.spec and hpa.spec.maxReplicas == 6
    ing = client.get(Ingress, "web")
    assert ing.spec and ing.spec.rules and ing.spec.rules[0].host == "web.example.test"


def test_server_side_apply_tracks_field_managers(ns: tuple[Client, str]) -> None:
    client, _ = ns
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"a": "1"}}
    client.apply(from_dict(cm), field_manager="kapstan-a")
    client.apply(from_dict({**cm, "data": {"b": "2"}}), field_manager="kapstan-b")
    live = client.get(ConfigMap, "ssa")
    # Each manager owns its own key; neither apply removed the other's field.
    assert live.data == {"a": "1", "b": "2"}
    managers = {m.manager for m in live.metadata.managedFields or []} if live.metadata else set()
    assert {"kapstan-a", "kapstan-b"} <= managers
    client.apply(from_dict({**cm, "data": {}}), field_manager="kapstan-a")
    assert client.get(ConfigMap, "ssa").data == {"b": "2"}


def test_kubectl_works_against_the_kubeconfig(sandbox_cluster: sandbox.SandboxState) -> None:
    kubectl = sandbox.ensure_binaries(lambda _m: None).kubectl
    out = subprocess.run(
        [
            str(kubectl),
            "--kubeconfig",
            str(sandbox_cluster.kubeconfig),
            "get",
            "nodes",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    nodes = json.loads(out)["items"]
    assert len(nodes) == sandbox_cluster.nodes
    for node in nodes:
        ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True"


@pytest.mark.parametrize("fault", ["never-ready", "crash"])
def test_a_pod_marked_to_fail_never_becomes_ready(ns: tuple[Client, str], fault: str) -> None:
    client, _ = ns
    doc = f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: broken}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: broken}}}}
  template:
    metadata: {{labels: {{app: broken, {sandbox.FAULT_LABEL}: {fault}}}}}
    spec: {{containers: [{{name: app, image: busybox}}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: healthy}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: healthy}}}}
  template:
    metadata: {{labels: {{app: healthy, {sandbox.FAULT_LABEL}: none}}}}
    spec: {{containers: [{{name: app, image: busybox}}]}}
"""
    for obj in objects(doc):
        client.apply(obj, field_manager="kapstan-tests")

    def pod_started(app: str) -> Pod | None:
        pods = [
            p
            for p in client.list(Pod, labels={"app": app})
            if p.status and p.status.phase == "Running"
        ]
        return pods[0] if pods else None

    # The healthy twin (label set to a non-fault value), created at the same moment, bounds
    # how long kwok takes to act.
    wait_for("the healthy twin to run", lambda: pod_started("healthy") is not None)
    wait_for(f"the {fault} pod to run", lambda: pod_started("broken") is not None)
    pod = pod_started("broken")
    assert pod is not None and pod.status is not None
    ready = [c for c in pod.status.conditions or [] if c.type == "Ready"]
    assert ready and ready[0].status == "False"
    state = pod.status.containerStatuses[0] if pod.status.containerStatuses else None
    assert state is not None and state.ready is False
    if fault == "crash":
        assert (
            state.state and state.state.waiting and state.state.waiting.reason == "CrashLoopBackOff"
        )
        assert state.restartCount > 0
    dep = client.get(Deployment, "broken")
    assert not (dep.status and dep.status.readyReplicas)


def test_claims_are_provisioned_and_a_stateful_set_with_volume_claims_runs(
    ns: tuple[Client, str],
) -> None:
    client, _ = ns
    doc = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: data}
spec:
  serviceName: data
  replicas: 2
  selector: {matchLabels: {app: data}}
  template:
    metadata: {labels: {app: data}}
    spec: {containers: [{name: db, image: postgres:16, volumeMounts: [{name: pgdata, mountPath: /data}]}]}
  volumeClaimTemplates:
  - metadata: {name: pgdata}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
"""
    for obj in objects(doc):
        client.apply(obj, field_manager="kapstan-tests")
    wait_for(
        "StatefulSet data to have 2 ready replicas",
        lambda: (client.get(StatefulSet, "data").status.readyReplicas or 0) == 2,  # type: ignore[union-attr]
    )
    claims = list(client.list(PersistentVolumeClaim))
    assert len(claims) == 2
    assert all(c.status and c.status.phase == "Bound" for c in claims)
    assert all(c.spec and c.spec.storageClassName == "kapstan-sandbox" for c in claims), (
        "the default class"
    )
