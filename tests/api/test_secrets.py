"""No response ever carries a secret value: every route is called and every body scanned."""

from __future__ import annotations

from pathlib import Path

from tests.api import samples
from tests.api.conftest import Api
from tests.api.test_hooks import send

NEW_SECRET = "another-plaintext-Q7"
KEPT_SECRET = "sent-without-secret-true-K2"  # a plain value over a secret key
HOOK_SECRET_VALUE = "set-by-a-webhook-H8"


def test_no_response_contains_a_secret(api: Api, tmp_path: Path) -> None:
    bodies: list[str] = []

    def keep(response: object) -> None:
        bodies.append(getattr(response, "text", ""))

    keep(
        api.post(
            "/api/v1/configs/dev/values", {"values": {"api.token": NEW_SECRET}, "secret": True}
        )
    )
    keep(api.post("/api/v1/configs/dev/values", {"values": {"api.replicas": 2}}))
    hook = api.post("/api/v1/applications/shop/webhook")
    hook_secret = hook.json()["secret"]
    keep(api.post("/api/v1/environments/dev/clone", {"name": "dev2", "namespace": "ns-dev2"}))
    keep(api.post("/api/v1/applications/shop/deploy", {}, params={"wait": "true"}))
    keep(api.post("/api/v1/applications/shop/promote", {"toEnvironment": "staging"}))
    keep(
        api.post(
            "/api/v1/applications", {"name": "shop3", "template": "shop", "environment": "dev"}
        )
    )
    doc = api.client.get("/openapi.json").json()
    for path, ops in doc["paths"].items():
        if "get" not in ops:
            continue
        for app in ("shop", "shop3"):
            url = path.format(
                app=app, name="dev", operation_id=1, approval_id=1, token_id=1, rollout_id=1
            )
            params: dict[str, str | int] = {
                "old": 1,
                "new": 3,
                "service": "api",
                "reachability": "true",
                "health": "true",
            }
            keep(api.client.get(url, params=params, headers=api.auth("root")))
            keep(api.client.get(url, headers=api.auth("root")))
    for version in (1, 2, 3, 4):
        keep(api.get("/api/v1/configs/dev", params={"version": version}))
        keep(api.get("/api/v1/configs/dev2", params={"version": 1}))
    keep(api.get("/api/v1/configs/dev/diff", params={"old": 1, "new": 4}))
    keep(api.get("/api/v1/applications/shop/render"))
    # Output paths added since (issue 12): a plain value over a secret key (kept secret), a
    # secret key made plain (its old value never shown), webhooks accepted and refused
    # (audited), cancel with nothing running, deletion plans, refused and done deletions.
    keep(api.post("/api/v1/configs/dev/values", {"values": {"db.password": KEPT_SECRET}}))
    keep(
        api.post(
            "/api/v1/configs/dev/values", {"values": {"api.token": "now-plain"}, "plain": True}
        )
    )
    accepted = send(api, hook_secret, {"set": {"db.password": HOOK_SECRET_VALUE}})
    refused = send(api, "wrong-secret", {"set": {"db.password": HOOK_SECRET_VALUE}})
    assert (accepted.status_code, refused.status_code) == (200, 401), accepted.text
    keep(accepted)
    keep(refused)
    latest = api.get("/api/v1/configs/dev").json()["version"]
    for old in (1, latest - 2, latest - 1):
        keep(api.get("/api/v1/configs/dev/diff", params={"old": old, "new": latest}))
    keep(api.get("/api/v1/configs/dev/history", params={"limit": 100}))
    keep(api.post("/api/v1/applications/shop/cancel", {}))
    keep(api.get("/api/v1/applications/shop/deletion"))
    keep(api.delete("/api/v1/configs/dev"))
    keep(api.delete("/api/v1/environments/dev"))
    keep(api.delete("/api/v1/templates/shop"))
    keep(api.delete("/api/v1/applications/shop3"))
    keep(api.delete("/api/v1/configs/dev2"))
    for action in ("config.plain", "config.set", "webhook.accept", "webhook.reject"):
        assert api.audit(action), action
    keep(api.get("/api/v1/audit", params={"limit": 500}))
    keep(api.get("/api/v1/audit/export"))
    everything = "\n".join(bodies)
    assert len(bodies) > 100
    assert "<redacted>" in everything
    for secret in (samples.SECRET, NEW_SECRET, hook_secret, KEPT_SECRET, HOOK_SECRET_VALUE):
        assert secret not in everything
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("kapstan.db*"))
    for secret in (samples.SECRET, NEW_SECRET, hook_secret, KEPT_SECRET, HOOK_SECRET_VALUE):
        assert secret.encode() not in raw, "a secret is stored in plaintext"
