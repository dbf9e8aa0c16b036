"""Issue 13, Helm: a chart shaped like the public ones (hooks, a test hook, presets, random
passwords, capability checks, a postgresql subchart) imported and deployed on the sandbox.

One import and one deploy for the whole module (``deployed``); a test per finding reads it.
Fast tests without a cluster cover the pure parts with the same chart.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan import sandbox
from kapstan.actions import configs
from kapstan.actions.applications import create_app, update_app
from kapstan.actions.deploying import deploy_app
from kapstan.actions.refs import Ref
from kapstan.cli.main import main
from kapstan.engine.deploy import DeployOptions
from kapstan.errors import InputError
from kapstan.importers import ImportResult, import_helm
from kapstan.importers.helmbin import HELM_KUBE_VERSION, link_flags, require_helm
from kapstan.importers.helmrender import MARKER_NAMESPACE, KubeTarget
from kapstan.kube import connect
from kapstan.model.values import SecretValue
from kapstan.render.builtins import GENERATE
from kapstan.render.render import render_app
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from kapstan.templates.parser import parse_template
from tests.importers.conftest import FIXTURES

SHOP = FIXTURES / "shop"
SHOP_VALUES = FIXTURES / "shop-values-dev.yaml"
SANDBOX_LIKE = KubeTarget("v1.36.3", ("policy/v1/PodDisruptionBudget",))
PASSWORD_KEY = "generated.shop-postgresql.postgres-password"

needs_helm = pytest.mark.usefixtures("helm_built")


def _objects(result: ImportResult, service: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(result.files[f"services/{service}.yaml"]) if d]


def _depends(result: ImportResult) -> dict[str, tuple[str, ...]]:
    return {n: s.depends_on for n, s in parse_template(result.files).services.items()}


@pytest.fixture(scope="module")
def shop() -> ImportResult:
    require_helm()
    return import_helm(SHOP, values=[SHOP_VALUES], target=SANDBOX_LIKE)


@pytest.fixture(scope="module")
def plain() -> ImportResult:
    """The chart with its own values, for helm's own (stamped) Kubernetes version."""
    require_helm()
    return import_helm(SHOP)


# -- 1. helm built with its Kubernetes version; rendered for the target's ---------------


@needs_helm
def test_helm_is_built_with_its_kubernetes_version_stamped(tmp_path: Path) -> None:
    chart = tmp_path / "probe"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.1.0\n")
    (chart / "templates" / "v.yaml").write_text("v: {{ .Capabilities.KubeVersion.Version }}\n")
    done = subprocess.run(
        [str(require_helm()), "template", "p", str(chart)],
        capture_output=True,
        text=True,
        check=True,
    )
    major, minor = HELM_KUBE_VERSION
    assert f"v: v{major}.{minor}.0" in done.stdout  # v1.20.0 before the stamp
    assert f"chartutil.k8sVersionMinor={minor}" in link_flags()


@needs_helm
def test_a_chart_requiring_a_recent_kubernetes_imports_with_new_api_versions(
    plain: ImportResult,
) -> None:
    api = _objects(plain, "api")
    assert {o["kind"]: o["apiVersion"] for o in api}["HorizontalPodAutoscaler"] == "autoscaling/v2"


@needs_helm
def test_the_target_version_and_api_versions_reach_the_chart(shop: ImportResult) -> None:
    api = {o["kind"]: o for o in _objects(shop, "api")}
    assert api["PodDisruptionBudget"]["apiVersion"] == "policy/v1"
    assert api["ConfigMap"]["data"]["RENDERED_FOR"] == "v1.36.3"
    assert "chart shop: rendered for Kubernetes v1.36.3, 1 API version" in shop.report
    with pytest.raises(InputError, match=r"kubeVersion: >=1\.23\.0-0.*Kubernetes v1\.22\.0"):
        import_helm(SHOP, target=KubeTarget("v1.22.0"))


@needs_helm
def test_a_packaged_chart_is_named_by_its_archive_when_helm_refuses_it(tmp_path: Path) -> None:
    helm = str(require_helm())
    subprocess.run(
        [helm, "package", str(SHOP), "-d", str(tmp_path)], check=True, capture_output=True
    )
    archive = tmp_path / "shop-1.4.0.tgz"
    with pytest.raises(InputError, match=rf"^{archive}: helm template failed: .*v1\.22\.0"):
        import_helm(archive, target=KubeTarget("v1.22.0"))


# -- 2. the marker namespace becomes the environment's ----------------------------------


