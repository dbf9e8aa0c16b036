"""Whose a differing field is (``plan.drift``), and the store's check claims: no cluster.

Each case is a live object as the apiserver returns it (managedFields included) against the
dry-run of its revision; the dry-run side is what a forced re-apply by ``kapstan`` makes.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kapstan.actions.drift import DriftReport, heal_drift
from kapstan.model.values import REDACTED
from kapstan.plan.drift import ObjectDrift, ServiceDrift, object_drift, theirs
from kapstan.render.resources import ResourceKey
from kapstan.store import Store

IMAGE = "spec.template.spec.containers[name=web].image"
KEY = ResourceKey("apps", "Deployment", "ns", "web")


def deployment(
    image: str = "web:1", replicas: int = 1, notes: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "ns", "annotations": dict(notes or {})},
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "web", "image": image}]}},
        },
    }


def entry(manager: str, operation: str, fields: dict[str, Any], sub: str = "") -> dict[str, Any]:
    found = {"manager": manager, "operation": operation, "fieldsV1": fields}
    return {**found, "subresource": sub} if sub else found


IMAGE_FIELDS: dict[str, Any] = {
    "f:spec": {
        "f:template": {"f:spec": {"f:containers": {'k:{"name":"web"}': {".": {}, "f:image": {}}}}}
    }
}
REPLICAS: dict[str, Any] = {"f:spec": {"f:replicas": {}}}


def live_with(obj: dict[str, Any], *entries: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out["metadata"]["managedFields"] = [entry("kapstan", "Apply", {}), *entries]
    return out


@pytest.mark.parametrize(
    ("live", "drifted"),
    [
        # kubectl edit / set image: an update by a person's tool
        (live_with(deployment("web:2"), entry("kubectl-edit", "Update", IMAGE_FIELDS)), [IMAGE]),
        # kubectl apply --server-side is a person too, though it applies
        (live_with(deployment("web:2"), entry("kubectl", "Apply", IMAGE_FIELDS)), [IMAGE]),
        # a script's PUT: an update, whoever it names itself
        (live_with(deployment("web:2"), entry("deploy.py", "Update", IMAGE_FIELDS)), [IMAGE]),
        # an autoscaler through the scale subresource: its field
        (live_with(deployment(replicas=4), entry("hpa", "Update", REPLICAS, "scale")), []),
        # a controller that applies its own intent: its field
        (live_with(deployment("web:2"), entry("image-bot", "Apply", IMAGE_FIELDS)), []),
        # a field removed (nobody owns it now): the re-apply puts it back
        (
            live_with({**deployment(), "spec": {"template": deployment()["spec"]["template"]}}),
            ["spec.replicas"],
        ),
        # Kapstan's bookkeeping (its revision stamp) is never drift
        (live_with(deployment(notes={"kapstan.io/revision": "7"})), []),
    ],
    ids=[
        "kubectl-edit",
        "kubectl-apply",
        "script-update",
        "hpa-scale",
        "apply-owner",
        "removed",
        "bookkeeping",
    ],
)
def test_whose_field_decides_drift(live: dict[str, Any], drifted: list[str]) -> None:
    found = object_drift(live, deployment(notes={"kapstan.io/revision": "3"}))
    assert (list(found.fields) if found else []) == drifted


def test_theirs_names_declared_owners_only() -> None:
    live = live_with(
        deployment(),
        entry("hpa", "Update", REPLICAS, "scale"),
        entry("kubectl-edit", "Update", IMAGE_FIELDS),
        entry("image-bot", "Apply", IMAGE_FIELDS),
    )
    assert theirs(live) == ["hpa", "image-bot"]


def test_a_deleted_object_is_drift() -> None:
    found = object_drift(None, deployment())
    assert (
        found is not None and found.fields == ("(deleted)",) and "+kind: Deployment" in found.diff
    )


def test_secret_values_never_leave_the_diff() -> None:
    def secret(value: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s"},
            "data": {"pw": value},
        }

    fields: dict[str, Any] = {"f:data": {"f:pw": {}}}
    found = object_drift(
        live_with(secret("bGl2ZQ=="), entry("kubectl-patch", "Update", fields)), secret("b2xk")
    )
    assert found is not None and found.fields == ("data.pw",)
    assert "bGl2ZQ==" not in found.diff and "b2xk" not in found.diff
    assert f"{REDACTED} (changed)" in found.diff


def test_one_process_claims_each_check_per_interval(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'k.db'}", environ={}) as store:
        store.create_config("c", {}, author="t")
        store.create_environment("e", kubeconfig="/k", context=None, namespace="ns", config="c")
        store.save_template_version(
            "t", {"kapstan.yaml": "name: t\nservices: {}\n"}, "d", author="t"
        )
        store.create_application(
            "a", template="t", template_version=1, environment="e", config="c", config_version=1
        )
        since = store.now() - timedelta(seconds=60)
        assert store.claim_drift_check("a", since=since)
        assert not store.claim_drift_check("a", since=since)  # claimed within the interval
        assert store.claim_drift_check("a", since=store.now() + timedelta(seconds=1))
        store.record_drift("a", "web", drifted=True, revision=2, diff="d", fields=["f"])
        (check,) = store.list_drift("a")  # the claim is no service
        assert (check.service, check.drifted, check.fields, check.healed_by) == (
            "web",
            True,
            ("f",),
            None,
        )


def test_no_heal_undoes_a_deploy_made_since_the_check(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'k.db'}", environ={}) as store:
        store.create_config("c", {}, author="t")
        store.create_environment("e", kubeconfig="/k", context=None, namespace="ns", config="c")
        store.save_template_version(
            "t", {"kapstan.yaml": "name: t\nservices: {}\n"}, "d", author="t"
        )
        store.create_application(
            "a", template="t", template_version=1, environment="e", config="c", config_version=1
        )
        old, _ = (
            store.add_revision(
                "a",
                "web",
                manifests="",
                hash="h",
                template="t",
                template_version=1,
                config="c",
                config_version=1,
                author="t",
            )
            for _ in range(2)
        )
        checked = ServiceDrift("web", old.number, (ObjectDrift(KEY, ("spec.replicas",), "d"),))
        report = DriftReport("a", "e", (checked,), revisions={"web": old})
        healed = heal_drift(store, report)
        assert healed.heal_note == "not healed: web deployed since the check"
        assert healed.healed_by is None and not store.list_operations("a", 1)
