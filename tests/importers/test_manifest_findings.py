"""Issue 13, manifests: a multi-service demo published as one file, imported and deployed.

One import (fast tests read it), one deploy on the sandbox (all services Ready) and one tag
change that must roll exactly one service; each finding has its own test function.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from kapstan import sandbox
from kapstan.actions.deploying import DeployResult, deploy_app
from kapstan.actions.templates import save_files
from kapstan.engine.deploy import DeployOptions
from kapstan.errors import InputError
from kapstan.importers import ImportResult, import_manifests
from kapstan.importers.equivalence import differences
from kapstan.kube import connect
from kapstan.model.operation import Step
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from kapstan.templates.exporter import write_template_dir
from kapstan.templates.parser import parse_template
from tests.importers.conftest import FIXTURES, MANIFESTS

GIFT_SHOP = FIXTURES / "onefile" / "gift-shop.yaml"
NEW_TAG = "v0.9.3"


@pytest.fixture(scope="module")
def gift_shop() -> ImportResult:
    return import_manifests(GIFT_SHOP)


@dataclass(frozen=True)
class Deployed:
    store: Store
    kubeconfig: Path
    namespace: str
    first: DeployResult
    tag_change: DeployResult


@pytest.fixture(scope="module")
def deployed(
    sandbox_cluster: sandbox.SandboxState,
    gift_shop: ImportResult,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployed]:
    """The import deployed once, then ``basket.image.tag`` changed and deployed again."""
    namespace = f"gifts-{uuid.uuid4().hex[:6]}"
    name = gift_shop.name
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KAPSTAN_SECRET_KEY", generate_key())
        store = Store.open(str(tmp_path_factory.mktemp("gifts") / "kapstan.db"))
        version = save_files(store, gift_shop.files, author="tester").version
        store.create_config(name, {}, author="tester")
        kubeconfig = str(sandbox_cluster.kubeconfig)
        store.create_environment(
            namespace, kubeconfig=kubeconfig, context=None, namespace=namespace, config=None
        )
        store.create_application(
            name,
            template=name,
            template_version=version.version,
            environment=namespace,
            config=name,
            config_version=None,
        )
        options = DeployOptions(timeout=120)
        first = deploy_app(store, name, author="tester", options=options)
        store.add_config_version(name, {"basket.image.tag": NEW_TAG}, author="tester")
        second = deploy_app(store, name, author="tester", options=options)
        try:
            yield Deployed(store, sandbox_cluster.kubeconfig, namespace, first, second)
        finally:
            store.close()


def _steps(result: DeployResult) -> dict[str, Step]:
    return {name: s.step for name, s in result.outcome.services.items()}


def _live(d: Deployed, kind: str, name: str) -> dict[str, object]:
    api = "apps/v1" if kind == "Deployment" else "v1"
    with connect(d.kubeconfig) as cluster:
        obj = cluster.get(api, kind, name, d.namespace)
    assert obj is not None, f"{kind} {name} not in {d.namespace}"
    return obj


def _env(deployment: dict[str, object]) -> dict[str, str]:
    pod = deployment["spec"]["template"]["spec"]  # type: ignore[index]
    return {e["name"]: e.get("value", "") for e in pod["containers"][0].get("env") or []}


def test_every_service_is_ready_then_a_tag_change_rolls_one_service(deployed: Deployed) -> None:
    assert deployed.first.outcome.ok, deployed.first.outcome.services
    assert set(_steps(deployed.first).values()) == {Step.READY}
    assert len(deployed.first.outcome.services) == 11
    steps = _steps(deployed.tag_change)
    assert steps.pop("basket") == Step.READY
    assert set(steps.values()) == {Step.UNCHANGED}
    basket = _live(deployed, "Deployment", "basket")
    image = basket["spec"]["template"]["spec"]["containers"][0]["image"]  # type: ignore[index]
    assert image == f"registry.example.com/gifts/basket:{NEW_TAG}"


# Finding: coincidentally equal literals became one shared key (shared.env.PORT=8080).


def test_equal_values_are_shared_only_when_they_name_the_same_service(
    gift_shop: ImportResult,
) -> None:
    config = gift_shop.config
    assert "shared.env.PORT" not in config and "shared.env.DISABLE_PROFILER" not in config
    assert config["storefront.env.PORT"] == config["pricing.env.PORT"] == "8080"
    assert config["mailer.env.PORT"] == "8080"
    assert config["payments.env.DISABLE_PROFILER"] == "1"
    assert config["shared.env.BASKET_ADDR"] == "basket:7070"  # both name service basket
    for service in ("storefront", "checkout"):
        assert "${shared.env.BASKET_ADDR}" in gift_shop.files[f"services/{service}.yaml"]
    assert "${pricing.env.PORT}" in gift_shop.files["services/pricing.yaml"]
    assert (
        "env PORT: the value '8080' is set in storefront, mailer, pricing but names no service: "
        "not shared (equal by coincidence), made per-service config keys storefront.env.PORT, "
        "mailer.env.PORT, pricing.env.PORT"
    ) in gift_shop.report


def test_per_service_and_shared_keys_reach_the_pods(
    deployed: Deployed, gift_shop: ImportResult
) -> None:
    for service, name, key in (
        ("pricing", "PORT", "pricing.env.PORT"),
        ("checkout", "BASKET_ADDR", "shared.env.BASKET_ADDR"),
    ):
        assert f"${{{key}}}" in gift_shop.files[f"services/{service}.yaml"]
        assert _env(_live(deployed, "Deployment", service))[name] == gift_shop.config[key]


def test_two_values_of_one_variable_in_one_workload_keep_their_meaning(tmp_path: Path) -> None:
    docs = [_deployment(name, "Deployment") for name in ("one", "two", "three")]
    env = {
        "one": [("main", "8080"), ("side", "9090")],
        "two": [("main", "8080")],
        "three": [("main", "9090")],
    }
    for doc in docs:
        name = doc["metadata"]["name"]  # type: ignore[index]
        pod = doc["spec"]["template"]["spec"]  # type: ignore[index]
        pod["containers"] = [
            {"name": c, "image": "example.com/app:1", "env": [{"name": "PORT", "value": v}]}
            for c, v in env[name]
        ]
    (tmp_path / "ports.yaml").write_text(yaml.safe_dump_all(docs))
    result = import_manifests(tmp_path / "ports.yaml")
    assert result.config["one.env.PORT"] == "8080" and result.config["three.env.PORT"] == "9090"
    assert "value: '9090'" in result.files["services/one.yaml"]  # not ${one.env.PORT}
    assert result.differences == ()  # the proof: every container still gets its own value


# Finding: dependencies were inferred from env values only, not args and commands.


def test_dependencies_come_from_args_and_commands_too(gift_shop: ImportResult) -> None:
    services = parse_template(gift_shop.files).services
    assert services["basket"].depends_on == ("cache",)  # --cache-server=tcp://cache:6379
    assert services["promos"].depends_on == ("catalog",)  # --catalog catalog:3550
    assert (
        "gift-shop.yaml:53: Deployment basket: dependsOn and calls cache inferred from "
        "command line --cache-server=tcp://cache:6379"
    ) in gift_shop.report


def test_a_service_named_on_a_command_line_is_ready_first(deployed: Deployed) -> None:
    events = [
        (e.service, e.status)
        for e in deployed.store.get_operation(deployed.first.operation.id).events
    ]
    for service, dependency in (("basket", "cache"), ("promos", "catalog")):
        applied = min(i for i, e in enumerate(events) if e == (service, "applied"))
        healthy = max(i for i, e in enumerate(events) if e == (dependency, "healthy"))
        assert healthy < applied, f"{service} applied before {dependency} was healthy"


# Finding: a user's Deployment named `shared` was renamed without a report line.


def test_every_rename_is_reported(gift_shop: ImportResult) -> None:
    assert "shared-deployment" in gift_shop.services
    assert (
        "gift-shop.yaml:207: Deployment shared: service named shared-deployment, not shared: "
        "shared is the service that holds objects several workloads use (the objects keep "
        "their names)"
    ) in gift_shop.report


def test_other_renames_are_reported(tmp_path: Path) -> None:
    docs = [
        _deployment("db", "Deployment"),
        _deployment("db", "StatefulSet"),
        _deployment("web.v2", "Deployment"),
    ]
    (tmp_path / "My App.yaml").write_text(yaml.safe_dump_all(docs))
    result = import_manifests(tmp_path / "My App.yaml")
    assert result.services == ("db", "db-statefulset", "web-v2")
    renames = [line for line in result.report if "service named" in line or "template" in line]
    assert renames == [
        "template My App: named my-app: a template name must be a DNS label",
        "My App.yaml:17: StatefulSet db: service named db-statefulset, not db: "
        "another workload is already service db (the objects keep their names)",
        "My App.yaml:33: Deployment web.v2: service named web-v2, not web.v2: "
        "a service name must be a DNS label (the objects keep their names)",
    ]


def test_the_renamed_service_deploys_its_objects_under_their_own_names(
    deployed: Deployed, gift_shop: ImportResult
) -> None:
    assert any("Deployment shared: service named shared-deployment" in r for r in gift_shop.report)
    live = _live(deployed, "Deployment", "shared")
    labels = live["metadata"]["labels"]  # type: ignore[index]
    assert labels["kapstan.io/service"] == "shared-deployment"


# Finding: `import manifests` on a Kapstan template said `kapstan.yaml:1: missing apiVersion`.


@pytest.mark.parametrize("given", [".", "kapstan.yaml", ".."])
def test_a_kapstan_template_is_named_as_one(
    gift_shop: ImportResult, tmp_path: Path, given: str
) -> None:
    folder = tmp_path / "repo" / "exported"
    write_template_dir(gift_shop.files, folder)
    with pytest.raises(InputError) as caught:
        import_manifests(folder / given if given != ".." else folder.parent)
    message = str(caught.value)
    assert "is a Kapstan template" in message and "missing apiVersion" not in message
    assert f"kapstan template import {folder}`" in message


# Proof of equivalence: the rendered template against the input manifests.


def test_manifests_proof_reports_exactly_what_differs(gift_shop: ImportResult) -> None:
    assert gift_shop.differences == ()
    assert len(gift_shop.source_objects) == 21
    shop = import_manifests(MANIFESTS, name="shop")
    assert shop.differences == (
        "ClusterRole/shop-reader: only in the source",
        "Namespace/shop: only in the source",
    )


def test_what_runs_is_what_the_manifests_say(deployed: Deployed, gift_shop: ImportResult) -> None:
    """The live objects, compared like the proof compares, differ from the source by the tag."""
    with connect(deployed.kubeconfig) as cluster:
        live = [
            cluster.get(o["apiVersion"], o["kind"], o["metadata"]["name"], deployed.namespace)
            for o in gift_shop.source_objects
        ]
    found = [str(d) for d in differences(gift_shop.source_objects, [o for o in live if o])]
    assert found == [
        "Deployment/basket: spec.template.spec.containers[server].image: "
        'source "registry.example.com/gifts/basket:v0.9.2", '
        f'template "registry.example.com/gifts/basket:{NEW_TAG}"'
    ]


def _deployment(name: str, kind: str) -> dict[str, object]:
    labels = {"app": f"{name}-{kind.lower()}"}
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "main", "image": "example.com/app:1"}]},
            },
        },
    }