@needs_helm
def test_every_namespace_occurrence_becomes_the_environments(shop: ImportResult) -> None:
    text = "\n".join(shop.files.values())
    assert MARKER_NAMESPACE not in text and ".default." not in text
    api = {o["kind"]: o for o in _objects(shop, "api")}
    env = {
        e["name"]: e.get("value")
        for e in api["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["DATABASE_HOST"] == "shop-postgresql.${kapstan.namespace}.svc.cluster.local"
    rendered = render_app(
        parse_template(shop.files), {}, app="shop", namespace="shop-qa", hash_key=b"k" * 32
    )
    scripts = next(o for o in rendered.services["api"].objects if o["kind"] == "ConfigMap")
    assert (
        "pg_isready -h shop-postgresql.shop-qa.svc.cluster.local"
        in scripts["data"]["wait-for-db.sh"]
    )
    assert "namespace" not in scripts["metadata"] or scripts["metadata"]["namespace"] == "shop-qa"


# -- 3. hooks ------------------------------------------------------------------------------


@needs_helm
def test_test_hooks_are_dropped_and_reported(shop: ImportResult) -> None:
    kinds = [o["kind"] for s in shop.services for o in _objects(shop, s)]
    assert "Pod" not in kinds
    assert (
        "shop/templates/tests/test-connection.yaml:3: Pod: helm test hook (test): not imported"
        in shop.report
    )


@needs_helm
def test_install_hooks_are_jobs_ordered_by_depends_on_and_weight(shop: ImportResult) -> None:
    depends = _depends(shop)
    assert {"schema", "migrate"} <= set(depends["api"]) and {"schema", "migrate"} <= set(
        depends["worker"]
    )
    assert "schema" in depends["migrate"], "weight 5 runs after weight -10"
    assert {"api", "worker"} <= set(depends["warm-cache"]), "post-install runs after"
    report = "\n".join(shop.report)
    assert "Job shop-migrate: hook-delete-policy hook-succeeded: not applied" in report
    assert "Job shop-schema: hook-delete-policy before-hook-creation: what Kapstan does" in report
    for service in ("schema", "migrate", "warm-cache"):
        (job,) = _objects(shop, service)
        assert "annotations" not in job["metadata"]


@needs_helm
def test_random_names_are_the_same_on_every_import(plain: ImportResult) -> None:
    again = import_helm(SHOP)
    assert again.files == plain.files and again.report == plain.report
    assert [o["metadata"]["name"] for o in _objects(plain, "migrate")] == ["shop-migrate"]


# -- 4. values -----------------------------------------------------------------------------


@needs_helm
def test_values_the_chart_refuses_are_isolated_and_the_rest_traced(shop: ImportResult) -> None:
    assert shop.config["values.api.image.tag"] == "2.4.1"
    assert shop.config["values.logLevel"] == "debug"
    assert shop.config["values.postgresql.auth.database"] == "shopdev"
    report = "\n".join(shop.report)
    assert (
        "values values.api.resourcesPreset: kept literal: the chart refuses a stand-in value"
        in report
    )
    assert 'resourcesPreset \\"kpsv' not in report
    assert (
        "values values.worker.mode: kept literal: the chart renders other objects when it "
        "changes (used in template logic)" in report
    )
    assert "values values.postgresql.resourcesPreset: kept literal: the chart refuses" in report
    # A sha256sum of a file holding a traced value cannot follow its key: said, not hidden.
    computed = [line for line in shop.report if " is computed from " in line]
    assert len(computed) == 1 and "annotations.checksum/scripts" in computed[0]
    assert "values.postgresql.auth.database" in computed[0]


@needs_helm
def test_chart_defaults_become_keys_when_asked() -> None:
    result = import_helm(SHOP, values=[SHOP_VALUES], target=SANDBOX_LIKE, chart_defaults=True)
    assert result.config["values.postgresql.image.tag"] == "16.2.0"  # the subchart's default
    assert result.config["values.api.port"] == 8080
    (pg, _) = _objects(result, "postgresql")
    image = pg["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "${values.postgresql.image.repository}:${values.postgresql.image.tag}"
    assert any(line.startswith("chart defaults: ") for line in result.report)


# -- 5. generated secrets ------------------------------------------------------------------


@needs_helm
def test_random_secret_data_becomes_a_generated_secret_key(shop: ImportResult) -> None:
    assert shop.config[PASSWORD_KEY] == GENERATE
    (secret,) = _objects(shop, "shared")
    assert secret["stringData"] == {"postgres-password": f"${{{PASSWORD_KEY}}}"}
    assert "data" not in secret
    template = parse_template(shop.files)

    def password(app: str, namespace: str) -> str:
        rendered = render_app(template, {}, app=app, namespace=namespace, hash_key=b"k" * 32)
        (obj,) = rendered.services["shared"].objects
        return str(obj["stringData"]["postgres-password"])

    assert password("shop", "dev") == password("shop", "dev")
    assert password("shop", "dev") != password("shop", "prod")
    chosen = render_app(
        template,
        {PASSWORD_KEY: SecretValue("s3cret")},
        app="shop",
        namespace="dev",
        hash_key=b"k" * 32,
    )
    assert chosen.services["shared"].objects[0]["stringData"]["postgres-password"] == "s3cret"


# -- on the sandbox: import for the environment, deploy, all Ready, a tag rolls one ------


@dataclass(frozen=True)
class Deployed:
    files: dict[str, str]
    namespace: str
    kubeconfig: Path
    first: dict[str, str]
    second: dict[str, str]


@pytest.fixture(scope="module")
def deployed(
    sandbox_cluster: sandbox.SandboxState, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployed]:
    """``kapstan import helm --env`` (the CLI asks the env's cluster), deploy, a tag, deploy."""
    require_helm()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KAPSTAN_SECRET_KEY", generate_key())
        patch.setenv("KAPSTAN_USER", "tester")
        db = f"sqlite:///{tmp_path_factory.mktemp('helm') / 'kapstan.db'}"
        store = Store.open(db)
        namespace = f"helm-{uuid.uuid4().hex[:8]}"
        store.create_environment(
            namespace,
            kubeconfig=str(sandbox_cluster.kubeconfig),
            context=None,
            namespace=namespace,
            config=None,
        )
        argv = ["--db", db, "import", "helm", str(SHOP), "-f", str(SHOP_VALUES), "-e", namespace]
        assert main([*argv, "-o", "json"]) == 0
        files = dict(store.get_template("shop").files)
        create_app(store, "shop", template=Ref("shop"), environment=namespace, author="tester")
        options = DeployOptions(timeout=120)
        first = deploy_app(store, "shop", author="tester", options=options)
        assert first.outcome.ok, first.operation
        configs.set_values(store, "shop", {"values.worker.image.tag": "2.4.2"}, author="tester")
        update_app(store, "shop")
        second = deploy_app(store, "shop", author="tester", options=options)
        assert second.outcome.ok, second.operation
        try:
            yield Deployed(
                files,
                namespace,
                sandbox_cluster.kubeconfig,
                {n: s.step.value for n, s in first.outcome.services.items()},
                {n: s.step.value for n, s in second.outcome.services.items()},
            )
        finally:
            store.close()


def _live(deployed: Deployed, api: str, kind: str, name: str) -> dict[str, Any]:
    with connect(deployed.kubeconfig) as cluster:
        found = cluster.get(api, kind, name, deployed.namespace)
    assert found is not None, f"{kind} {name}"
    return found


@pytest.mark.cluster
def test_every_service_becomes_ready_and_a_tag_change_rolls_one(deployed: Deployed) -> None:
    services = {"shared", "api", "worker", "postgresql", "schema", "migrate", "warm-cache"}
    assert set(deployed.first) == services
    assert set(deployed.first.values()) == {"ready"}, deployed.first
    rolled = {n for n, step in deployed.second.items() if step != "unchanged"}
    assert rolled == {"worker"}, deployed.second


@pytest.mark.cluster
def test_rendered_for_the_environments_cluster(deployed: Deployed) -> None:
    with connect(deployed.kubeconfig) as cluster:
        version = cluster.version()
    scripts = _live(deployed, "v1", "ConfigMap", "shop-scripts")
    assert scripts["data"]["RENDERED_FOR"] == version
    assert _live(deployed, "policy/v1", "PodDisruptionBudget", "shop-api")


@pytest.mark.cluster
def test_hosts_name_the_environments_namespace(deployed: Deployed) -> None:
    scripts = _live(deployed, "v1", "ConfigMap", "shop-scripts")
    host = f"shop-postgresql.{deployed.namespace}.svc.cluster.local"
    assert host in scripts["data"]["DATABASE_URL"]
    assert host in scripts["data"]["wait-for-db.sh"]


@pytest.mark.cluster
def test_hook_jobs_ran_and_no_test_pod(deployed: Deployed) -> None:
    for name in ("shop-schema", "shop-migrate", "shop-warm-cache"):
        job = _live(deployed, "batch/v1", "Job", name)
        assert (job.get("status") or {}).get("succeeded") == 1, name
    with connect(deployed.kubeconfig) as cluster:
        pods = cluster.list("v1", "Pod", deployed.namespace)
    assert not [p for p in pods if "-test" in p["metadata"]["name"]]


@pytest.mark.cluster
def test_the_generated_password_is_the_environments_own(deployed: Deployed) -> None:
    secret = _live(deployed, "v1", "Secret", "shop-postgresql")
    password = secret["data"]["postgres-password"]
    assert password and password not in "\n".join(deployed.files.values())
