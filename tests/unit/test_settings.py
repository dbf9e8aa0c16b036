"""Service settings: strategy, autoscaling, exposure, from kapstan.yaml and config keys."""

from __future__ import annotations

from typing import Any

import pytest

from kapstan.errors import InputError
from kapstan.plan.changes import detect_changes
from kapstan.render.render import render_app
from kapstan.templates.loader import parse_template

API = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: api:1, ports: [{containerPort: 8080}]}]
"""


def _template(settings: str) -> dict[str, str]:
    return {
        "kapstan.yaml": f"name: t\nservices:\n  api:\n    manifests: [api.yaml]\n{settings}",
        "api.yaml": API,
    }


def _render(settings: str, values: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    rendered = render_app(
        parse_template(_template(settings)),
        values or {},
        app="shop",
        namespace="dev",
        hash_key=None,
    )
    return {o["kind"]: o for o in rendered.services["api"].objects}


def test_autoscaling_generates_an_hpa_for_the_workload() -> None:
    objs = _render("    autoscaling: {min: 2, max: 6, cpu: 70, memory: 80}\n")
    hpa = objs["HorizontalPodAutoscaler"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "api",
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 6)
    targets = {
        m["resource"]["name"]: m["resource"]["target"]["averageUtilization"]
        for m in hpa["spec"]["metrics"]
    }
    assert targets == {"cpu": 70, "memory": 80}
    assert hpa["metadata"]["labels"]["kapstan.io/service"] == "api", (
        "generated objects are labelled too"
    )


def test_config_keys_override_settings_per_environment_and_count_as_inputs() -> None:
    settings = "    autoscaling: {min: 2, max: 6}\n    expose: {type: ClusterIP}\n"
    objs = _render(
        settings,
        {"api.autoscaling.max": 20, "api.expose.type": "NodePort", "api.expose.host": "a.test"},
    )
    assert objs["HorizontalPodAutoscaler"]["spec"]["maxReplicas"] == 20
    assert objs["Service"]["spec"]["type"] == "NodePort"
    assert objs["Ingress"]["spec"]["rules"][0]["host"] == "a.test"
    template = parse_template(_template(settings))
    old = render_app(template, {}, app="shop", namespace="dev", hash_key=None)
    new = render_app(
        template, {"api.autoscaling.max": 9}, app="shop", namespace="dev", hash_key=None
    )
    [change] = detect_changes(old, new)
    assert change.service == "api" and change.keys == ("api.autoscaling.max",)


def test_expose_generates_a_service_routed_to_the_container_port_and_an_ingress() -> None:
    objs = _render(
        "    expose: {type: LoadBalancer, port: 80, host: shop.example.test, path: /api}\n"
    )
    svc = objs["Service"]
    assert svc["metadata"]["name"] == "api"
    assert svc["spec"]["selector"] == {"app": "api"}
    assert svc["spec"]["type"] == "LoadBalancer"
    assert svc["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": 8080}]
    path = objs["Ingress"]["spec"]["rules"][0]["http"]["paths"][0]
    assert path["path"] == "/api" and path["backend"]["service"] == {
        "name": "api",
        "port": {"number": 80},
    }


def test_recreate_strategy_sets_the_deployment_strategy() -> None:
    assert _render("    strategy: recreate\n")["Deployment"]["spec"]["strategy"] == {
        "type": "Recreate"
    }
    assert "strategy" not in _render("")["Deployment"]["spec"]


@pytest.mark.parametrize(
    ("settings", "values", "message"),
    [
        (
            "    strategy: canary\n",
            {},
            r"kapstan.yaml:4:\d+: service 'api': strategy must be one of rolling, recreate",
        ),
        (
            "    autoscaling: {min: 5, max: 2}\n",
            {},
            r"autoscaling.max \(2\) is below autoscaling.min \(5\)",
        ),
        ("    autoscaling: {min: two}\n", {}, r"autoscaling.min must be a whole number, not 'two'"),
        (
            "    expose: {type: Public}\n",
            {},
            r"expose.type must be one of ClusterIP, NodePort, LoadBalancer",
        ),
        ("    expose: {tpye: NodePort}\n", {}, r"unknown field 'tpye' in expose"),
        (
            "    autoscaling: {max: 3}\n",
            {"api.autoscaling.max": "lots"},
            r"config keys api.autoscaling.max\).*autoscaling.max must be a whole number, not 'lots'",
        ),
    ],
)
def test_bad_settings_are_named(settings: str, values: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        _render(settings, values)
