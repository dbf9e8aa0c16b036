"""Revisions' inventories and operations, their status, the latest by status, migration 0002."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text

from kapstan.errors import InputError, NotFoundError
from kapstan.store import Revision, Store
from kapstan.store.migrate import alembic_config
from tests.store.conftest import OpenStore, create_app
from tests.store.test_store_migrations import connect

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "namespace": "shop",
    "name": "api",
    "uid": "0b6e-41",
}
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "name": "shop", "uid": "77"}


def deploy(
    store: Store, service: str = "api", status: str = "deployed", **extra: object
) -> Revision:
    return store.add_revision(
        "shop",
        service,
        manifests="kind: Deployment\n",
        hash=f"h-{status}",
        template="base",
        template_version=1,
        config="dev",
        config_version=1,
        author="ana",
        status=status,
        **extra,  # type: ignore[arg-type]
    )


def test_inventory_and_operation_round_trip(shop: Store, open_store: OpenStore) -> None:
    op = shop.start_operation("shop", "deploy", author="ana", services=["api"])
    saved = deploy(shop, inventory=[DEPLOYMENT, NAMESPACE], operation_id=op.id)
    assert saved.inventory == (DEPLOYMENT, {**NAMESPACE, "namespace": ""})
    assert saved.operation_id == op.id
    assert open_store().get_revision("shop", "api", 1) == saved
    assert shop.list_revisions("shop") == [saved]
    plain = deploy(shop)
    assert (plain.inventory, plain.operation_id) == ((), None)


def test_latest_revision_by_status(shop: Store) -> None:
    assert shop.latest_revision("shop", "api") is None
    for status in ("deployed", "deployed", "failed", "pending"):
        deploy(shop, status=status)
    deploy(shop, "db")
    latest = shop.latest_revision("shop", "api")
    assert latest is not None and (latest.number, latest.status) == (2, "deployed")
    assert [
        r.number if r else None
        for r in (
            shop.latest_revision("shop", "api", status=None),
            shop.latest_revision("shop", "api", status="failed"),
            shop.latest_revision("shop", "api", status="rolled-back"),
            shop.latest_revision("shop", "cache", status=None),
        )
    ] == [4, 3, None, None]


def test_set_revision_status(shop: Store) -> None:
    deploy(shop, status="pending")
    marked = shop.set_revision_status("shop", "api", 1, "deployed")
    assert marked.status == "deployed"
    assert shop.latest_revision("shop", "api") == marked
    with pytest.raises(
        NotFoundError,
        match=r"^service 'api' of application 'shop' has no revision 7 \(latest is 1\)$",
    ):
        shop.set_revision_status("shop", "api", 7, "failed")
    with pytest.raises(NotFoundError, match=r"^application 'nope' not found$"):
        shop.set_revision_status("nope", "api", 1, "failed")
    with pytest.raises(InputError, match="bad status ''"):
        shop.set_revision_status("shop", "api", 1, "")


def test_unknown_names_and_operations(shop: Store) -> None:
    with pytest.raises(NotFoundError, match=r"^application 'nope' not found$"):
        shop.latest_revision("nope", "api")
    with pytest.raises(NotFoundError, match=r"^operation 999 not found$"):
        deploy(shop, operation_id=999)
    create_app(shop, "other")
    theirs = shop.start_operation("other", "deploy", author="ana", services=[])
    with pytest.raises(InputError, match=rf"operation {theirs.id} is not an operation of .*'shop'"):
        deploy(shop, operation_id=theirs.id)
    assert shop.list_revisions("shop") == []


@pytest.mark.parametrize(
    ("inventory", "error"),
    [
        ([{"kind": "Deployment", "name": "api"}], "inventory entry 0 has no apiVersion"),
        ([DEPLOYMENT, {**DEPLOYMENT, "name": ""}], "inventory entry 1 has no name"),
        ([{**DEPLOYMENT, "uid": 7}], "'uid' must be a string key with a string value"),
        (["Deployment/api"], "inventory entry 0 is not a mapping but str"),
        (DEPLOYMENT, "the inventory must be a list of objects"),
    ],
)
def test_bad_inventories_are_refused(shop: Store, inventory: object, error: str) -> None:
    with pytest.raises(InputError, match=f"^revision of shop/api: .*{error}"):
        deploy(shop, inventory=inventory)
    assert shop.list_revisions("shop") == []


def test_revisions_written_before_0002_have_an_empty_inventory(
    db_url: str, open_store: OpenStore
) -> None:
    create_app(open_store()).close()
    config = alembic_config()
    with connect(db_url) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO revisions (application_id, service, number, manifests, hash, "
                "template, template_version, config, config_version, author, message, status, "
                "created_at) SELECT id, 'api', 1, '', 'h', 'base', 1, 'dev', 1, 'ana', '', "
                "'deployed', created_at FROM applications"
            )
        )
    old = open_store().get_revision("shop", "api", 1)
    assert (old.inventory, old.operation_id, old.hash) == ((), None, "h")
