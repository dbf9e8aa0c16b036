"""Environments that require approval: a deploy or promotion waits for a second user's word,
then runs once. Promotion without approval deploys at once."""

from __future__ import annotations

from tests.api.conftest import Api


def make_prod_app(api: Api) -> None:
    api.store.create_application(
        "shop-prod",
        template="shop",
        template_version=1,
        environment="prod",
        config="prod",
        config_version=None,
    )


def test_deploy_into_a_guarded_environment_waits_for_a_second_user(api: Api) -> None:
    make_prod_app(api)
    asked = api.post("/api/v1/applications/shop-prod/deploy", {"services": ["api"]}, user="dana")
    assert asked.status_code == 202 and asked.json()["status"] == "approval-required"
    approval = asked.json()["approvalId"]
    assert asked.json()["operationId"] is None
    assert api.get("/api/v1/applications/shop-prod/operations").json()["total"] == 0
    pending = api.get("/api/v1/approvals", params={"status": "pending"}, user="paul").json()[
        "items"
    ]
    assert [(a["id"], a["requestedBy"], a["payload"]["services"]) for a in pending] == [
        (approval, "dana", ["api"])
    ]
    own = api.post(f"/api/v1/approvals/{approval}/approve", user="dana")
    assert own.status_code == 403 and "your own request" in own.json()["error"]["message"]
    stranger = api.post(f"/api/v1/approvals/{approval}/approve", user="vic")
    assert stranger.status_code == 403
    approved = api.post(f"/api/v1/approvals/{approval}/approve", user="paul")
    assert approved.status_code == 202
    op = approved.json()["operationId"]
    assert op is not None
    operation = api.get(f"/api/v1/applications/shop-prod/operations/{op}").json()
    assert operation["author"] == "dana" and [s["service"] for s in operation["services"]] == [
        "api"
    ]
    again = api.post(f"/api/v1/approvals/{approval}/approve", user="paul")
    assert again.status_code == 409
    assert api.get(f"/api/v1/approvals/{approval}").json()["status"] == "used"
    assert api.get("/api/v1/applications/shop-prod/operations").json()["total"] == 1
    actions = [
        e["action"] for e in api.get("/api/v1/audit", params={"name": "shop-prod"}).json()["items"]
    ]
    assert actions == ["app.deploy", "approval.approve", "approval.request"]


def test_rejected_request_never_runs(api: Api) -> None:
    make_prod_app(api)
    approval = api.post("/api/v1/applications/shop-prod/deploy", {}, user="dana").json()[
        "approvalId"
    ]
    rejected = api.post(f"/api/v1/approvals/{approval}/reject", {"reason": "freeze"}, user="paul")
    assert rejected.json()["status"] == "rejected" and rejected.json()["reason"] == "freeze"
    late = api.post(f"/api/v1/approvals/{approval}/approve", user="paul")
    assert late.status_code == 409
    assert api.get("/api/v1/applications/shop-prod/operations").json()["total"] == 0
    assert api.get(f"/api/v1/approvals/{approval}", user="olga").status_code == 403


def test_promotion_creates_the_app_in_the_next_environment_and_deploys(api: Api) -> None:
    promoted = api.post(
        "/api/v1/applications/shop/promote", {"toEnvironment": "staging"}, user="dana"
    )
    assert promoted.status_code == 202, promoted.text
    assert promoted.json()["app"] == "shop-staging" and promoted.json()["operationId"]
    app = api.get("/api/v1/applications/shop-staging").json()
    assert (app["environment"], app["config"], app["templateVersion"]) == ("staging", "staging", 1)
    (created,) = api.audit("app.create")[:1]
    assert created["name"] == "shop-staging" and created["details"]["promotedFrom"] == "shop"
    again = api.post(
        "/api/v1/applications/shop/promote", {"to_environment": "staging"}, user="dana"
    )
    assert again.status_code == 202
    assert [e["name"] for e in api.audit("app.update")] == ["shop-staging"]


