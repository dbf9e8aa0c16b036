"""No response carries a secret on the paths that need a cluster (issue 12): a refused
deploy over someone else's Secret (ownership), its adoption, plans, status, history,
operations and their events, cancel, the deletion of the app, and the audit log."""

from __future__ import annotations

import pytest

from kapstan import sandbox
from kapstan.kube import connect
from tests.api import samples
from tests.api.conftest import Api
from tests.api.test_deploys import sse_events
from tests.api.test_keyed_checksums_api import live

__all__ = ["live"]

pytestmark = pytest.mark.cluster

FOREIGN = "foreign-plaintext-F5"  # the value of a Secret someone else created


def test_no_live_response_contains_a_secret(
    live: Api, sandbox_cluster: sandbox.SandboxState
) -> None:
    namespace = live.store.get_environment("live").namespace
    with connect(sandbox_cluster.kubeconfig) as kube:
        kube.ensure_namespace(namespace)
        foreign = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "web-api-secret", "namespace": namespace},
            "stringData": {"db.password": FOREIGN},
        }
        kube.apply(foreign, field_manager="kubectl")
    bodies: list[str] = []

    def keep(response: object) -> object:
        bodies.append(getattr(response, "text", ""))
        return response

    plan = live.get("/api/v1/applications/web/plan")
    keep(plan)
    assert "web-api-secret" in plan.text and "conflict" in plan.text, plan.text
    refused = live.post(
        "/api/v1/applications/web/deploy", {"timeout": 120}, params={"wait": "true"}
    )
    keep(refused)
    assert "was created by kubectl, not Kapstan: pass --adopt" in refused.text, refused.text
    adopted = live.post(
        "/api/v1/applications/web/deploy", {"timeout": 120, "adopt": True}, params={"wait": "true"}
    )
    keep(adopted)
    assert adopted.json()["status"] == "succeeded", adopted.text
    op = adopted.json()["id"]
    for path in (
        "plan",
        "status",
        "history",
        "operations",
        f"operations/{op}",
        "rollback/plan",
        "deletion",
        "render",
        "services",
        "changes",
    ):
        keep(live.get(f"/api/v1/applications/web/{path}"))
    events = keep(live.get(f"/api/v1/applications/web/operations/{op}/events"))
    assert sse_events(getattr(events, "text", ""))
    keep(live.post("/api/v1/applications/web/cancel", {}))
    deleted = keep(live.delete("/api/v1/applications/web"))
    assert getattr(deleted, "status_code", 0) == 202
    keep(live.get("/api/v1/applications/web/operations"))
    keep(live.get("/api/v1/audit", params={"limit": 500}))
    keep(live.get("/api/v1/audit/export"))
    assert live.audit("app.adopt")
    everything = "\n".join(bodies)
    for secret in (samples.SECRET, FOREIGN):
        assert secret not in everything
