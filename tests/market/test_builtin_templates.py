"""Every built-in template parses, renders with what install gives it, passes the `reject`
resource policy, probes its long-running containers and documents every key it uses."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kapstan.market.catalogs import MarketTemplate, builtin_catalog, templates_of
from kapstan.model.rendered import RenderedApp
from kapstan.model.values import SecretValue, Value
from kapstan.plan import policy
from kapstan.plan.graph import graph_of, waves
from kapstan.plan.graphviews import format_text
from kapstan.render.configdelivery import pod_templates
from kapstan.render.render import render_app
from kapstan.render.variables import default_config, extract_variables, required_keys
from kapstan.templates.loader import load_template_dir

BUILTIN = {t.name: t for t in templates_of(builtin_catalog())}
LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet")
EXPECTED = ("postgresql", "redis", "rabbitmq", "nginx", "three-tier", "demo-shop")
parametrize = pytest.mark.parametrize("name", sorted(BUILTIN))


def _render(entry: MarketTemplate) -> RenderedApp:
    template = load_template_dir(entry.path)
    values: dict[str, Value] = dict(default_config(template))
    values.update({k: SecretValue("s3cret") for k in entry.secrets})
    return render_app(
        template, values, app="app", namespace="ns", hash_key=b"unit test checksum key"
    )


def _containers(rendered: RenderedApp, kinds: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for service in rendered.services.values():
        for obj in service.objects:
            if obj["kind"] in kinds:
                for pod in pod_templates(obj):
                    for c in pod["spec"]["containers"]:
                        out.append((f"{service.name}/{obj['kind']} {obj['metadata']['name']}", c))
    return out


def test_the_catalog_has_the_promised_templates_each_described() -> None:
    assert set(EXPECTED) <= set(BUILTIN)
    for entry in BUILTIN.values():
        assert entry.description, entry.name
        assert entry.readme.is_file(), entry.name


@parametrize
def test_parses_under_its_directory_name_and_renders_with_install_values(name: str) -> None:
    entry = BUILTIN[name]
    template = load_template_dir(entry.path)
    assert template.name == name
    rendered = _render(entry)
    assert set(rendered.services) == set(template.services)
    missing = set(required_keys(template)) - set(entry.secrets)
    assert not missing, f"keys with no default that install would not set: {missing}"


@parametrize
def test_index_secrets_are_keys_the_template_delivers(name: str) -> None:
    entry = BUILTIN[name]
    template = load_template_dir(entry.path)
    delivered = {k for s in template.services.values() for k in s.delivered_keys}
    assert set(entry.secrets) <= delivered


@parametrize
def test_every_container_has_requests_and_limits(name: str) -> None:
    rendered = _render(BUILTIN[name])
    found = policy.violations(list(rendered.services.values()))
    assert found == [], [v.describe() for v in found]
    assert policy.enforce("reject", found) == []


@parametrize
def test_every_long_running_container_has_readiness_and_liveness_probes(name: str) -> None:
    containers = _containers(_render(BUILTIN[name]), LONG_RUNNING)
    assert containers
    for where, c in containers:
        assert "readinessProbe" in c and "livenessProbe" in c, f"{where} container {c['name']}"


@parametrize
def test_the_readme_documents_every_key(name: str) -> None:
    entry = BUILTIN[name]
    readme = entry.readme.read_text()
    keys = [v.key for v in extract_variables(load_template_dir(entry.path))]
    undocumented = [k for k in keys if not re.search(rf"`{re.escape(k)}`", readme)]
    assert undocumented == []


@parametrize
def test_autoscaled_workloads_leave_replicas_to_the_autoscaler(name: str) -> None:
    rendered = _render(BUILTIN[name])
    for service in rendered.services.values():
        if service.settings.autoscaling is None:
            continue
        workloads = [o for o in service.objects if o["kind"] in LONG_RUNNING]
        assert all("replicas" not in o["spec"] for o in workloads), service.name


def test_data_stores_keep_their_data_on_volume_claims_and_passwords_in_secrets() -> None:
    for name, store in (("postgresql", "postgresql"), ("rabbitmq", "rabbitmq")):
        objects = _render(BUILTIN[name]).services[store].objects
        sts = next(o for o in objects if o["kind"] == "StatefulSet")
        assert sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
        secret = next(o for o in objects if o["kind"] == "Secret")
        assert secret["stringData"] == {f"{name}.password": "s3cret"}
    postgres = _render(BUILTIN["postgresql"]).services["postgresql"].objects
    headless = next(o for o in postgres if o["kind"] == "Service")
    assert headless["spec"]["clusterIP"] == "None"


def test_nginx_gets_its_config_as_a_file_and_an_ingress_only_with_a_host() -> None:
    entry = BUILTIN["nginx"]
    template = load_template_dir(entry.path)
    values: dict[str, Value] = dict(default_config(template))
    kinds = {
        o["kind"]
        for o in render_app(
            template, values, app="a", namespace="n", hash_key=b"unit test checksum key"
        )
        .services["nginx"]
        .objects
    }
    assert {"Deployment", "Service", "ConfigMap"} <= kinds and "Ingress" not in kinds
    values["nginx.expose.host"] = "www.example.com"
    objects = (
        render_app(template, values, app="a", namespace="n", hash_key=b"unit test checksum key")
        .services["nginx"]
        .objects
    )
    ingress = next(o for o in objects if o["kind"] == "Ingress")
    assert ingress["spec"]["rules"][0]["host"] == "www.example.com"
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    mounts = deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert mounts[0]["mountPath"] == "/etc/nginx/conf.d"


def test_demo_shop_graph_is_four_waves_with_a_migration_job_and_an_exposed_gateway() -> None:
    template = load_template_dir(BUILTIN["demo-shop"].path)
    graph = graph_of(template)
    assert [sorted(w) for w in waves(graph)] == [
        ["postgres", "rabbitmq", "redis"],
        ["cart", "migrations", "notifications"],
        ["catalog", "inventory", "orders", "payments"],
        ["gateway"],
    ]
    assert re.search(r"gateway +\(depends on: catalog, cart, orders;", format_text(graph))
    rendered = _render(BUILTIN["demo-shop"])
    app_services = [s for s in template.services if s != "migrations"]
    assert len(app_services) == 10
    assert {o["kind"] for o in rendered.services["migrations"].objects} >= {"Job"}
    gateway = {o["kind"] for o in rendered.services["gateway"].objects}
    assert {"Ingress", "HorizontalPodAutoscaler", "Service"} <= gateway
    autoscaled = {s for s, spec in template.services.items() if spec.settings.autoscaling}
    assert autoscaled == {"catalog", "cart", "orders", "gateway"}
    assert "Service" not in {o["kind"] for o in rendered.services["notifications"].objects}


def test_a_dependency_rename_is_followed_through_its_config_key() -> None:
    entry = BUILTIN["demo-shop"]
    template = load_template_dir(entry.path)
    values: dict[str, Value] = dict(default_config(template))
    values.update({k: SecretValue("x") for k in entry.secrets})
    values["orders.payments.host"] = "billing"
    objects = (
        render_app(template, values, app="a", namespace="n", hash_key=b"unit test checksum key")
        .services["orders"]
        .objects
    )
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    env = {
        e["name"]: e.get("value")
        for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["PAYMENTS_URL"] == "http://billing:8080"
