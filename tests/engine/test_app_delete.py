"""``app delete`` on the live sandbox: owned objects go (dependents first, waited for), volume
claims stay unless asked, an object someone else replaced stays, history stays readable,
and the name can be used again."""

from __future__ import annotations

from typing import Any

import pytest

from kapstan.actions.deleting import delete_app, survey_app
from kapstan.actions.deploying import deploy_app
from kapstan.errors import NotFoundError
from kapstan.kube import connect
from kapstan.model.operation import Step
from tests.engine.conftest import API_YAML, DB_YAML, Shop

# The db keeps its data in a claim per pod; the api has a claim of its own (in the inventory).
DB_WITH_VOLUME = DB_YAML.replace(
    '      containers: [{name: db, image: "postgres:${db.version:-16}"}]\n',
    '      containers: [{name: db, image: "postgres:${db.version:-16}"}]\n'
    "  volumeClaimTemplates:\n"
    "  - metadata: {name: data}\n"
    "    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n",
)
API_WITH_CLAIM = (
    API_YAML
    + """\
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: uploads}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
"""
)
GONE = [
    ("apps/v1", "Deployment", "web"),
    ("apps/v1", "Deployment", "api"),
    ("apps/v1", "StatefulSet", "db"),
    ("v1", "Service", "db"),
]


def _deployed(shop: Shop) -> None:
    shop.import_template(**{"db.yaml": DB_WITH_VOLUME, "api.yaml": API_WITH_CLAIM})
    shop.follow_latest()
    result = deploy_app(shop.store, shop.app, author="alice")
    assert result.operation.status is Step.SUCCEEDED, result.operation.message


def test_delete_keeps_volumes_and_what_someone_else_replaced(shop: Shop) -> None:
    _deployed(shop)
    with connect(shop.kubeconfig) as kube:
        # Someone replaces the api Service with their own (same name and labels, new uid).
        live = kube.get("v1", "Service", "api", shop.namespace)
        assert live is not None
        kube.delete("v1", "Service", "api", shop.namespace)
        meta = live["metadata"]
        theirs = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "api", "namespace": shop.namespace, "labels": meta["labels"]},
            "spec": {"selector": {"app": "api"}, "ports": [{"port": 81}]},
        }
        kube.apply(theirs, field_manager="someone-else")

    plan = survey_app(shop.store, shop.app)
    assert [s.service for s in plan.services] == ["web", "api", "db"]  # dependents first
    api = {r.what: r for r in plan.services[1].removals}
    assert api[f"Service {shop.namespace}/api"].delete is False
    assert "recreated by someone else" in api[f"Service {shop.namespace}/api"].why
    assert api[f"PersistentVolumeClaim {shop.namespace}/uploads"].delete is False

    result = delete_app(shop.store, shop.app, author="alice", timeout=120)
    op = result.operation
    assert (op.kind, op.status) == ("delete", Step.SUCCEEDED), op.message
    assert [s.step for s in op.services] == [Step.REMOVED] * 3
    kept = [e for e in op.events if e.status == "kept"]
    assert any(
        e.resource == f"Service {shop.namespace}/api" and "uid differs" in e.message for e in kept
    )
    with connect(shop.kubeconfig) as kube:
        for api_version, kind, name in GONE:
            assert kube.get(api_version, kind, name, shop.namespace) is None, (kind, name)
        pods = kube.list("v1", "Pod", shop.namespace, labels={"kapstan.io/app": shop.app})
        assert pods == []  # foreground: the workloads went with their pods
        assert kube.get("v1", "Service", "api", shop.namespace) is not None  # not ours
        assert kube.get("v1", "PersistentVolumeClaim", "uploads", shop.namespace) is not None
        assert kube.get("v1", "PersistentVolumeClaim", "data-db-0", shop.namespace) is not None
        assert kube.get("v1", "Namespace", shop.namespace) is not None

    with pytest.raises(NotFoundError, match=r"it was deleted at .* --deleted"):
        shop.store.get_application(shop.app)
    history = shop.store.list_operations(shop.app, deleted=True)
    assert [o.kind for o in history] == ["delete", "deploy"]
    removed = [
        r for r in shop.store.list_revisions(shop.app, deleted=True) if r.status == "removed"
    ]
    assert sorted(r.service for r in removed) == ["api", "db", "web"]
    assert [e.action for e in shop.store.list_audit(name=shop.app)] == ["app.delete"]


def test_delete_volumes_then_the_name_deploys_again(shop: Shop) -> None:
    _deployed(shop)
    result = delete_app(shop.store, shop.app, author="alice", keep_volumes=False, timeout=120)
    assert result.operation.status is Step.SUCCEEDED, result.operation.message
    deleted = [e.resource for e in result.operation.events if e.status == "deleting"]
    assert f"PersistentVolumeClaim {shop.namespace}/uploads" in deleted
    assert f"PersistentVolumeClaim {shop.namespace}/data-db-0" in deleted
    with connect(shop.kubeconfig) as kube:
        claims = kube.list("v1", "PersistentVolumeClaim", shop.namespace)
        assert claims == []

    version = shop.store.get_template("shop").version
    shop.store.create_application(
        shop.app,
        template="shop",
        template_version=version,
        environment="dev",
        config=shop.app,
        config_version=None,
    )
    again = deploy_app(shop.store, shop.app, author="alice")
    assert again.operation.status is Step.SUCCEEDED, again.operation.message
    assert [o.kind for o in shop.store.list_operations(shop.app)] == ["deploy"]


def test_an_object_held_by_a_finalizer_fails_the_delete_and_keeps_the_app(shop: Shop) -> None:
    result = deploy_app(shop.store, shop.app, author="alice")
    assert result.operation.status is Step.SUCCEEDED, result.operation.message
    held: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "db", "namespace": shop.namespace, "finalizers": ["example.com/hold"]},
    }
    with connect(shop.kubeconfig) as kube:
        kube.apply(held, field_manager="someone-else")

    failed = delete_app(shop.store, shop.app, author="alice", timeout=2)
    op = failed.operation
    assert op.status is Step.FAILED
    assert op.message == (
        f"db: service db: 1 object(s) still there 2s after their delete: Service "
        f"{shop.namespace}/db (a finalizer or a controller may hold them; see `kubectl "
        f"describe`); the application is kept: run `kapstan app delete {shop.app}` again"
    )
    assert [(s.service, s.step) for s in op.services] == [
        ("web", Step.REMOVED),
        ("api", Step.REMOVED),
        ("db", Step.FAILED),
    ]
    assert shop.store.get_application(shop.app).name == shop.app
    assert shop.store.get_lock(shop.app) is None

    with connect(shop.kubeconfig) as kube:
        kube.apply(
            {**held, "metadata": {**held["metadata"], "finalizers": []}},
            field_manager="someone-else",
        )
    again = delete_app(shop.store, shop.app, author="alice", timeout=60)
    assert again.operation.status is Step.SUCCEEDED, again.operation.message
    # Everything went on the first run (the Service once its finalizer was gone): nothing
    # is deleted twice, and the app goes now.
    assert [e.resource for e in again.operation.events if e.status == "deleting"] == []
    assert again.operation.message == f"application {shop.app} deleted: 0 object(s) deleted"
