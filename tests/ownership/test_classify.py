"""Who owns a live object (pure): this app, another Kapstan app, Helm, kubectl, nobody known."""

from __future__ import annotations

from typing import Any

import pytest

from kapstan.plan.live import compare
from kapstan.plan.ownership import (
    Claimant,
    Conflict,
    Foreign,
    Owned,
    OwnedByOtherApp,
    classify,
    conflict_of,
    refusal,
)
from kapstan.render.labels import stamp_objects

ME = Claimant("shop", "dev")


def obj(
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    managers: list[dict[str, Any]] | None = None,
    uid: str = "u-1",
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "api", "namespace": "shop", "uid": uid}
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    if managers:
        meta["managedFields"] = managers
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta}


def kapstan_labels(app: str) -> dict[str, str]:
    return {"app.kubernetes.io/managed-by": "kapstan", "kapstan.io/app": app}


def manager(name: str, subresource: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {"manager": name, "operation": "Update", "fieldsV1": {}}
    if subresource:
        entry["subresource"] = subresource
    return entry


ENV = {"kapstan.io/environment": "dev"}
KUBECTL = [manager("kubectl-client-side-apply"), manager("kube-controller-manager", "status")]


@pytest.mark.parametrize(
    ("live", "recorded", "expected"),
    [
        (obj(kapstan_labels("shop"), ENV, [manager("kapstan")]), "", Owned()),
        # No environment recorded yet (applied before Kapstan stamped it): the labels decide.
        (obj(kapstan_labels("shop")), "", Owned()),
        # A deploy killed after its apply: no revision recorded this uid, the labels are ours.
        (obj(kapstan_labels("shop"), ENV, [manager("kapstan")], uid="new"), "old", Owned()),
        (
            obj(kapstan_labels("shop-b"), ENV, [manager("kapstan")]),
            "",
            OwnedByOtherApp("shop-b", "dev"),
        ),
        (obj(kapstan_labels("shop-b")), "", OwnedByOtherApp("shop-b", "")),
        # The same application name in another environment: another store's application.
        (
            obj(kapstan_labels("shop"), {"kapstan.io/environment": "prod"}),
            "",
            OwnedByOtherApp("shop", "prod"),
        ),
        (obj(managers=KUBECTL), "", Foreign("kubectl-client-side-apply")),
        (obj(managers=[manager("kubectl"), manager("kapstan")]), "", Foreign("kubectl")),
        (
            obj(
                {"app.kubernetes.io/managed-by": "Helm"},
                {"meta.helm.sh/release-name": "web", "meta.helm.sh/release-namespace": "shop"},
                [manager("helm")],
            ),
            "",
            Foreign("Helm release web"),
        ),
        (obj({"app.kubernetes.io/managed-by": "Helm"}), "", Foreign("Helm")),
        (obj({"app.kubernetes.io/managed-by": "argocd"}), "", Foreign("argocd")),
        (obj(), "", Foreign("someone else")),
        # Kapstan's labels but recreated (another uid) by kubectl from a copy: not ours.
        (
            obj(kapstan_labels("shop"), ENV, [manager("kubectl")], uid="new"),
            "old",
            Foreign("kubectl"),
        ),
    ],
)
def test_classify(live: dict[str, Any], recorded: str, expected: object) -> None:
    assert classify(live, ME, recorded) == expected


def test_conflict_messages_name_the_owner_and_what_to_do() -> None:
    other = conflict_of(obj(kapstan_labels("shop-b"), ENV), ME)
    assert other == Conflict("Deployment shop/api", "application shop-b (environment dev)", False)
    assert other.message == (
        "Deployment shop/api is owned by application shop-b (environment dev): Kapstan never "
        "takes over another application's objects; rename the object or delete that application"
    )
    foreign = conflict_of(obj(managers=KUBECTL), ME)
    assert foreign is not None
    assert foreign.message == (
        "Deployment shop/api was created by kubectl-client-side-apply, not Kapstan: "
        "pass --adopt to take it over (audited)"
    )
    assert conflict_of(None, ME) is None
    assert conflict_of(obj(kapstan_labels("shop"), ENV), ME) is None


def test_refusal_lists_every_conflict_and_adopt_never_covers_another_app() -> None:
    other = Conflict("Deployment shop/api", "application shop-b (environment dev)", False)
    foreign = Conflict("ConfigMap shop/settings", "kubectl-client-side-apply", True)
    text = refusal([other, foreign], adopt=False)
    assert text.splitlines() == [
        "not deploying: 2 object(s) belong to someone else; nothing was applied",
        f"  {other.message}",
        f"  {foreign.message}",
    ]
    assert refusal([other, foreign], adopt=True).splitlines()[1:] == [f"  {other.message}"]
    assert refusal([foreign], adopt=True) == ""
    assert refusal([], adopt=False) == ""


def test_the_environment_is_stamped_at_apply_and_never_a_change() -> None:
    rendered = obj(kapstan_labels("shop"))
    (stamped,) = stamp_objects(
        [rendered],
        template_version=1,
        config_version=2,
        revision=3,
        content_hash="h",
        environment="dev",
    )
    assert stamped["metadata"]["annotations"]["kapstan.io/environment"] == "dev"
    assert "annotations" not in rendered["metadata"], "the rendered content is not touched"
    (unnamed,) = stamp_objects(
        [rendered], template_version=1, config_version=2, revision=3, content_hash="h"
    )
    assert "kapstan.io/environment" not in unnamed["metadata"]["annotations"]
    assert compare(stamped, unnamed).action == "unchanged"
