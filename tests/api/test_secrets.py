"""No response ever carries a secret value: every route is called and every body scanned."""

from __future__ import annotations

from tests.api import samples
from tests.api.conftest import Api

NEW_SECRET = "another-plaintext-Q7"


def test_no_response_contains_a_secret(api: Api) -> None:
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
            url = path.format(app=app, name="dev", operation_id=1, approval_id=1, token_id=1)
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
    keep(api.get("/api/v1/audit/export"))
    everything = "\n".join(bodies)
    assert len(bodies) > 100
    assert "<redacted>" in everything
    for secret in (samples.SECRET, NEW_SECRET, hook_secret):
        assert secret not in everything
