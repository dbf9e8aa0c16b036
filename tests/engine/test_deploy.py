"""The deploy engine on the real sandbox: waves, readiness, change detection, pruning,
failure reasons, atomic rollback, rollback, and the application lock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from kapstan.actions.deploying import deploy_app, plan_app, rollback_app
from kapstan.engine.deploy import DeployOptions, ServiceOutcome
from kapstan.errors import ConflictError, InputError
from kapstan.kube import connect
from kapstan.model.operation import Step
from kapstan.store import Store
from kapstan.store.base import utc_now
from tests.engine.conftest import Shop

pytestmark = pytest.mark.cluster


def _steps(result_services: dict[str, ServiceOutcome]) -> dict[str, str]:
    return {name: s.step.value for name, s in result_services.items()}


def test_first_deploy_goes_in_dependency_waves_and_waits_for_readiness(shop: Shop) -> None:
    result = deploy_app(shop.store, shop.app, author="alice")
    assert result.outcome.ok, result.operation
    assert _steps(result.outcome.services) == {"db": "ready", "api": "ready", "web": "ready"}
    assert result.operation.status is Step.SUCCEEDED

    events = [
        (e.service, e.status, e.resource)
        for e in shop.store.get_operation(result.operation.id).events
    ]
    first_api_apply = next(i for i, e in enumerate(events) if e[0] == "api" and e[1] == "applied")
    db_healthy = max(i for i, e in enumerate(events) if e[0] == "db" and e[1] == "healthy")
    assert db_healthy < first_api_apply, "api starts only after db is ready"

    with connect(shop.kubeconfig) as cluster:
        api = cluster.get("apps/v1", "Deployment", "api", shop.namespace)
        assert api is not None
        assert api["status"]["readyReplicas"] == 2
        labels = api["metadata"]["labels"]
        assert labels["kapstan.io/app"] == "shop" and labels["kapstan.io/service"] == "api"
        assert api["metadata"]["annotations"]["kapstan.io/revision"] == "1"
        env = {e["name"]: e for e in api["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert "LOG_LEVEL" in env
        assert cluster.get("v1", "ConfigMap", "shop-api-config", shop.namespace) is not None

    revisions = shop.store.list_revisions(shop.app)
    assert [(r.service, r.number, r.status) for r in revisions] == [
        ("api", 1, "deployed"),
        ("db", 1, "deployed"),
        ("web", 1, "deployed"),
    ]
    assert all(r.inventory for r in revisions)


def test_a_second_deploy_touches_nothing_and_a_config_change_rolls_only_its_service(
    shop: Shop,
) -> None:
    deploy_app(shop.store, shop.app, author="alice")
    again = deploy_app(shop.store, shop.app, author="alice")
    assert _steps(again.outcome.services) == {
        "db": "unchanged",
        "api": "unchanged",
        "web": "unchanged",
    }
    assert len(shop.store.list_revisions(shop.app)) == 3

    shop.set_config(**{"log.level": "debug"})
    plans = {p.service: p for p in plan_app(shop.store, shop.app)}
    assert {s: p.action for s, p in plans.items()} == {
        "db": "unchanged",
        "api": "update",
        "web": "unchanged",
    }
    diff = "\n".join(r.diff for r in plans["api"].resources if r.action == "update")
    assert "+  log.level: debug" in diff and "-  log.level: info" in diff

    changed = deploy_app(shop.store, shop.app, author="bob")
    assert _steps(changed.outcome.services) == {
        "db": "unchanged",
        "api": "ready",
        "web": "unchanged",
    }
    assert [r.number for r in shop.store.list_revisions(shop.app, "api")] == [1, 2]


def test_prune_removes_what_a_new_version_dropped_and_never_anything_else(shop: Shop) -> None:
    deploy_app(shop.store, shop.app, author="alice")
    with connect(shop.kubeconfig) as cluster:
        # A stranger's object carrying Kapstan's labels for the same service: never pruned.
        cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "lookalike",
                    "namespace": shop.namespace,
                    "labels": {
                        "app.kubernetes.io/managed-by": "kapstan",
                        "kapstan.io/app": "shop",
                        "kapstan.io/service": "db",
                    },
                },
                "data": {"x": "1"},
            }
        )
        shop.import_template(
            **{"db.yaml": shop.template_dir.joinpath("db.yaml").read_text().split("---")[0]}
        )
        shop.follow_latest()
        result = deploy_app(shop.store, shop.app, author="alice")
        assert result.outcome.services["db"].step is Step.READY
        assert cluster.get("v1", "Service", "db", shop.namespace) is None, (
            "the dropped Service is pruned"
        )
        assert cluster.get("v1", "ConfigMap", "lookalike", shop.namespace) is not None
        assert cluster.get("apps/v1", "StatefulSet", "db", shop.namespace) is not None
    pruned = [
        e for e in shop.store.get_operation(result.operation.id).events if e.status == "pruned"
    ]
    assert [(e.service, e.resource) for e in pruned] == [("db", f"Service {shop.namespace}/db")]


def test_a_service_that_never_becomes_ready_fails_with_reasons_and_blocks_its_dependents(
    shop: Shop,
) -> None:
    deploy_app(shop.store, shop.app, author="alice")
    shop.set_config(**{"web.fault": "never-ready", "web.tag": "2.0", "api.tag": "2.0"})
    result = deploy_app(shop.store, shop.app, author="alice", options=DeployOptions(timeout=6))
    web = result.outcome.services["web"]
    assert web.step is Step.FAILED
    assert "timed out after 6s, still waiting for Deployment web" in web.message
    assert any("pod web-" in line and "not ready" in line.lower() for line in web.details), (
        web.details
    )
    assert result.operation.status is Step.FAILED
    assert shop.store.latest_revision(shop.app, "web", status=None).status == "failed"  # type: ignore[union-attr]


def test_atomic_rolls_back_the_services_the_operation_changed(shop: Shop) -> None:
    deploy_app(shop.store, shop.app, author="alice")
    shop.set_config(**{"web.fault": "crash", "api.tag": "2.0"})
    result = deploy_app(
        shop.store, shop.app, author="alice", options=DeployOptions(timeout=20, atomic=True)
    )
    assert not result.outcome.ok
    assert _steps(result.outcome.services) == {
        "db": "unchanged",
        "api": "rolled-back",
        "web": "rolled-back",
    }
    reasons = [
        e.message
        for e in shop.store.get_operation(result.operation.id).events
        if e.service == "web"
    ]
    assert any("CrashLoopBackOff" in m for m in reasons), reasons
    with connect(shop.kubeconfig) as cluster:
        api = cluster.get("apps/v1", "Deployment", "api", shop.namespace)
        assert api is not None
        assert api["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/api:1.0"


def test_rollback_one_service_to_a_revision(shop: Shop) -> None:
    deploy_app(shop.store, shop.app, author="alice")
    shop.set_config(**{"api.tag": "2.0"})
    deploy_app(shop.store, shop.app, author="alice")
    result = rollback_app(shop.store, shop.app, author="carol", service="api", to=1)
    assert result.outcome.services["api"].step is Step.READY
    assert result.operation.kind == "rollback"
    with connect(shop.kubeconfig) as cluster:
        api = cluster.get("apps/v1", "Deployment", "api", shop.namespace)
        assert api is not None
        assert api["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/api:1.0"
        assert api["metadata"]["annotations"]["kapstan.io/revision"] == "3"
    assert [r.number for r in shop.store.list_revisions(shop.app, "api")] == [1, 2, 3]
    assert shop.store.list_revisions(shop.app, "db")[-1].number == 1, "other services untouched"


def test_a_second_operation_is_refused_while_the_lock_is_held(shop: Shop) -> None:
    op = shop.store.start_operation(shop.app, "deploy", author="dave", services=["db"])
    shop.store.acquire_lock(
        shop.app, owner="dave (pid 1 on host elsewhere)", operation_id=op.id, lease_seconds=600
    )
    with pytest.raises(
        ConflictError,
        match=r"being changed by dave \(pid 1 on host elsewhere, operation \d+\) since",
    ):
        deploy_app(shop.store, shop.app, author="alice")
    # The refused deploy never started: no failed operation of it in the app's history.
    assert [(o.id, o.status) for o in shop.store.list_operations(shop.app)] == [
        (op.id, Step.RUNNING)
    ]


def test_a_reject_resource_policy_refuses_before_anything_is_applied(shop: Shop) -> None:
    shop.set_config(**{"kapstan.resourcePolicy": "reject"})
    with pytest.raises(
        InputError,
        match=r"(?s)resource policy 'reject'.*service 'api': Deployment api container 'api'",
    ):
        deploy_app(shop.store, shop.app, author="alice")
    with connect(shop.kubeconfig) as cluster:
        assert cluster.get("v1", "Namespace", shop.namespace) is None, "nothing was applied"
    assert shop.store.list_revisions(shop.app) == []


def test_a_lock_whose_owner_died_is_taken_over_and_the_takeover_is_recorded(
    shop: Shop, tmp_path: Path
) -> None:
    ghost = shop.store.start_operation(shop.app, "deploy", author="ghost", services=["db"])
    shop.store.acquire_lock(
        shop.app, owner="ghost (pid 4 on host gone)", operation_id=ghost.id, lease_seconds=60
    )
    # The same store, read 61 s later (its clock moved, not the wall): the lease ran out,
    # its owner stopped renewing it. (The shop fixture keeps its store in tmp_path.)
    later = Store.open(
        str(tmp_path / "kapstan.db"), clock=lambda: utc_now() + timedelta(seconds=61)
    )
    try:
        result = deploy_app(later, shop.app, author="alice")
    finally:
        later.close()
    assert result.outcome.ok
    messages = [e.message for e in shop.store.get_operation(result.operation.id).events]
    assert any("took over the lock from ghost" in m for m in messages), messages
    abandoned = shop.store.get_operation(ghost.id)
    assert abandoned.status is Step.FAILED and "abandoned" in abandoned.message
    assert shop.store.get_lock(shop.app) is None, "released when the operation ended"


def test_rollback_of_the_whole_app_takes_each_service_back_one_revision(shop: Shop) -> None:
    deploy_app(shop.store, shop.app, author="alice")
    shop.set_config(**{"api.tag": "2.0", "db.version": "17"})
    deploy_app(shop.store, shop.app, author="alice")
    result = rollback_app(shop.store, shop.app, author="carol")
    assert result.outcome.ok
    with connect(shop.kubeconfig) as cluster:
        api = cluster.get("apps/v1", "Deployment", "api", shop.namespace)
        db = cluster.get("apps/v1", "StatefulSet", "db", shop.namespace)
        assert api is not None and db is not None
        assert api["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/api:1.0"
        assert db["spec"]["template"]["spec"]["containers"][0]["image"] == "postgres:16"
    assert [r.number for r in shop.store.list_revisions(shop.app, "web")] == [1], (
        "web never changed"
    )
