"""What a deploy removes: an atomic first install that failed, a service dropped from the
template. Only objects Kapstan recorded and still owns are deleted; events say which."""

from __future__ import annotations

import pytest

from kapstan.actions.applications import update_app
from kapstan.actions.deploying import deploy_app, plan_app
from kapstan.actions.status import app_status
from kapstan.cli.deploy_cmd import format_plan
from kapstan.engine.deploy import DeployOptions
from kapstan.kube import connect
from kapstan.model.operation import Step
from tests.engine.conftest import KAPSTAN_YAML, Shop

pytestmark = pytest.mark.cluster

KINDS = (
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("v1", "Service"),
    ("v1", "ConfigMap"),
)
WITHOUT_WEB = (
    KAPSTAN_YAML[: KAPSTAN_YAML.index("  web:")] + KAPSTAN_YAML[KAPSTAN_YAML.index("config:") :]
)


def _live(shop: Shop) -> list[str]:
    """The app's objects in its namespace, as ``Kind name``."""
    with connect(shop.kubeconfig) as cluster:
        return sorted(
            f"{o['kind']} {o['metadata']['name']}"
            for api, kind in KINDS
            for o in cluster.list(api, kind, shop.namespace, labels={"kapstan.io/app": shop.app})
        )


def test_atomic_on_a_first_install_deletes_what_the_failed_operation_created(shop: Shop) -> None:
    shop.set_config(**{"web.fault": "never-ready"})
    result = deploy_app(
        shop.store, shop.app, author="alice", options=DeployOptions(timeout=6, atomic=True)
    )
    assert not result.outcome.ok
    steps = {s: o.step for s, o in result.outcome.services.items()}
    assert steps == {"db": Step.ROLLED_BACK, "api": Step.ROLLED_BACK, "web": Step.ROLLED_BACK}
    assert _live(shop) == [], "db and api were created by this operation too"

    op = shop.store.get_operation(result.operation.id)
    pruned = [(e.service, e.resource) for e in op.events if e.status == "pruned"]
    ns = shop.namespace
    assert sorted(pruned) == sorted(
        [
            ("web", f"Deployment {ns}/web"),
            ("api", f"Service {ns}/api"),
            ("api", f"Deployment {ns}/api"),
            ("api", f"ConfigMap {ns}/shop-api-config"),
            ("db", f"Service {ns}/db"),
            ("db", f"StatefulSet {ns}/db"),
        ]
    ), "each object named"
    order = [s for i, (s, _) in enumerate(pruned) if i == 0 or pruned[i - 1][0] != s]
    assert order == ["web", "api", "db"], "dependents first"
    assert all(
        e.message == "created by this failed operation (atomic, first install)"
        for e in op.events
        if e.status == "pruned"
    )
    assert not [e for e in op.events if "left as is" in e.message]
    history = {
        s: [(r.number, r.status) for r in shop.store.list_revisions(shop.app, s)]
        for s in ("db", "api", "web")
    }
    assert history == {
        "db": [(1, "deployed"), (2, "removed")],
        "api": [(1, "deployed"), (2, "removed")],
        "web": [(1, "failed"), (2, "removed")],
    }
    assert {p.service: p.action for p in plan_app(shop.store, shop.app)} == {
        "db": "create",
        "api": "create",
        "web": "create",
    }, "the next deploy installs afresh"


def test_atomic_first_install_leaves_objects_it_did_not_create(shop: Shop) -> None:
    with connect(shop.kubeconfig) as cluster:
        cluster.ensure_namespace(shop.namespace)
        # Someone else's Service named like the template's: the plan updates, never creates it.
        cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "db", "namespace": shop.namespace},
                "spec": {"clusterIP": "None", "ports": [{"port": 5432}]},
            }
        )
    shop.set_config(**{"web.fault": "never-ready"})
    deploy_app(
        shop.store,
        shop.app,
        author="alice",
        options=DeployOptions(timeout=6, atomic=True, adopt=True),
    )
    with connect(shop.kubeconfig) as cluster:
        assert cluster.get("v1", "Service", "db", shop.namespace) is not None
        assert cluster.get("apps/v1", "StatefulSet", "db", shop.namespace) is None


def test_a_service_removed_from_the_template_is_planned_as_a_removal_and_pruned(
    shop: Shop,
) -> None:
    assert deploy_app(shop.store, shop.app, author="alice").outcome.ok
    shop.import_template(**{"kapstan.yaml": WITHOUT_WEB, "web.yaml": ""})
    update_app(shop.store, shop.app)

    plans = {p.service: p for p in plan_app(shop.store, shop.app)}
    assert plans["web"].action == "remove"
    text = format_plan(list(plans.values()))
    assert "web: remove (no longer in the template, 1 to delete)" in text
    assert f"  delete    Deployment {shop.namespace}/web" in text

    named = plan_app(shop.store, shop.app, ["web"])
    assert [(p.service, p.action) for p in named] == [("web", "remove")], "web, by name"
    # Named services only: web stays until the whole app (or web by name) is deployed.
    only_api = deploy_app(shop.store, shop.app, author="alice", services=["api"])
    assert set(only_api.outcome.services) == {"api"}
    assert "Deployment web" in _live(shop)

    result = deploy_app(shop.store, shop.app, author="alice")
    assert result.outcome.ok
    web = result.outcome.services["web"]
    assert (web.step, web.message, web.revision) == (
        Step.REMOVED,
        "removed from the template: 1 object(s) pruned",
        2,
    )
    assert "Deployment web" not in _live(shop)
    assert "Deployment api" in _live(shop)
    op = shop.store.get_operation(result.operation.id)
    assert [(e.service, e.resource, e.message) for e in op.events if e.status == "pruned"] == [
        ("web", f"Deployment {shop.namespace}/web", "its service was removed from the template")
    ]
    assert [s.service for s in app_status(shop.store, shop.app)] == ["db", "api"]
    assert [
        (r.number, r.status, r.inventory) for r in shop.store.list_revisions(shop.app, "web")
    ] == [
        (1, "deployed", shop.store.get_revision(shop.app, "web", 1).inventory),
        (2, "removed", ()),
    ]
    again = deploy_app(shop.store, shop.app, author="alice")
    assert "web" not in again.outcome.services, "removed once"
