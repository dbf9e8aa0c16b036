"""Login, its rate limit, tokens, and the per-environment role checks (refused, not hidden)."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api


def test_login_gives_a_working_token(api: Api) -> None:
    response = api.client.post(
        "/api/v1/login", json={"user": "dana", "password": "dana-password-long"}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    me = api.client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["name"] == "dana"
    assert me.json()["roles"] == {"dev": "deployer", "prod": "deployer", "staging": "deployer"}


def test_login_failures_say_the_same_for_any_cause(api: Api) -> None:
    wrong = api.client.post("/api/v1/login", json={"user": "dana", "password": "nope-nope-nope"})
    unknown = api.client.post(
        "/api/v1/login", json={"user": "nobody", "password": "nope-nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_login_is_rate_limited_per_user_and_address(api: Api) -> None:
    body = {"user": "dana", "password": "wrong-password!"}
    codes = [api.client.post("/api/v1/login", json=body).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    limited = api.client.post(
        "/api/v1/login", json={"user": "dana", "password": "dana-password-long"}
    )
    assert limited.status_code == 429
    assert "try again in" in limited.json()["error"]["message"]
    assert int(limited.headers["retry-after"]) > 0
    other = api.client.post("/api/v1/login", json={"user": "root", "password": "x" * 12})
    assert other.status_code == 401  # another user's key is not limited


def test_own_tokens_list_create_revoke(api: Api) -> None:
    created = api.post("/api/v1/tokens", {"description": "ci"}, user="vic")
    assert created.status_code == 201
    token, token_id = created.json()["token"], created.json()["info"]["id"]
    listed = api.get("/api/v1/tokens", user="vic").json()
    assert [t["description"] for t in listed["items"]] == ["", "ci"]
    assert token not in str(listed)
    assert api.delete(f"/api/v1/tokens/{token_id}", user="dana").status_code == 404
    assert api.delete(f"/api/v1/tokens/{token_id}", user="vic").json()["revoked"] is True
    gone = api.client.get("/api/v1/templates", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401


def test_admin_creates_users_and_grants_roles(api: Api) -> None:
    created = api.post("/api/v1/users", {"name": "nina", "password": "nina-password-long"})
    assert created.status_code == 201 and created.json()["admin"] is False
    granted = api.post("/api/v1/users/nina/roles", {"environment": "dev", "role": "viewer"})
    assert granted.json()["roles"] == {"dev": "viewer"}
    assert api.post("/api/v1/users", {"name": "eve"}, user="dana").status_code == 403
    refused = api.post(
        "/api/v1/users/dana/roles", {"environment": "other", "role": "admin"}, user="dana"
    )
    assert refused.status_code == 403
    assert "administrator" in refused.json()["error"]["message"]
    short = api.post("/api/v1/users", {"name": "sam", "password": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.json()["error"]["message"]
    assert api.get("/api/v1/users").json()["total"] == 6
    assert api.get("/api/v1/users", user="dana").status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/applications/shop",
        "/api/v1/applications/shop/services",
        "/api/v1/applications/shop/render",
        "/api/v1/applications/shop/graph",
        "/api/v1/applications/shop/history",
        "/api/v1/applications/shop/operations",
        "/api/v1/environments/dev",
        "/api/v1/configs/dev",
        "/api/v1/configs/dev/history",
    ],
)
def test_another_teams_objects_are_refused_by_name(api: Api, path: str) -> None:
    response = api.get(path, user="olga")
    assert response.status_code == 403, response.text
    assert response.json()["error"]["type"] == "ForbiddenError"
    assert "olga" in response.json()["error"]["message"]


def test_another_teams_operation_is_refused_by_id(api: Api) -> None:
    op = api.post("/api/v1/applications/shop/deploy", {}, user="dana").json()["operationId"]
    assert api.get(f"/api/v1/applications/shop/operations/{op}", user="olga").status_code == 403
    assert (
        api.get(f"/api/v1/applications/shop/operations/{op}/events", user="olga").status_code == 403
    )


def test_lists_show_only_what_the_caller_may_view(api: Api) -> None:
    assert [a["name"] for a in api.get("/api/v1/applications", user="olga").json()["items"]] == []
    assert [e["name"] for e in api.get("/api/v1/environments", user="olga").json()["items"]] == [
        "other"
    ]
    assert [c["name"] for c in api.get("/api/v1/configs", user="vic").json()["items"]] == ["dev"]
    assert [a["name"] for a in api.get("/api/v1/applications", user="vic").json()["items"]] == [
        "shop"
    ]


def test_a_viewer_may_read_but_not_change(api: Api) -> None:
    assert api.get("/api/v1/applications/shop", user="vic").status_code == 200
    for path, body in (
        ("/api/v1/applications/shop/deploy", {}),
        ("/api/v1/applications/shop/rollback", {}),
        ("/api/v1/configs/dev/values", {"values": {"a": 1}}),
        ("/api/v1/applications/shop/promote", {"toEnvironment": "staging"}),
        ("/api/v1/templates", {"name": "t", "files": {}}),
        ("/api/v1/applications", {"name": "x", "template": "shop", "environment": "dev"}),
    ):
        response = api.post(path, body, user="vic")
        assert response.status_code == 403, (path, response.text)
    assert api.patch("/api/v1/applications/shop", {}, user="vic").status_code == 403


def test_admin_only_endpoints(api: Api) -> None:
    body = {"name": "qa", "kubeconfig": str(api.kubeconfig), "namespace": "qa"}
    assert api.post("/api/v1/environments", body, user="dana").status_code == 403
    assert (
        api.post("/api/v1/environments/dev/clone", {"name": "qa"}, user="dana").status_code == 403
    )
    assert (
        api.put("/api/v1/environments/dev/approval", {"required": True}, user="dana").status_code
        == 403
    )
    assert api.get("/api/v1/audit", user="dana").status_code == 403
    assert api.get("/api/v1/audit/export", user="dana").status_code == 403
    assert api.get("/api/v1/audit", user="vic", params={"environment": "dev"}).status_code == 200
    assert api.get("/api/v1/audit", user="vic", params={"environment": "other"}).status_code == 403


def test_unused_config_needs_a_deployer_somewhere(api: Api) -> None:
    assert (
        api.post("/api/v1/configs/scratch/values", {"values": {"a": 1}}, user="vic").status_code
        == 403
    )
    assert (
        api.post("/api/v1/configs/scratch/values", {"values": {"a": 1}}, user="olga").status_code
        == 200
    )
    assert api.get("/api/v1/configs/scratch", user="vic").status_code == 200
