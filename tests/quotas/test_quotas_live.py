"""Quotas on the live sandbox, one environment for the module: set (the ResourceQuota and
LimitRange appear, and the LimitRange's defaults reach pods), a deploy over quota refused
before anything is applied, the apiserver's own refusal (a quota Kapstan does not know)
reported naming service and object, and clearing (the objects go)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from kapstan import sandbox
from kapstan.kube import KubeClient, connect
from kapstan.store.crypto import generate_key
from tests.cluster.kube_helpers import wait_for
from tests.liveworld import kapstan, ok

pytestmark = pytest.mark.cluster

KAPSTAN_YAML = """\
name: quotaed
services:
  api:
    manifests: [api.yaml]
  worker:
    manifests: [worker.yaml]
  extra:
    manifests: [extra.yaml]
  data:
    manifests: [data.yaml]
"""
API_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: ${api.replicas:-1}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1
          resources:
            requests: {cpu: 200m, memory: 64Mi}
            limits: {cpu: 400m, memory: 128Mi}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{port: 80}]
"""
# No resources: the environment's LimitRange gives its container requests and limits.
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
        - name: worker
          image: registry.example.com/worker:1
"""
EXTRA_YAML = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: extra}
data: {greeting: hello}
"""


# No class: it goes to the cluster's default one (the sandbox's "kapstan-sandbox").
DATA_YAML = """\
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 2Gi}}
"""


@dataclass(frozen=True)
class QuotaEnv:
    namespace: str
    kubeconfig: str


@pytest.fixture(scope="module")
def env(
    sandbox_cluster: sandbox.SandboxState, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[QuotaEnv]:
    """Environment dev with a quota, app shop deployed in it (api and worker; not extra, data)."""
    tmp = tmp_path_factory.mktemp("quotas")
    folder = tmp / "quotaed"
    folder.mkdir()
    for name, text in (
        ("kapstan.yaml", KAPSTAN_YAML),
        ("api.yaml", API_YAML),
        ("worker.yaml", WORKER_YAML),
        ("extra.yaml", EXTRA_YAML),
        ("data.yaml", DATA_YAML),
    ):
        (folder / name).write_text(text)
    namespace = f"quota-{uuid.uuid4().hex[:8]}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KAPSTAN_DB", f"sqlite:///{tmp / 'kapstan.db'}")
        patch.setenv("KAPSTAN_SECRET_KEY", generate_key())
        patch.setenv("KAPSTAN_USER", "ana")
        patch.delenv("KAPSTAN_SECRET_KEY_FILE", raising=False)
        patch.delenv("KAPSTAN_SERVER", raising=False)
        ok("template", "import", folder)
        ok("config", "set", "dev", "api.replicas=1")
        kubeconfig = sandbox_cluster.kubeconfig
        ok("env", "create", "dev", "--kubeconfig", kubeconfig, "-n", namespace, "--config", "dev")
        ok("app", "create", "shop", "--template", "quotaed", "--env", "dev")
        ok(
            "env", "quota", "set", "dev",
            "--cpu", "1", "--memory", "1Gi", "--limits-cpu", "2", "--pods", "4",
            "--count", "services=2", "--storage", "kapstan-sandbox=1Gi",
            "--default", "cpu=300m", "--default", "memory=96Mi",
            "--default-request", "cpu=150m", "--default-request", "memory=32Mi",
        )  # fmt: skip
        ok("app", "deploy", "shop", "-s", "api", "-s", "worker", "--yes", "--timeout", "2m")
        try:
            yield QuotaEnv(namespace, str(kubeconfig))
        finally:
            with connect(kubeconfig) as kube:
                kube.delete("v1", "Namespace", namespace)


def replicas(count: int) -> None:
    """The api's replicas in a new config version, which app shop then uses."""
    ok("config", "set", "dev", f"api.replicas={count}")
    ok("app", "update", "shop")


def live(env: QuotaEnv) -> KubeClient:
    return connect(env.kubeconfig)


def test_set_puts_the_quota_and_limit_range_in_the_namespace(env: QuotaEnv) -> None:
    with live(env) as kube:
        quota = kube.get("v1", "ResourceQuota", "kapstan-quota", env.namespace)
        limits = kube.get("v1", "LimitRange", "kapstan-limits", env.namespace)
        pods = kube.list("v1", "Pod", env.namespace, labels={"app": "worker"})
    assert quota is not None and limits is not None
    assert quota["metadata"]["labels"]["kapstan.io/environment"] == "dev"
    assert quota["spec"]["hard"] == {
        "limits.cpu": "2",
        "pods": "4",
        "requests.cpu": "1",
        "requests.memory": "1Gi",
        "services": "2",
        "kapstan-sandbox.storageclass.storage.k8s.io/requests.storage": "1Gi",
    }
    assert limits["spec"]["limits"][0]["defaultRequest"] == {"cpu": "150m", "memory": "32Mi"}
    # Applied before the deploy: the worker, which sets no resources, got the defaults.
    [resources] = [p["spec"]["containers"][0]["resources"] for p in pods]
    assert resources == {
        "limits": {"cpu": "300m", "memory": "96Mi"},
        "requests": {"cpu": "150m", "memory": "32Mi"},
    }
    shown = json.loads(ok("env", "quota", "show", "dev", "-o", "json"))
    assert shown["applied"] == [
        f"ResourceQuota {env.namespace}/kapstan-quota",
        f"LimitRange {env.namespace}/kapstan-limits",
    ]


