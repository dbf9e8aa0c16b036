"""Blue-green on the real sandbox: the switch happens only after the new colour is healthy,
never when it is not, and a rollback is an instant switch back to the old colour."""

from __future__ import annotations

from typing import Any

import pytest

from kapstan.actions.deploying import deploy_app, rollback_app
from kapstan.engine.bluegreen import COLOR_LABEL, RETIRE_ANNOTATION
from kapstan.engine.deploy import DeployOptions
from kapstan.kube import connect
from kapstan.model.operation import Step
from tests.clocks import ShiftedClock
from tests.engine.conftest import KAPSTAN_YAML, Shop

pytestmark = pytest.mark.cluster

BLUE_GREEN = KAPSTAN_YAML.replace(
    "    dependsOn: [api]\n    calls: [api]\n",
    "    dependsOn: [api]\n    calls: [api]\n    strategy: blue-green\n${checks}",
)
WEB_WITH_SERVICE = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels:
        app: web
        kapstan.io/sandbox-fault: "${web.fault:-none}"
    spec:
      containers: [{name: web, image: "shop/web:${web.tag:-1.0}", ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""


def _blue_green(shop: Shop, checks: str = "") -> None:
    shop.import_template(
        **{"kapstan.yaml": BLUE_GREEN.replace("${checks}", checks), "web.yaml": WEB_WITH_SERVICE}
    )
    shop.follow_latest()


def _live(shop: Shop, kind: str, name: str) -> dict[str, Any] | None:
    api = "v1" if kind == "Service" else "apps/v1"
    with connect(shop.kubeconfig) as cluster:
        return cluster.get(api, kind, name, shop.namespace)


def _pod_uids(shop: Shop, color: str) -> set[str]:
    with connect(shop.kubeconfig) as cluster:
        pods = cluster.list("v1", "Pod", shop.namespace, labels={"app": "web", COLOR_LABEL: color})
    return {p["metadata"]["uid"] for p in pods if not p["metadata"].get("deletionTimestamp")}


def _selected_color(shop: Shop) -> str:
    svc = _live(shop, "Service", "web")
    assert svc is not None
    return str(svc["spec"]["selector"][COLOR_LABEL])


def test_switch_happens_after_the_new_color_is_ready_and_rollback_switches_back(shop: Shop) -> None:
    _blue_green(shop)
    first = deploy_app(shop.store, shop.app, author="alice")
    assert first.outcome.ok, first.outcome.services
    assert _selected_color(shop) == "blue"
    assert _live(shop, "Deployment", "web") is None, "the colourless name is never used"

    shop.set_config(**{"web.tag": "2.0"})
    second = deploy_app(shop.store, shop.app, author="alice")
    assert second.outcome.services["web"].step is Step.READY
    assert _selected_color(shop) == "green"
    events = [
        (e.status, e.resource)
        for e in shop.store.get_operation(second.operation.id).events
        if e.service == "web"
    ]
    switched = events.index(next(e for e in events if e[0] == "switched"))
    green_healthy = max(i for i, e in enumerate(events) if e == ("healthy", "Deployment web-green"))
    assert green_healthy < switched, "the Service switches only once green is healthy"
    blue = _live(shop, "Deployment", "web-blue")
    assert blue is not None and blue["spec"]["replicas"] == 2, (
        "the old colour stays up for a rollback"
    )
    assert RETIRE_ANNOTATION in blue["metadata"]["annotations"]
    blue_pods = _pod_uids(shop, "blue")
    assert len(blue_pods) == 2

    back = rollback_app(shop.store, shop.app, author="alice", service="web")
    assert back.outcome.services["web"].step is Step.READY
    assert _selected_color(shop) == "blue"
    assert _pod_uids(shop, "blue") == blue_pods, "the same pods serve again: an instant switch back"
    blue_after = _live(shop, "Deployment", "web-blue")
    assert blue_after is not None
    image = blue_after["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "shop/web:1.0"


def test_no_switch_when_the_new_color_never_becomes_ready(shop: Shop) -> None:
    _blue_green(shop)
    deploy_app(shop.store, shop.app, author="alice")
    shop.set_config(**{"web.fault": "never-ready", "web.tag": "2.0"})
    result = deploy_app(shop.store, shop.app, author="alice", options=DeployOptions(timeout=5))
    assert result.outcome.services["web"].step is Step.FAILED
    assert _selected_color(shop) == "blue", "traffic stays on the healthy colour"
    assert not any(
        e.status == "switched" for e in shop.store.get_operation(result.operation.id).events
    )


def test_no_switch_when_the_http_health_check_fails(shop: Shop) -> None:
    # kwok's fake pods serve no HTTP, so the check through the apiserver's proxy must fail.
    _blue_green(
        shop, "    blueGreen: {keepOldSeconds: 0, healthCheck: {path: /healthz, port: 8080}}\n"
    )
    deploy_app(shop.store, shop.app, author="alice")
    shop.set_config(**{"web.tag": "2.0"})
    result = deploy_app(shop.store, shop.app, author="alice", options=DeployOptions(timeout=30))
    web = result.outcome.services["web"]
    assert web.step is Step.FAILED
    assert "is ready but failed its health check" in web.message
    assert "the Services still point at blue" in web.message
    assert _selected_color(shop) == "blue"
    checks = [
        e
        for e in shop.store.get_operation(result.operation.id).events
        if e.status == "health-check"
    ]
    assert checks and "GET /healthz on pod web-green-" in checks[0].message


def test_the_old_color_is_scaled_down_once_its_time_is_up(shop: Shop) -> None:
    _blue_green(shop, "    blueGreen: {keepOldSeconds: 60}\n")
    clock = ShiftedClock()
    deploy_app(shop.store, shop.app, author="alice", clock=clock)  # blue
    shop.set_config(**{"web.tag": "2.0"})
    deploy_app(shop.store, shop.app, author="alice", clock=clock)  # green; blue kept for 60 s
    blue = _live(shop, "Deployment", "web-blue")
    assert blue is not None and blue["spec"]["replicas"] == 2
    shop.set_config(**{"api.tag": "2.0"})  # the next operation on the app, not on web's content
    forced = DeployOptions(force=True)
    early = deploy_app(
        shop.store, shop.app, author="alice", services=["web"], options=forced, clock=clock
    )
    assert early.outcome.ok
    blue = _live(shop, "Deployment", "web-blue")
    assert blue is not None and blue["spec"]["replicas"] == 2, "kept until its time is up"
    clock.advance(61)
    result = deploy_app(
        shop.store, shop.app, author="alice", services=["web"], options=forced, clock=clock
    )
    assert result.outcome.ok
    # web's own content is unchanged, so it stays green; its expired old colour is retired.
    assert _selected_color(shop) == "green"
    blue = _live(shop, "Deployment", "web-blue")
    assert blue is not None and blue["spec"]["replicas"] == 0


def test_a_color_serving_again_is_never_retired_by_its_old_mark(shop: Shop) -> None:
    _blue_green(shop, "    blueGreen: {keepOldSeconds: 60}\n")
    clock = ShiftedClock()
    for tag in (
        "1.0",
        "2.0",
        "3.0",
    ):  # blue, green, blue again (blue keeps its old retirement mark)
        shop.set_config(**{"web.tag": tag})
        assert deploy_app(shop.store, shop.app, author="alice", clock=clock).outcome.ok
    assert _selected_color(shop) == "blue"
    clock.advance(61)  # every mark is due now, the serving colour's stale one included
    shop.set_config(**{"web.tag": "4.0"})
    assert deploy_app(shop.store, shop.app, author="alice", clock=clock).outcome.ok
    assert _selected_color(shop) == "green"
    blue = _live(shop, "Deployment", "web-blue")
    assert blue is not None and blue["spec"]["replicas"] == 2, (
        "blue served until the switch and is kept"
    )
