"""Soft deletes: a deleted object is invisible by name and in lists, its name can be used
again, its history stays readable, and nothing in use is deleted (the refusal names who)."""

from __future__ import annotations

import pytest

from kapstan.errors import ConflictError, NotFoundError
from kapstan.model.operation import Step
from kapstan.store import Store
from tests.store.conftest import create_app


def _delete_app(store: Store, name: str) -> int:
    """Delete ``name`` as ``app delete`` does: an operation holding the lock, then the row."""
    op = store.start_operation(name, "delete", author="ana", services=[])
    store.acquire_lock(name, owner="ana", operation_id=op.id, lease_seconds=30)
    store.delete_application(name, operation_id=op.id, owner="ana", message="deleted 0 object(s)")
    return op.id


def test_deleted_application_is_invisible_and_its_name_free(shop: Store) -> None:
    create_app(shop, "web")
    shop.add_revision(
        "shop",
        "api",
        manifests="m",
        hash="h1",
        template="base",
        template_version=1,
        config="dev",
        config_version=1,
        author="ana",
    )
    op_id = _delete_app(shop, "shop")

    with pytest.raises(NotFoundError, match=r"application 'shop' not found \(it was deleted at"):
        shop.get_application("shop")
    assert [a.name for a in shop.list_applications()] == ["web"]
    assert [a.name for a in shop.find_applications(search="sho")] == []
    assert shop.page_applications(limit=10, offset=0) == (shop.list_applications(), 1)
    # Its history stays readable, by id and by name with ``deleted``.
    finished = shop.get_operation(op_id)
    assert (finished.app, finished.status, finished.events[-1].status) == (
        "shop",
        Step.SUCCEEDED,
        "deleted",
    )
    assert [o.id for o in shop.list_operations("shop", deleted=True)] == [op_id]
    assert [r.hash for r in shop.list_revisions("shop", deleted=True)] == ["h1"]
    assert shop.get_lock("web") is None

    again = create_app(shop, "shop").get_application("shop")
    assert again.name == "shop"
    assert shop.list_revisions("shop") == []  # a new application: a new history
    assert [r.hash for r in shop.list_revisions("shop", deleted=True)] == ["h1"]


def test_delete_application_refused_when_another_operation_holds_the_lock(shop: Store) -> None:
    mine = shop.start_operation("shop", "delete", author="ana", services=[])
    other = shop.start_operation("shop", "deploy", author="bob", services=[])
    shop.acquire_lock("shop", owner="bob", operation_id=other.id, lease_seconds=30)
    with pytest.raises(ConflictError, match=f"operation {other.id} of bob holds its lock"):
        shop.delete_application("shop", operation_id=mine.id, owner="ana", message="")
    assert shop.get_application("shop").name == "shop"


def test_environment_delete_refused_while_apps_use_it(shop: Store) -> None:
    create_app(shop, "web")
    with pytest.raises(ConflictError) as refused:
        shop.delete_environment("dev")
    assert str(refused.value) == (
        "environment 'dev' is used by application(s) shop, web; delete them first "
        "(`kapstan app delete NAME`), or delete all with `kapstan env delete dev --cascade`"
    )
    _delete_app(shop, "shop")
    _delete_app(shop, "web")
    shop.create_user("eve", password=None)
    shop.grant_role("eve", "dev", "deployer")
    shop.delete_environment("dev")

    with pytest.raises(NotFoundError, match="environment 'dev' not found"):
        shop.get_environment("dev")
    assert shop.list_environments() == []
    assert shop.roles_of("eve") == {}
    assert shop.environments_using_config("dev") == []
    again = shop.create_environment(
        "dev", kubeconfig="/k2", context=None, namespace="b", config=None
    )
    assert (again.kubeconfig, shop.get_environment("dev").namespace) == ("/k2", "b")
    assert shop.roles_of("eve") == {}  # grants of the deleted one do not come back


def test_config_delete_refused_while_used(shop: Store) -> None:
    with pytest.raises(ConflictError, match=r"config 'dev' is used by application\(s\) shop;"):
        shop.delete_config("dev")
    _delete_app(shop, "shop")
    with pytest.raises(ConflictError, match=r"own config of environment\(s\) dev;"):
        shop.delete_config("dev")
    shop.create_config("spare", {"a": 1}, author="ana")
    shop.delete_config("spare")
    with pytest.raises(NotFoundError, match="config 'spare' not found"):
        shop.get_config("spare")
    assert [c.name for c in shop.list_configs()] == ["dev"]
    again = shop.create_config("spare", {"b": 2}, author="ana")
    assert (again.version, dict(again.values)) == (1, {"b": 2})


def test_template_version_delete_and_last_version_deletes_the_template(shop: Store) -> None:
    shop.save_template_version("base", {"a.yaml": "2"}, "d2", author="ana")
    with pytest.raises(ConflictError) as refused:
        shop.delete_template("base", 1)
    assert str(refused.value) == (
        "version 1 of template 'base' is used by application(s) shop; delete them or move "
        "them to another version (`kapstan app update`) first"
    )
    with pytest.raises(ConflictError, match=r"template 'base' is used by application\(s\) shop"):
        shop.delete_template("base")
    assert shop.delete_template("base", 2) == [2]
    assert shop.get_template("base").version == 1
    with pytest.raises(NotFoundError, match=r"no version 2 \(it was deleted\)"):
        shop.get_template("base", 2)
    assert [v.version for v in shop.template_history("base")] == [1]
    # A new version never reuses a deleted number, even with the deleted content.
    made, _ = shop.save_template_version("base", {"a.yaml": "2"}, "d2", author="ana")
    assert made.version == 3

    _delete_app(shop, "shop")
    assert shop.delete_template("base", 3) == [3]
    assert shop.delete_template("base", 1) == [1]  # the last live version: the template goes
    with pytest.raises(NotFoundError, match="template 'base' not found"):
        shop.get_template("base")
    assert shop.list_templates() == []
    fresh, created = shop.save_template_version("base", {"b.yaml": "x"}, "d9", author="ana")
    assert (fresh.version, created) == (1, True)


def test_whole_template_delete(store: Store) -> None:
    store.save_template_version("t", {"a.yaml": "1"}, "d1", author="ana")
    store.save_template_version("t", {"a.yaml": "2"}, "d2", author="ana")
    assert store.delete_template("t") == [1, 2]
    assert store.list_templates() == []


def test_open_approvals_of_what_is_deleted_are_rejected(shop: Store) -> None:
    shop.create_user("ana", password=None)
    asked = shop.request_approval(
        kind="deploy", application="shop", environment="dev", requested_by="ana", payload={}
    )
    _delete_app(shop, "shop")
    closed = shop.get_approval(asked.id)
    assert (closed.status, closed.reason) == ("rejected", "application shop was deleted")
    other = shop.request_approval(
        kind="promote", application="web", environment="dev", requested_by="ana", payload={}
    )
    shop.delete_environment("dev")
    assert shop.get_approval(other.id).reason == "environment dev was deleted"
