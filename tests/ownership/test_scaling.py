"""spec.replicas under an autoscaler (pure): created at the HPA minimum, then left alone."""

from __future__ import annotations

from typing import Any

from kapstan.plan import live, scaling


def deployment(name: str = "api", replicas: int | None = 1, **meta: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"template": {"spec": {"containers": [{"image": "a:1"}]}}}
    if replicas is not None:
        spec["replicas"] = replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", **meta},
        "spec": spec,
    }


def hpa(target: str, low: int | None, kind: str = "Deployment", **meta: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"scaleTargetRef": {"kind": kind, "name": target}, "maxReplicas": 9}
    if low is not None:
        spec["minReplicas"] = low
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": f"hpa-{target}", **meta},
        "spec": spec,
    }


def owner(name: str, fields: dict[str, Any], subresource: str = "") -> dict[str, Any]:
    entry = {"manager": name, "operation": "Apply", "fieldsV1": fields}
    if subresource:
        entry["subresource"] = subresource
    return entry


def test_targets_keep_the_highest_minimum_and_skip_what_is_going_away() -> None:
    found = scaling.targets(
        [
            hpa("api", 3),
            hpa("api", 2),
            hpa("web", None),
            hpa("db", 4, kind="StatefulSet"),
            hpa("old", 5, deletionTimestamp="2026-01-01T00:00:00Z"),
            deployment(),  # not an HPA
        ]
    )
    assert found == {("Deployment", "api"): 3, ("Deployment", "web"): 1, ("StatefulSet", "db"): 4}


def test_shape_creates_at_the_hpa_minimum_and_then_leaves_replicas_out() -> None:
    found = scaling.targets([hpa("api", 3)])
    assert scaling.shape(deployment(replicas=1), None, found)["spec"]["replicas"] == 3
    assert scaling.shape(deployment(replicas=5), None, found)["spec"]["replicas"] == 5
    assert scaling.shape(deployment(replicas=None), None, found)["spec"]["replicas"] == 3
    updated = scaling.shape(deployment(replicas=1), deployment(replicas=3), found)
    assert "replicas" not in updated["spec"]
    assert updated["spec"]["template"] == deployment()["spec"]["template"]
    untouched = deployment("web", replicas=1)
    assert scaling.shape(untouched, deployment("web"), found) is untouched


def test_handover_only_while_kapstan_owns_replicas() -> None:
    found = scaling.targets([hpa("api", 3)])
    mine = owner("kapstan", {"f:spec": {"f:replicas": {}, "f:template": {}}})
    theirs = owner("kube-controller-manager", {"f:spec": {"f:replicas": {}}}, "scale")
    live_mine = deployment(replicas=4, managedFields=[mine])
    assert scaling.handover(deployment(), live_mine, found) == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {"replicas": 4},
    }
    released = owner("kapstan", {"f:spec": {"f:template": {}}})
    assert (
        scaling.handover(deployment(), deployment(managedFields=[released, theirs]), found) is None
    )
    assert scaling.handover(deployment(), None, found) is None
    assert (
        scaling.handover(deployment("web"), deployment("web", managedFields=[mine]), found) is None
    )


def test_plans_ignore_replicas_of_an_autoscaled_workload() -> None:
    live_obj = deployment(replicas=3)
    would_be = deployment(replicas=1)
    assert live.compare(live_obj, would_be).action == "update"
    assert live.compare(live_obj, would_be, ignore_replicas=True).action == "unchanged"
    changed = deployment(replicas=1)
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "a:2"
    plan = live.compare(live_obj, changed, ignore_replicas=True)
    assert plan.action == "update"
    assert "replicas" not in plan.diff
