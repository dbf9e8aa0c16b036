"""Issue 13's compose findings on the live sandbox, on one imported project deployed once.

The fixture project (``fixtures/compose-findings``) is imported, its two secret keys set
(the report's advice, followed), deployed to dev, then one image tag changes and the app
is promoted to prod. Each test reads one finding off that shared state.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kapstan import sandbox
from kapstan.actions import promote as promoting
from kapstan.actions.configs import set_values
from kapstan.actions.deploying import deploy_app
from kapstan.actions.templates import save_files
from kapstan.engine.deploy import DeployOptions
from kapstan.importers import ImportResult, import_compose
from kapstan.kube import connect
from kapstan.model.values import SecretValue
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from tests.importers.conftest import FIXTURES

pytestmark = pytest.mark.cluster

PROJECT = FIXTURES / "compose-findings" / "compose.yaml"
SERVICES = {"proxy", "backend", "worker", "cache", "db"}
DONE = {"ready", "unchanged"}
PASSWORD = (PROJECT.parent / "db" / "password.txt").read_text().strip()


@dataclass
class Project:
    """The imported project, deployed to dev; prod is an empty environment beside it."""

    store: Store
    kubeconfig: Path
    result: ImportResult
    dev: str
    prod: str
    steps: dict[str, str]

    def live(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        api = "apps/v1" if kind == "Deployment" else "v1"
        with connect(self.kubeconfig) as cluster:
            found: dict[str, Any] | None = cluster.get(api, kind, name, namespace or self.dev)
        return found


def _deploy(store: Store, app: str) -> dict[str, str]:
    done = deploy_app(store, app, author="tester", options=DeployOptions(timeout=120))
    assert done.outcome.ok, done.operation
    return {name: s.step.value for name, s in done.outcome.services.items()}


@pytest.fixture(scope="module")
def project(
    sandbox_cluster: sandbox.SandboxState, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Project]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KAPSTAN_SECRET_KEY", generate_key())
        store = Store.open(str(tmp_path_factory.mktemp("findings") / "kapstan.db"))
        result = import_compose(PROJECT)
        version = save_files(store, result.files, author="tester").version
        secrets = {
            "secrets.db-password": SecretValue(PASSWORD),
            "backend.env.ADMIN_PASSWORD": SecretValue("an admin password"),
        }
        suffix = uuid.uuid4().hex[:6]
        dev, prod = f"notes-dev-{suffix}", f"notes-prod-{suffix}"
        for env in (dev, prod):
            store.create_config(env, secrets, author="tester")
            store.create_environment(
                env,
                kubeconfig=str(sandbox_cluster.kubeconfig),
                context=None,
                namespace=env,
                config=env,
            )
        store.create_application(
            "notes",
            template=result.name,
            template_version=version.version,
            environment=dev,
            config=dev,
            config_version=None,
        )
        steps = _deploy(store, "notes")
        try:
            yield Project(store, sandbox_cluster.kubeconfig, result, dev, prod, steps)
        finally:
            store.close()


@pytest.fixture(scope="module")
def rolled(project: Project) -> dict[str, str]:
    """A new backend image tag in dev, deployed: the steps of that deploy."""
    set_values(project.store, project.dev, {"backend.image.tag": "2.3.1"}, author="tester")
    return _deploy(project.store, "notes")


@dataclass
class Promoted:
    plan: promoting.Promotion
    done: promoting.Promoted
    steps: dict[str, str]


@pytest.fixture(scope="module")
def promoted(project: Project, rolled: dict[str, str]) -> Promoted:
    """dev promoted to prod after the tag change, and deployed there."""
    store = project.store
    plan = promoting.plan_promotion(store, "notes", project.prod, "notes-prod")
    done = promoting.promote(store, plan, author="tester")
    outcome = deploy_app(
        store,
        done.application.name,
        author="tester",
        options=DeployOptions(timeout=120),
        clearance=done.clearance,
    )
    assert outcome.outcome.ok, outcome.operation
    steps = {name: s.step.value for name, s in outcome.outcome.services.items()}
    return Promoted(plan, done, steps)


def test_every_imported_service_becomes_ready(project: Project) -> None:
    assert set(project.steps) == SERVICES
    assert set(project.steps.values()) <= DONE, project.steps


def test_services_named_by_others_get_a_service_on_the_port_they_use(project: Project) -> None:
    # backend: nginx's proxy_pass; cache: the worker's --broker argument; db: an env URL
    for name, port in (("backend", 8000), ("cache", 6379), ("db", 3306)):
        service = project.live("Service", name)
        assert service is not None, name
        assert [p["port"] for p in service["spec"]["ports"]] == [port]


def test_secrets_and_configs_are_files_at_their_compose_paths(project: Project) -> None:
    backend = project.live("Deployment", "backend")
    assert backend is not None
    mounts = {
        m["mountPath"]: m.get("subPath")
        for m in backend["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    }
    assert mounts == {
        "/run/secrets/db-password": "secrets.db-password",
        "/etc/notes/settings.ini": "configs.backend-settings",
    }
    config = project.live("ConfigMap", "notes-backend-config")
    assert config is not None
    ini = (PROJECT.parent / "backend" / "settings.ini").read_text()
    assert config["data"]["configs.backend-settings"] == ini
    secret = project.live("Secret", "notes-backend-secret")
    assert secret is not None
    assert set(secret["data"]) == {"secrets.db-password", "backend.env.ADMIN_PASSWORD"}
    proxy = project.live("ConfigMap", "notes-proxy-config")
    assert proxy is not None and "proxy_pass http://backend:8000;" in str(proxy["data"])


def test_a_password_made_secret_as_advised_comes_from_the_secret(project: Project) -> None:
    backend = project.live("Deployment", "backend")
    assert backend is not None
    env = {e["name"]: e for e in backend["spec"]["template"]["spec"]["containers"][0]["env"]}
    ref = env["ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "notes-backend-secret", "key": "backend.env.ADMIN_PASSWORD"}
    path_ref = env["DB_PASSWORD_FILE"]["valueFrom"]["configMapKeyRef"]  # a path: plain
    assert path_ref["key"] == "backend.env.DB_PASSWORD_FILE"


def test_a_service_under_a_profile_not_chosen_is_not_deployed(project: Project) -> None:
    assert project.live("Deployment", "adminer") is None


def test_a_tag_change_rolls_one_service(rolled: dict[str, str]) -> None:
    assert rolled.pop("backend") == "ready"
    assert set(rolled.values()) == {"unchanged"}, rolled


def test_promotion_carries_the_tested_image_tag(project: Project, promoted: Promoted) -> None:
    carried = {c.key: (c.before, c.after) for c in promoted.plan.carried}
    assert carried == {"backend.image.tag": ("2.3.0", "2.3.1")}  # the plan shows it
    assert set(promoted.steps.values()) <= DONE, promoted.steps
    backend = project.live("Deployment", "backend", project.prod)
    assert backend is not None
    image = backend["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "example/notes-backend:2.3.1"
    config = project.store.get_config(project.prod)  # the record: a config version...
    assert config.values["backend.image.tag"] == "2.3.1"
    assert "carries backend.image.tag: 2.3.0 -> 2.3.1" in config.message
    (entry,) = project.store.list_audit(kind="config", name=project.prod, limit=1)
    assert entry.details["carried"] == [
        {"key": "backend.image.tag", "from": "2.3.0", "to": "2.3.1"}
    ]  # ...and its audit entry
    assert entry.details["promotedFrom"] == "notes"
