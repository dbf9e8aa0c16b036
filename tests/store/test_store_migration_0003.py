"""Migration 0003 on a store with data: environments keep theirs, and it downgrades."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from kapstan.store.migrate import alembic_config
from tests.store.conftest import OpenStore, create_app
from tests.store.test_store_migrations import connect, current_revision


def test_up_from_0002_with_data_and_down_again(db_url: str, open_store: OpenStore) -> None:
    store = create_app(open_store())
    store.set_environment_approval("dev", True)
    store.create_user("ana", password=None)
    store.grant_role("ana", "dev", "deployer")
    store.audit("ana", "deploy", kind="application", name="shop", environment="dev")
    store.request_approval(
        kind="deploy", application="shop", environment="dev", requested_by="ana", payload={}
    )
    store.close()
    config = alembic_config()
    with connect(db_url) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
        tables = set(inspect(connection).get_table_names())
        columns = {c["name"] for c in inspect(connection).get_columns("environments")}
    assert not tables & {"users", "api_tokens", "role_grants", "audit_log", "approvals"}
    assert "requires_approval" not in columns
    assert current_revision(db_url) == "0002"

    again = open_store()
    assert again.get_environment("dev").requires_approval is False
    assert again.get_application("shop").environment == "dev"
    assert again.list_users() == [] and again.list_audit() == []