def test_promotion_refusals(api: Api) -> None:
    same = api.post("/api/v1/applications/shop/promote", {"toEnvironment": "dev"}, user="dana")
    assert same.status_code == 422
    taken = api.post(
        "/api/v1/applications/shop/promote",
        {"toEnvironment": "staging", "appName": "shop"},
        user="dana",
    )
    assert (
        taken.status_code == 409
        and "exists in environment 'dev'" in taken.json()["error"]["message"]
    )
    no_role = api.post("/api/v1/applications/shop/promote", {"toEnvironment": "other"}, user="dana")
    assert no_role.status_code == 403


def test_promotion_into_a_guarded_environment_changes_nothing_until_approved(api: Api) -> None:
    asked = api.post(
        "/api/v1/applications/shop/promote",
        {"toEnvironment": "prod", "appName": "shop-live"},
        user="dana",
    )
    assert asked.status_code == 202 and asked.json()["approvalId"]
    assert api.get("/api/v1/applications/shop-live").status_code == 404
    approved = api.post(f"/api/v1/approvals/{asked.json()['approvalId']}/approve", user="paul")
    assert approved.status_code == 202 and approved.json()["operationId"]
    app = api.get("/api/v1/applications/shop-live").json()
    assert (app["environment"], app["config"]) == ("prod", "prod")


def test_promotion_without_deploy_only_creates_the_app(api: Api) -> None:
    done = api.post(
        "/api/v1/applications/shop/promote",
        {"toEnvironment": "staging", "deploy": False},
        user="dana",
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["app"], done.json()["created"]) == (
        "done",
        "shop-staging",
        True,
    )
    assert done.json()["operationId"] is None
    assert api.get("/api/v1/applications/shop-staging/operations").json()["total"] == 0
    again = api.post(
        "/api/v1/applications/shop/promote",
        {"toEnvironment": "staging", "deploy": False},
        user="dana",
    )
    assert again.json()["created"] is False
    deployed = api.post(
        "/api/v1/applications/shop/promote", {"toEnvironment": "staging"}, user="dana"
    )
    assert deployed.status_code == 202 and deployed.json()["operationId"]


def test_approved_promotion_keeps_the_requests_no_deploy(api: Api) -> None:
    asked = api.post(
        "/api/v1/applications/shop/promote",
        {"toEnvironment": "prod", "deploy": False, "timeout": 30},
        user="dana",
    )
    approval = asked.json()["approvalId"]
    payload = api.get(f"/api/v1/approvals/{approval}").json()["payload"]
    assert (payload["deploy"], payload["timeout"]) == (False, 30)
    approved = api.post(f"/api/v1/approvals/{approval}/approve", user="paul")
    assert approved.status_code == 202, approved.text
    assert approved.json()["status"] == "done" and approved.json()["operationId"] is None
    assert api.get("/api/v1/applications/shop-prod").json()["environment"] == "prod"
    assert api.get("/api/v1/applications/shop-prod/operations").json()["total"] == 0


def test_only_the_requester_withdraws(api: Api) -> None:
    make_prod_app(api)
    approval = api.post("/api/v1/applications/shop-prod/deploy", {}, user="dana").json()[
        "approvalId"
    ]
    other = api.post(f"/api/v1/approvals/{approval}/withdraw", {}, user="paul")
    assert other.status_code == 403 and "only they can withdraw" in other.text
    taken = api.post(f"/api/v1/approvals/{approval}/withdraw", {"reason": "wrong tag"}, user="dana")
    assert taken.status_code == 200, taken.text
    assert (taken.json()["status"], taken.json()["decidedBy"], taken.json()["reason"]) == (
        "rejected",
        "dana",
        "wrong tag",
    )
    assert api.post(f"/api/v1/approvals/{approval}/approve", user="paul").status_code == 409
    assert [e["details"]["approval"] for e in api.audit("approval.withdraw")] == [approval]
    second = api.post("/api/v1/applications/shop-prod/deploy", {}, user="dana").json()["approvalId"]
    plain = api.post(f"/api/v1/approvals/{second}/withdraw", user="dana")
    assert plain.status_code == 200 and plain.json()["reason"] == "withdrawn by dana"
