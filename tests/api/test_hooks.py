"""CI webhooks (signature, timestamp, nonce, size) and the config trigger (autoDeploy)."""

from __future__ import annotations

import json
import time
import uuid

import httpx2

from kapstan.api.flows.hooks import sign
from tests.api.conftest import Api


def secret_for(api: Api, app: str = "shop") -> str:
    created = api.post(f"/api/v1/applications/{app}/webhook", user="dana")
    assert created.status_code == 201, created.text
    return str(created.json()["secret"])


def send(
    api: Api,
    secret: str,
    body: object,
    *,
    app: str = "shop",
    nonce: str | None = None,
    at: int | None = None,
    signature: str | None = None,
    raw: bytes | None = None,
) -> httpx2.Response:
    data = raw if raw is not None else json.dumps(body).encode()
    stamp = str(at if at is not None else int(time.time()))
    once = nonce or uuid.uuid4().hex
    url = f"/api/v1/hooks/{app}"
    headers = {
        "Content-Type": "application/json",
        "X-Kapstan-Timestamp": stamp,
        "X-Kapstan-Nonce": once,
        "X-Kapstan-Signature": signature or sign(secret, stamp, once, "POST", url, data),
    }
    return api.client.post(url, content=data, headers=headers)


def test_signed_hook_sets_keys_as_a_new_config_version(api: Api) -> None:
    secret = secret_for(api)
    response = send(api, secret, {"set": {"api.image.tag": "1.2.3"}})
    assert response.status_code == 200, response.text
    assert response.json()["created"] is True and response.json()["triggered"] == []
    latest = api.get("/api/v1/configs/dev").json()
    assert latest["values"]["api.image.tag"] == "1.2.3" and latest["author"] == "webhook:shop"
    (entry,) = api.audit("webhook.accept")
    assert entry["details"]["keys"] == ["api.image.tag"] and entry["toVersion"] == str(
        latest["version"]
    )


def test_refusals_are_401_409_413_and_audited(api: Api) -> None:
    secret = secret_for(api)
    body = {"set": {"api.image.tag": "9"}}
    assert send(api, "wrong-secret", body).status_code == 401
    stale = send(api, secret, body, at=int(time.time()) - 600)
    assert (
        stale.status_code == 401
        and "seconds from the server's clock" in stale.json()["error"]["message"]
    )
    missing = api.client.post("/api/v1/hooks/shop", json=body)
    assert (
        missing.status_code == 401 and "X-Kapstan-Signature" in missing.json()["error"]["message"]
    )
    assert send(api, secret, body, nonce="n-1").status_code == 200
    replay = send(api, secret, body, nonce="n-1")
    assert (
        replay.status_code == 409 and "nonce was used already" in replay.json()["error"]["message"]
    )
    big = send(api, secret, None, raw=json.dumps({"set": {"k": "x" * 70_000}}).encode())
    assert big.status_code == 413
    reserved = send(api, secret, {"set": {"kapstan.autoDeploy": True}})
    assert reserved.status_code == 422 and "reserved keys" in reserved.json()["error"]["message"]
    not_json = send(api, secret, None, raw=b"tag=1")
    assert not_json.status_code == 422 and "not JSON" in not_json.json()["error"]["message"]
    reasons = [e["details"]["error"] for e in api.audit("webhook.reject")]
    assert sorted(reasons) == sorted(
        [
            "AuthError",
            "AuthError",
            "AuthError",
            "ConflictError",
            "PayloadTooLarge",
            "InputError",
            "InputError",
        ]
    )
    assert api.store.get_config("dev").values["api.image.tag"] == "9"


def test_replay_is_caught_from_the_audit_log_after_a_restart(api: Api) -> None:
    secret = secret_for(api)
    assert send(api, secret, {"set": {"a.b": 1}}, nonce="once").status_code == 200
    api.state.nonces._seen.clear()  # what a restarted (or another) server process knows
    assert send(api, secret, {"set": {"a.b": 2}}, nonce="once").status_code == 409


def test_app_without_a_webhook_secret(api: Api) -> None:
    response = send(api, "anything", {"set": {"a": 1}})
    assert response.status_code == 404
    assert "POST /api/v1/applications/shop/webhook" in response.json()["error"]["message"]


def test_auto_deploy_deploys_the_services_a_config_change_touches(api: Api) -> None:
    on = api.post(
        "/api/v1/configs/dev/values", {"values": {"kapstan.autoDeploy": True}}, user="dana"
    )
    assert on.json()["triggered"] == [
        {
            "app": "shop",
            "services": [],
            "operationId": None,
            "approvalId": None,
            "message": "no service's rendered output changed",
        }
    ]
    assert api.get("/api/v1/applications/shop").json()["autoDeploy"] is True
    changed = api.post("/api/v1/configs/dev/values", {"values": {"web.tag": "2.0"}}, user="dana")
    (triggered,) = changed.json()["triggered"]
    assert triggered["services"] == ["web"] and triggered["operationId"]
    op = api.get(f"/api/v1/applications/shop/operations/{triggered['operationId']}").json()
    assert [s["service"] for s in op["services"]] == ["web"]
    assert api.get("/api/v1/applications/shop").json()["configVersion"] == 3  # the pin moved
    secret = secret_for(api)
    hooked = send(api, secret, {"set": {"api.image.tag": "7"}})
    assert [t["services"] for t in hooked.json()["triggered"]] == [["api"]]
