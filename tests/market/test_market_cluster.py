"""Every market template installed into its own environment and deployed on the sandbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kapstan import sandbox
from kapstan.actions.deploying import DeployResult, deploy_app
from kapstan.actions.install import install
from kapstan.engine.deploy import DeployOptions
from kapstan.kube import connect
from kapstan.market import catalog as market
from kapstan.market.catalogs import builtin_catalog, templates_of
from kapstan.market.registry import MarketPaths
from kapstan.model.operation import Step
from kapstan.store import Store
from tests.market.conftest import write_catalog

pytestmark = pytest.mark.cluster

TEMPLATES = sorted(t.name for t in templates_of(builtin_catalog()))
TIMEOUT = DeployOptions(timeout=300)
VOLUMES = 8  # postgresql 1, rabbitmq 1, three-tier 1, demo-shop 2: and some to spare


@pytest.fixture(scope="module")
def volumes(sandbox_cluster: sandbox.SandboxState) -> None:
    """Class-less PersistentVolumes: the sandbox has no provisioner, so claims bind to these."""
    with connect(sandbox_cluster.kubeconfig) as cluster:
        for _ in range(VOLUMES):
            cluster.apply(
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolume",
                    "metadata": {"name": f"market-{uuid.uuid4().hex[:8]}"},
                    "spec": {
                        "capacity": {"storage": "100Gi"},
                        "accessModes": ["ReadWriteOnce"],
                        "hostPath": {"path": "/tmp/kapstan-market"},
                    },
                }
            )


@pytest.fixture
def cluster_store(
    sandbox_cluster: sandbox.SandboxState, volumes: None, store: Store, market_paths: MarketPaths
) -> Iterator[tuple[Store, Path]]:
    yield store, sandbox_cluster.kubeconfig


def _environment(store: Store, kubeconfig: Path, name: str) -> str:
    namespace = f"market-{name}-{uuid.uuid4().hex[:6]}"
    store.create_environment(
        name, kubeconfig=str(kubeconfig), context=None, namespace=namespace, config=None
    )
    return namespace


def _install_and_deploy(store: Store, kubeconfig: Path, name: str) -> DeployResult:
    _environment(store, kubeconfig, name)
    # `reject`: a container without requests and limits would stop the deploy.
    install(store, name, env=name, author="tester", values={"kapstan.resourcePolicy": "reject"})
    return deploy_app(store, name, author="tester", options=TIMEOUT)


@pytest.mark.parametrize("name", [t for t in TEMPLATES if t != "demo-shop"])
def test_every_template_installs_and_becomes_ready(
    cluster_store: tuple[Store, Path], name: str
) -> None:
    store, kubeconfig = cluster_store
    result = _install_and_deploy(store, kubeconfig, name)
    assert result.outcome.ok, result.outcome.services
    assert {s.step for s in result.outcome.services.values()} == {Step.READY}


def test_postgresql_password_comes_from_a_secret(cluster_store: tuple[Store, Path]) -> None:
    store, kubeconfig = cluster_store
    assert _install_and_deploy(store, kubeconfig, "postgresql").outcome.ok
    namespace = store.get_environment("postgresql").namespace
    with connect(kubeconfig) as cluster:
        secret = cluster.get("v1", "Secret", "postgresql-postgresql-secret", namespace)
        sts = cluster.get("apps/v1", "StatefulSet", "postgresql", namespace)
        claim = cluster.get("v1", "PersistentVolumeClaim", "data-postgresql-0", namespace)
    assert secret is not None and "postgresql.password" in secret["data"]
    assert sts is not None and claim is not None and claim["status"]["phase"] == "Bound"
    env = {e["name"]: e for e in sts["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "postgresql.password"


def test_demo_shop_deploys_in_dependency_waves(cluster_store: tuple[Store, Path]) -> None:
    store, kubeconfig = cluster_store
    result = _install_and_deploy(store, kubeconfig, "demo-shop")
    assert result.outcome.ok, result.outcome.services
    assert len(result.outcome.services) == 11
    assert {s.step for s in result.outcome.services.values()} == {Step.READY}
    events = [(e.service, e.status) for e in store.get_operation(result.operation.id).events]
    template = market.show_template("demo-shop").template
    for service, spec in template.services.items():
        first_apply = min(i for i, e in enumerate(events) if e == (service, "applied"))
        for dependency in spec.depends_on:
            healthy = max(i for i, e in enumerate(events) if e == (dependency, "healthy"))
            assert healthy < first_apply, f"{service} applied before {dependency} was healthy"
    namespace = store.get_environment("demo-shop").namespace
    with connect(kubeconfig) as cluster:
        job = cluster.get("batch/v1", "Job", "migrations", namespace)
        ingress = cluster.get("networking.k8s.io/v1", "Ingress", "gateway", namespace)
    assert job is not None and job["status"].get("succeeded") == 1
    assert ingress is not None and ingress["spec"]["rules"][0]["host"] == "shop.example.com"


def test_a_template_from_an_extra_catalog_deploys(
    cluster_store: tuple[Store, Path], tmp_path: Path
) -> None:
    store, kubeconfig = cluster_store
    market.add_catalog("mine", str(write_catalog(tmp_path / "mine")))
    _environment(store, kubeconfig, "extra")
    install(store, "mine/hello", env="extra", author="tester")
    result = deploy_app(store, "hello", author="tester", options=TIMEOUT)
    assert result.outcome.ok, result.outcome.services
