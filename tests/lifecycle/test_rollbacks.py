"""Rollback of the whole app: one operation, each service back to its own revision, even
when they were deployed at different template/config versions."""

from __future__ import annotations

import pytest

from kapstan.actions.deploying import deploy_app, plan_rollback, rollback_app
from kapstan.actions.journal import request_of
from kapstan.kube import connect
from kapstan.model.operation import Step
from tests.engine.conftest import Shop

pytestmark = pytest.mark.cluster


def _deploy(shop: Shop, **values: str) -> int:
    version = shop.set_config(**values)
    assert deploy_app(shop.store, shop.app, author="alice").outcome.ok
    return version


def test_a_whole_app_rollback_is_one_operation_across_config_versions(shop: Shop) -> None:
    assert deploy_app(shop.store, shop.app, author="alice").outcome.ok
    api_back = _deploy(shop, **{"api.tag": "2.0"})  # api 2
    db_back = _deploy(shop, **{"db.version": "17"})  # db 2
    _deploy(shop, **{"api.tag": "3.0"})  # api 3
    _deploy(shop, **{"db.version": "18"})  # db 3
    assert api_back != db_back

    plans, _ = plan_rollback(shop.store, shop.app)
    assert {p.service: p.action for p in plans} == {"db": "update", "api": "update"}
    before = len(shop.store.list_operations(shop.app, 100))
    result = rollback_app(shop.store, shop.app, author="carol")
    assert result.outcome.ok, result.operation
    assert len(shop.store.list_operations(shop.app, 100)) == before + 1, "one operation"
    op = result.operation
    assert (op.kind, op.message) == ("rollback", "2 ready")
    assert {s.service: s.step for s in op.services} == {"db": Step.READY, "api": Step.READY}

    api, db = (shop.store.latest_revision(shop.app, s) for s in ("api", "db"))
    assert api is not None and db is not None
    assert (api.number, api.config_version, api.operation_id) == (4, api_back, op.id)
    assert (db.number, db.config_version, db.operation_id) == (4, db_back, op.id)
    assert api.message == db.message == "rollback to db@2, api@2"
    with connect(shop.kubeconfig) as cluster:
        live_api = cluster.get("apps/v1", "Deployment", "api", shop.namespace)
        live_db = cluster.get("apps/v1", "StatefulSet", "db", shop.namespace)
    assert live_api is not None and live_db is not None
    assert live_api["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/api:2.0"
    assert live_db["spec"]["template"]["spec"]["containers"][0]["image"] == "postgres:17"
    assert live_api["metadata"]["annotations"]["kapstan.io/config-version"] == str(api_back)
    assert live_db["metadata"]["annotations"]["kapstan.io/config-version"] == str(db_back)
    assert [r.number for r in shop.store.list_revisions(shop.app, "web")] == [1]
    # What another process needs to run it again (resume): each service's own versions.
    request = request_of(shop.store.get_operation(op.id))
    assert request.service_versions == {"db": (1, db_back), "api": (1, api_back)}
