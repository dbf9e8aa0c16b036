"""Live-vs-desired planning and apply order (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from kapstan.plan import live, order


def _deploy(image: str = "web:1", **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", **meta},
        "spec": {
            "replicas": 2,
            "template": {"spec": {"containers": [{"name": "web", "image": image}]}},
        },
    }


SERVER_NOISE: dict[str, Any] = {
    "uid": "1234",
    "resourceVersion": "99",
    "generation": 3,
    "creationTimestamp": "2026-01-01T00:00:00Z",
    "managedFields": [{"manager": "kapstan"}],
    "annotations": {"deployment.kubernetes.io/revision": "4", "kapstan.io/revision": "7"},
}


@pytest.mark.parametrize(
    ("live_obj", "would_be", "action"),
    [
        (None, _deploy(), "create"),
        ({**_deploy(**SERVER_NOISE), "status": {"replicas": 2}}, _deploy(), "unchanged"),
        (_deploy(**SERVER_NOISE), _deploy(annotations={"kapstan.io/revision": "8"}), "unchanged"),
        (_deploy("web:1", **SERVER_NOISE), _deploy("web:2"), "update"),
    ],
)
def test_compare_ignores_server_bookkeeping_and_version_stamps(
    live_obj: dict[str, Any] | None, would_be: dict[str, Any], action: str
) -> None:
    assert live.compare(live_obj, would_be).action == action


def test_update_diff_shows_only_the_change() -> None:
    plan = live.compare(_deploy("web:1", **SERVER_NOISE), _deploy("web:2"))
    changed = [
        ln for ln in plan.diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))
    ]
    assert changed == ["-      - image: web:1", "+      - image: web:2"]
    assert str(plan.key) == "Deployment.apps shop/web"


def _secret(value: str, other: str = "b3RoZXI=") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop"},
        "data": {"password": value, "user": other},
    }


def test_secret_values_never_appear_but_a_changed_one_is_reported() -> None:
    plan = live.compare(_secret("czNjcjN0"), _secret("bjN3LXMzY3IzdA=="))
    assert plan.action == "update"
    assert (
        "czNjcjN0" not in plan.diff
        and "bjN3LXMzY3IzdA==" not in plan.diff
        and "b3RoZXI=" not in plan.diff
    )
    assert "+  password: <redacted> (changed)" in plan.diff
    assert "user" not in [ln for ln in plan.diff.splitlines() if ln.startswith(("+", "-"))]
    created = live.compare(None, _secret("czNjcjN0"))
    assert created.action == "create" and "czNjcjN0" not in created.diff
    deleted = live.deletion(_secret("czNjcjN0"))
    assert deleted.action == "delete" and "czNjcjN0" not in deleted.diff


def test_apply_order_puts_config_before_workloads_and_ingress_last() -> None:
    kinds = [
        "Ingress",
        "Deployment",
        "Service",
        "ConfigMap",
        "Widget",
        "Namespace",
        "HorizontalPodAutoscaler",
        "Secret",
    ]
    objs = [{"kind": k, "metadata": {"name": k.lower()}} for k in kinds]
    assert [o["kind"] for o in order.apply_order(objs)] == [
        "Namespace",
        "ConfigMap",
        "Secret",
        "Service",
        "Deployment",
        "Widget",
        "HorizontalPodAutoscaler",
        "Ingress",
    ]
    assert next(o["kind"] for o in order.prune_order(objs)) == "Ingress"
