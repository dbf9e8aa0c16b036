"""The console's rollback button meets the actions' approval gate, as the API's route does:
in an environment that requires approval it asks for one and runs nothing until then."""

from __future__ import annotations

from tests.web.conftest import Console


def test_a_console_rollback_in_a_gated_environment_waits_for_approval(console: Console) -> None:
    store = console.api.store
    store.create_application(
        "shop-prod",
        template="shop",
        template_version=1,
        environment="prod",
        config="prod",
        config_version=None,
    )
    for _ in range(2):
        store.add_revision(
            "shop-prod",
            "api",
            manifests="{}",
            hash="h",
            template="shop",
            template_version=1,
            config="prod",
            config_version=1,
            author="setup",
        )
    asked = console.post("/ui/apps/shop-prod/rollback", "dana", {"service": "api"})
    assert asked.status_code == 202 and "Approval required" in asked.text, asked.text
    (pending,) = store.list_approvals(status="pending")
    assert (pending.kind, pending.requested_by) == ("rollback", "dana")
    assert store.list_operations("shop-prod") == []
    approved = console.post(f"/ui/approvals/{pending.id}/approve", "paul", {})
    assert approved.status_code == 303, approved.text
    (op,) = store.list_operations("shop-prod")
    assert (op.kind, op.author) == ("rollback", "dana")
    assert approved.headers["location"] == f"/ui/apps/shop-prod/operations/{op.id}"
