"""Fixtures for the importers: sample sources, and deploying an import to the sandbox."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from kapstan import sandbox
from kapstan.actions.deploying import deploy_app
from kapstan.actions.templates import save_files
from kapstan.engine.deploy import DeployOptions
from kapstan.importers import ImportResult
from kapstan.kube import connect
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from tests.sqlitestores import migrated_sqlite

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
COMPOSE = FIXTURES / "compose" / "docker-compose.yml"
MANIFESTS = FIXTURES / "manifests"
CHART = FIXTURES / "chart"
CHART_VALUES = FIXTURES / "chart-values-prod.yaml"

Deploy = Callable[[ImportResult], dict[str, str]]


def claims(result: ImportResult) -> list[str]:
    """Names of the PersistentVolumeClaims an import makes."""
    return [
        doc["metadata"]["name"]
        for path, text in result.files.items()
        if path != "kapstan.yaml"
        for doc in yaml.safe_load_all(text)
        if doc and doc["kind"] == "PersistentVolumeClaim"
    ]


@pytest.fixture()
def deploy_import(
    sandbox_cluster: sandbox.SandboxState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Deploy]:
    """Save an import, deploy it to its own namespace, return each service's final step.

    The sandbox has no volume provisioner, so a PersistentVolume is made for each claim.
    """
    monkeypatch.setenv("KAPSTAN_SECRET_KEY", generate_key())
    store = Store.open(str(migrated_sqlite(tmp_path / "kapstan.db")))
    volumes: list[str] = []

    def deploy(result: ImportResult) -> dict[str, str]:
        namespace = f"imp-{uuid.uuid4().hex[:8]}"
        version = save_files(store, result.files, author="tester").version
        store.create_config(result.name, {}, author="tester")
        store.create_environment(
            namespace,
            kubeconfig=str(sandbox_cluster.kubeconfig),
            context=None,
            namespace=namespace,
            config=None,
        )
        store.create_application(
            result.name,
            template=result.name,
            template_version=version.version,
            environment=namespace,
            config=result.name,
            config_version=None,
        )
        with connect(sandbox_cluster.kubeconfig) as cluster:
            for claim in claims(result):
                name = f"{namespace}-{claim}"
                cluster.apply(_volume(name, namespace, claim))
                volumes.append(name)
        outcome = deploy_app(
            store, result.name, author="tester", options=DeployOptions(timeout=120)
        )
        assert outcome.outcome.ok, outcome.operation
        return {name: s.step.value for name, s in outcome.outcome.services.items()}

    try:
        yield deploy
    finally:
        store.close()
        with connect(sandbox_cluster.kubeconfig) as cluster:
            for name in volumes:
                cluster.delete("v1", "PersistentVolume", name)


def _volume(name: str, namespace: str, claim: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name},
        "spec": {
            "capacity": {"storage": "10Gi"},
            "accessModes": ["ReadWriteOnce", "ReadWriteMany"],
            "persistentVolumeReclaimPolicy": "Retain",
            "hostPath": {"path": f"/tmp/{name}"},
            "claimRef": {"namespace": namespace, "name": claim},
        },
    }


def golden(name: str, text: str) -> str:
    """The golden file's text (written first when ``KAPSTAN_UPDATE_GOLDEN=1``)."""
    path = GOLDEN / name
    if os.environ.get("KAPSTAN_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    return path.read_text()


@pytest.fixture(scope="session")
def helm_built() -> None:
    """Helm must be there (the set-up script builds it); otherwise fail naming the command."""
    from kapstan.importers.helmbin import require_helm

    require_helm()
