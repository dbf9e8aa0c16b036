"""The API on PostgreSQL: the same routes on the production store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import Api, open_api
from tests.store import postgres

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_api(pg_server: postgres.Server, tmp_path: Path) -> Iterator[Api]:
    with pg_server.database(migrated=True) as url:  # a copy of the migrated template
        yield from open_api(url, tmp_path)


def test_routes_and_roles_on_postgres(pg_api: Api) -> None:
    assert pg_api.client.get("/readyz").json()["store"].startswith("postgresql")
    assert (
        pg_api.post(
            "/api/v1/configs/dev/values", {"values": {"api.replicas": 2}}, user="dana"
        ).status_code
        == 200
    )
    assert pg_api.get("/api/v1/applications/shop", user="olga").status_code == 403
    op = pg_api.post(
        "/api/v1/applications/shop/deploy", {}, params={"wait": "true"}, user="dana"
    ).json()
    assert op["status"] == "failed"
    assert [e["action"] for e in pg_api.audit("config.set")] == ["config.set"]


def test_approval_flow_on_postgres(pg_api: Api) -> None:
    pg_api.store.create_application(
        "live",
        template="shop",
        template_version=1,
        environment="prod",
        config="prod",
        config_version=None,
    )
    approval = pg_api.post("/api/v1/applications/live/deploy", {}, user="dana").json()["approvalId"]
    assert pg_api.post(f"/api/v1/approvals/{approval}/approve", user="dana").status_code == 403
    assert pg_api.post(f"/api/v1/approvals/{approval}/approve", user="paul").status_code == 202
    assert pg_api.post(f"/api/v1/approvals/{approval}/approve", user="paul").status_code == 409
