"""Deleting and taking access away through the API: who may, what is refused (409, naming
the users), what stays readable, and that every change is audited."""

from __future__ import annotations

import time

from tests.api.conftest import Api


def test_application_delete_is_an_operation_and_keeps_history(api: Api) -> None:
    plan = api.get("/api/v1/applications/shop/deletion")
    assert plan.status_code == 200, plan.text
    assert plan.json() == {
        "app": "shop",
        "environment": "dev",
        "namespace": "ns-dev",
        "deleteVolumes": False,
        "services": [],
    }  # never deployed
    refused = api.client.delete("/api/v1/applications/shop", headers=api.auth("dana"))
    assert refused.status_code == 403  # a deployer: deleting needs the environment's admin
    assert "may not delete in environment 'dev'" in refused.json()["error"]["message"]

    done = api.client.delete(
        "/api/v1/applications/shop", params={"wait": "true"}, headers=api.auth("root")
    )
    assert done.status_code == 200, done.text
    op = done.json()
    assert (op["kind"], op["status"], op["message"]) == (
        "delete",
        "succeeded",
        "application shop deleted: 0 object(s) deleted",
    )
    gone = api.get("/api/v1/applications/shop")
    assert gone.status_code == 404
    assert "it was deleted at" in gone.json()["error"]["message"]
    assert api.get("/api/v1/applications/shop/operations").status_code == 404
    history = api.get("/api/v1/applications/shop/operations", params={"deleted": "true"})
    assert [o["id"] for o in history.json()["items"]] == [op["id"]]
    one = api.get(f"/api/v1/applications/shop/operations/{op['id']}", user="vic")
    assert one.status_code == 200 and one.json()["kind"] == "delete"
    assert [e["details"]["operation"] for e in api.audit("app.delete")] == [op["id"]]
    # The name is free again.
    again = api.post(
        "/api/v1/applications", {"name": "shop", "template": "shop", "environment": "dev"}
    )
    assert again.status_code == 201, again.text


def test_environment_template_config_refused_while_in_use(api: Api) -> None:
    env = api.delete("/api/v1/environments/dev")
    assert env.status_code == 409
    assert env.json()["error"]["message"].startswith(
        "environment 'dev' is used by application(s) shop;"
    )
    template = api.delete("/api/v1/templates/shop")
    assert template.status_code == 409
    assert "template 'shop' is used by application(s) shop" in template.json()["error"]["message"]
    config = api.delete("/api/v1/configs/dev")
    assert config.status_code == 409
    assert "config 'dev' is used by application(s) shop" in config.json()["error"]["message"]
    assert api.delete("/api/v1/configs/staging").json()["error"]["message"] == (
        "config 'staging' is the own config of environment(s) staging; "
        "delete the environment(s) first"
    )
    assert api.delete("/api/v1/environments/other", user="dana").status_code == 403

    cascade = api.client.delete(
        "/api/v1/environments/dev", params={"cascade": "true"}, headers=api.auth("root")
    )
    assert cascade.status_code == 200, cascade.text
    assert cascade.json()["applications"] == ["shop"]
    assert api.get("/api/v1/environments/dev").status_code == 404
    assert api.delete("/api/v1/templates/shop/versions/1").json() == {
        "name": "shop",
        "versions": [1],
    }
    assert api.get("/api/v1/templates/shop").status_code == 404
    assert api.delete("/api/v1/configs/dev").json() == {"name": "dev"}
    actions = [e["action"] for e in api.get("/api/v1/audit").json()["items"]]
    for action in ("app.delete", "environment.delete", "template.delete", "config.delete"):
        assert action in actions


def test_disable_revoke_and_tokens(api: Api) -> None:
    assert api.get("/api/v1/users/me", user="dana").status_code == 200
    assert api.post("/api/v1/users/dana/disable", user="dana").status_code == 403
    disabled = api.post("/api/v1/users/dana/disable")
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert api.get("/api/v1/users/me", user="dana").status_code == 401  # at once
    assert api.post("/api/v1/users/dana/enable").json()["disabled"] is False
    assert api.get("/api/v1/users/me", user="dana").status_code == 200

    revoked = api.delete("/api/v1/users/vic/roles/dev")
    assert revoked.json() == {"user": "vic", "environment": "dev", "role": "viewer"}
    assert api.get("/api/v1/applications/shop", user="vic").status_code == 403
    assert api.delete("/api/v1/users/paul/roles/prod", user="dana").status_code == 403

    assert api.get("/api/v1/tokens", params={"all": "true"}, user="dana").status_code == 403
    everyone = api.get("/api/v1/tokens", params={"all": "true"}).json()["items"]
    olga = next(t for t in everyone if t["user"] == "olga")
    assert api.delete(f"/api/v1/tokens/{olga['id']}", user="dana").status_code == 404
    assert api.delete(f"/api/v1/tokens/{olga['id']}").json()["revoked"] is True
    assert api.get("/api/v1/users/me", user="olga").status_code == 401
    actions = [e["action"] for e in api.get("/api/v1/audit").json()["items"]]
    for action in ("user.disable", "user.enable", "role.revoke", "token.revoke"):
        assert action in actions


def test_application_delete_waits_for_approval_where_the_environment_requires_it(
    api: Api,
) -> None:
    made = api.post(
        "/api/v1/applications",
        {"name": "shop-prod", "template": "shop", "environment": "prod", "config": "dev"},
    )
    assert made.status_code == 201, made.text
    asked = api.delete("/api/v1/applications/shop-prod")
    assert asked.status_code == 202, asked.text
    approval_id = asked.json()["approvalId"]
    assert (asked.json()["status"], asked.json()["operationId"]) == ("approval-required", None)
    assert api.get("/api/v1/applications/shop-prod").status_code == 200  # nothing ran yet

    approved = api.post(f"/api/v1/approvals/{approval_id}/approve", user="dana")
    assert approved.status_code == 202, approved.text
    op_id = approved.json()["operationId"]
    deadline = time.monotonic() + 30
    while api.store.get_operation(op_id).finished_at is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    op = api.store.get_operation(op_id)
    assert (op.kind, op.status.value, op.author) == ("delete", "succeeded", "root")
    assert api.get("/api/v1/applications/shop-prod").status_code == 404