def test_a_deploy_over_quota_is_refused_naming_service_and_resource(env: QuotaEnv) -> None:
    before = ok("app", "operations", "shop", "-o", "json")
    replicas(6)
    try:
        for verb in (("app", "plan", "shop"), ("app", "deploy", "shop", "--yes")):
            code, _, err = kapstan(*verb)
            assert code != 0, verb
            text = " ".join(err.split())
            assert "environment dev's quota refuses this deploy of application shop" in text
            assert "nothing was applied" in text
            # 6 x 200m of the quota's 1 CPU, the worker's 150m (its LimitRange default) counted
            assert (
                "service 'api' asks requests.cpu 1200m (6 x 200m Deployment api) but only "
                "850m of the quota's 1 is left" in text
            ), text
            assert (
                "service 'api' asks pods 6 (6 x Deployment api) but only 3 of the quota's 4" in text
            )
            # A claim without a class counts in the cluster's default class.
            assert (
                "service 'data' asks kapstan-sandbox.storageclass.storage.k8s.io/requests.storage "
                "2Gi (PersistentVolumeClaim data) but only 1Gi of the quota's 1Gi is left" in text
            ), text
        with live(env) as kube:
            deployment = kube.get("apps/v1", "Deployment", "api", env.namespace)
        assert deployment is not None and deployment["spec"]["replicas"] == 1  # not touched
        assert ok("app", "operations", "shop", "-o", "json") == before  # none opened
    finally:
        replicas(1)


def test_the_apiservers_own_refusal_names_service_and_object(env: QuotaEnv) -> None:
    """A ResourceQuota Kapstan did not create (so its check does not know it) refuses the
    ConfigMap of service extra: the apiserver's 403 is reported as a quota refusal."""
    with live(env) as kube:
        count = len(kube.list("v1", "ConfigMap", env.namespace))
        foreign = {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "admins-own", "namespace": env.namespace},
            "spec": {"hard": {"configmaps": str(count)}},
        }
        kube.apply(foreign)
        try:
            _wait_counted(kube, env.namespace)
            code, out, err = kapstan("app", "deploy", "shop", "-s", "extra", "--yes")
        finally:
            kube.delete("v1", "ResourceQuota", "admins-own", env.namespace)
    text = " ".join((out + err).split())
    assert code != 0, text
    # The deploy's summary: the service, the object, and a quota (not RBAC) to blame.
    assert (
        f"failed extra ConfigMap {env.namespace}/extra: the namespace's ResourceQuota "
        "refuses it: " in text
    ), text
    assert "exceeded quota: admins-own" in text, text
    assert "needs RBAC permission" not in text


def test_clearing_the_quota_removes_its_objects(env: QuotaEnv) -> None:
    cleared = ok("env", "quota", "clear", "dev")
    assert f"ResourceQuota {env.namespace}/kapstan-quota" in cleared
    with live(env) as kube:
        assert kube.list("v1", "ResourceQuota", env.namespace) == []
        assert kube.list("v1", "LimitRange", env.namespace) == []
    assert "has no quota" in ok("env", "quota", "show", "dev")
    # Without a quota, what was refused goes through (the plan no longer refuses it).
    replicas(6)
    ok("app", "plan", "shop")


def test_deleting_an_environment_removes_its_quotas_objects(env: QuotaEnv) -> None:
    namespace = f"{env.namespace}-gone"
    ok("env", "create", "gone", "--kubeconfig", env.kubeconfig, "-n", namespace)
    try:
        ok("env", "quota", "set", "gone", "--pods", "5")  # creates the namespace too
        with live(env) as kube:
            assert kube.get("v1", "ResourceQuota", "kapstan-quota", namespace) is not None
        ok("env", "delete", "gone", "--yes")
        with live(env) as kube:
            assert kube.list("v1", "ResourceQuota", namespace) == []
    finally:
        with live(env) as kube:
            kube.delete("v1", "Namespace", namespace)


def _wait_counted(kube: KubeClient, namespace: str) -> None:
    """Until the quota controller has counted the namespace (admission needs status.hard)."""

    def counted() -> bool:
        live = kube.get("v1", "ResourceQuota", "admins-own", namespace) or {}
        return bool((live.get("status") or {}).get("hard"))

    wait_for("ResourceQuota admins-own counted", counted)
