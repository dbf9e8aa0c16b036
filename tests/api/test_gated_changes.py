"""Rollbacks into an environment that requires approval wait for a second user, as deploys do
(the gate is the actions', so no route skips it): one service, or the whole app."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api

SERVICES = ("db", "api", "web")


@pytest.fixture
def prod(api: Api) -> Api:
    """shop-prod in prod (approval required), each service deployed twice (in the store)."""
    api.store.create_application(
        "shop-prod",
        template="shop",
        template_version=1,
        environment="prod",
        config="prod",
        config_version=None,
    )
    for _ in range(2):
        for service in SERVICES:
            api.store.add_revision(
                "shop-prod",
                service,
                manifests="{}",
                hash=f"h-{service}",
                template="shop",
                template_version=1,
                config="prod",
                config_version=1,
                author="setup",
            )
    return api


def operations(api: Api) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get("/api/v1/applications/shop-prod/operations").json()[
        "items"
    ]
    return items


@pytest.mark.parametrize(
    ("body", "services"),
    [({"service": "api"}, ["api"]), ({}, list(SERVICES))],
    ids=["one-service", "whole-app"],
)
def test_a_rollback_by_a_deployer_in_a_gated_environment_waits_for_approval(
    prod: Api, body: dict[str, Any], services: list[str]
) -> None:
    asked = prod.post("/api/v1/applications/shop-prod/rollback", body, user="dana")
    assert asked.status_code == 202, asked.text
    assert (asked.json()["status"], asked.json()["operationId"]) == ("approval-required", None)
    approval = asked.json()["approvalId"]
    assert operations(prod) == [], "nothing ran"
    found = prod.get(f"/api/v1/approvals/{approval}", user="paul").json()
    assert (found["kind"], found["requestedBy"], found["payload"].get("service")) == (
        "rollback",
        "dana",
        body.get("service"),
    )
    assert prod.post(f"/api/v1/approvals/{approval}/approve", user="dana").status_code == 403
    approved = prod.post(f"/api/v1/approvals/{approval}/approve", user="paul")
    assert approved.status_code == 202, approved.text
    (op,) = operations(prod)
    assert (op["id"], op["kind"], op["author"]) == (
        approved.json()["operationId"],
        "rollback",
        "dana",
    )
    detail = prod.get(f"/api/v1/applications/shop-prod/operations/{op['id']}").json()
    assert [s["service"] for s in detail["services"]] == services
    assert prod.get(f"/api/v1/approvals/{approval}").json()["status"] == "used"
    again = prod.post(f"/api/v1/approvals/{approval}/approve", user="paul")
    assert again.status_code == 409 and len(operations(prod)) == 1


def test_a_rollback_in_an_ungated_environment_runs_at_once(api: Api) -> None:
    for _ in range(2):
        api.store.add_revision(
            "shop",
            "api",
            manifests="{}",
            hash="h",
            template="shop",
            template_version=1,
            config="dev",
            config_version=1,
            author="setup",
        )
    ran = api.post("/api/v1/applications/shop/rollback", {"service": "api"}, user="dana")
    assert ran.status_code == 202 and ran.json()["operationId"] is not None, ran.text
    assert api.store.list_approvals() == []
