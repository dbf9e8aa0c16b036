"""Plain manifests import: grouping by workload, inferred dependencies, config keys, report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kapstan.errors import InputError
from kapstan.importers import ImportResult, import_manifests
from kapstan.templates.parser import parse_template
from tests.importers.conftest import MANIFESTS, golden


@pytest.fixture(scope="module")
def result() -> ImportResult:
    return import_manifests(MANIFESTS, name="shop")


def test_each_workload_is_a_service_with_what_belongs_to_it(result: ImportResult) -> None:
    template = parse_template(result.files)
    assert set(template.services) == {
        "shared",
        "catalog",
        "orders",
        "payments",
        "frontend",
        "notifier",
        "node-agent",
        "search",
        "postgres",
        "redis",
        "rabbitmq",
        "db-migrate",
        "cleanup",
    }
    kinds = {
        name: sorted(f"{d.kind}/{json.loads(d.skeleton)['metadata']['name']}" for d in s.documents)
        for name, s in template.services.items()
    }
    assert kinds["catalog"] == [
        "Deployment/catalog",
        "HorizontalPodAutoscaler/catalog",
        "Service/catalog",
    ]
    assert kinds["frontend"] == ["Deployment/frontend", "Ingress/shop", "Service/frontend"]
    assert kinds["orders"] == ["Deployment/orders", "Service/orders", "ServiceAccount/orders"]
    assert kinds["payments"] == [
        "ConfigMap/payments-config",
        "Deployment/payments",
        "Service/payments",
    ]
    assert kinds["postgres"] == [
        "PersistentVolumeClaim/postgres-data",
        "Service/postgres",
        "StatefulSet/postgres",
    ]
    assert kinds["shared"] == [
        "ConfigMap/feature-flags",
        "ConfigMap/shop-common",
        "Secret/postgres-auth",
    ]


def test_dependencies_are_inferred_from_values_naming_services(result: ImportResult) -> None:
    template = parse_template(result.files)
    deps = {name: s.depends_on for name, s in template.services.items()}
    assert deps["catalog"] == ("shared", "postgres", "redis", "search")  # URL, FQDN, ConfigMap
    assert deps["orders"] == ("shared", "postgres", "rabbitmq", "catalog", "search")
    assert deps["frontend"] == ("catalog", "orders")  # catalog.shop.svc:80, http://orders
    assert deps["payments"] == ("orders",)  # ORDERS_SERVICE=orders; MODE=worker is no address
    assert deps["notifier"] == ("rabbitmq",)  # smtp.example.com:25 is outside
    assert deps["db-migrate"] == ("postgres",) and deps["cleanup"] == ("redis",)
    assert template.services["frontend"].calls == ("catalog", "orders")


def test_tags_replicas_and_repeated_values_become_config_keys(result: ImportResult) -> None:
    assert result.config["catalog.image.tag"] == "2.4.1"
    assert result.config["orders.metrics.image.tag"] == "v0.26.0"
    assert result.config["catalog.replicas"] == 3
    assert result.config["catalog.env.LOG_LEVEL"] == "info"  # equal by chance: not shared
    assert "node-agent.replicas" not in result.config
    catalog = result.files["services/catalog.yaml"]
    assert 'image: "registry.example.com/shop/catalog:${catalog.image.tag}"' in catalog
    assert "replicas: ${catalog.replicas}" in catalog
    assert 'value: "${catalog.env.LOG_LEVEL}"' in catalog
    assert "home = $${HOME}" in result.files["services/payments.yaml"]  # literal stays literal


@pytest.mark.parametrize("path", ["kapstan.yaml", "services/catalog.yaml", "services/shared.yaml"])
def test_translation_matches_golden_text(result: ImportResult, path: str) -> None:
    name = "manifests_" + path.replace("/", "_")
    assert result.files[path] == golden(name, result.files[path])


def test_report_matches_golden_text(result: ImportResult) -> None:
    text = "\n".join(result.report) + "\n"
    assert text == golden("manifests_report.txt", text)
    assert "cluster/rbac.yaml:1: Namespace shop: not imported: cluster-scoped" in text
    assert (
        "apps/common.yaml:8: ConfigMap feature-flags: used by no workload: put in service shared"
        in text
    )
    assert "data/postgres.yaml:1: StatefulSet postgres: namespace shop removed" in text


def test_a_single_file(tmp_path: Path) -> None:
    result = import_manifests(MANIFESTS / "data" / "redis.yaml")
    assert result.name == "redis" and result.services == ("redis",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: Deployment\nmetadata: {name: a\n", "x.yaml:3:1: YAML syntax error"),
        (
            "apiVersion: v1\nkind: Service\nmetadata: {}\n",
            "x.yaml:1: Service without metadata.name",
        ),
        ("- a\n", "x.yaml:1: a manifest must be a mapping"),
        ("apiVersion: v1\nmetadata: {name: a}\n", "x.yaml:1: missing kind"),
    ],
)
def test_bad_manifests_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "x.yaml").write_text(text)
    with pytest.raises(InputError) as caught:
        import_manifests(tmp_path)
    assert message.replace("x.yaml", str(tmp_path / "x.yaml")) in str(caught.value)


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no \.yaml or \.yml files"):
        import_manifests(tmp_path)
