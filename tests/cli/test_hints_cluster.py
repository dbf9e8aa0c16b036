"""Hints and output that need a deploy: the sandbox cluster, driven as a user drives it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from kapstan import sandbox
from tests.cli.conftest import Run

pytestmark = pytest.mark.cluster

# The bookstore with its services listed against their dependency order.
BACKWARDS = """name: bookstore
services:
  web:
    manifests: [services/web.yaml]
    dependsOn: [catalog]
    calls: [catalog]
  catalog:
    manifests: [services/catalog.yaml]
    dependsOn: [postgres]
    calls: [postgres]
    env: [catalog.log-level, {db.password: DB_PASSWORD}]
  postgres:
    manifests: [services/postgres.yaml]
    env: {db.password: POSTGRES_PASSWORD}
config:
  catalog.replicas: 2
  catalog.log-level: info
"""


@pytest.fixture
def shop(kapstan: Run, bookstore: Path, sandbox_cluster: sandbox.SandboxState) -> Run:
    (bookstore / "kapstan.yaml").write_text(BACKWARDS)
    namespace = f"hints-{uuid.uuid4().hex[:8]}"
    steps = [
        ("template", "import", bookstore),
        ("config", "set", "dev", "web.host=shop.example.test", "catalog.replicas=1"),
        ("config", "set", "dev", "--secret", "db.password=hunter2-secret"),
        (
            "env",
            "create",
            "dev",
            "--kubeconfig",
            sandbox_cluster.kubeconfig,
            "--namespace",
            namespace,
            "--config",
            "dev",
        ),
        ("app", "create", "shop", "--template", "bookstore", "--env", "dev"),
    ]
    for step in steps:
        result = kapstan(*step)
        assert result.code == 0, (step, result.err)
    return kapstan


def test_plan_deploy_history_and_diff_say_what_a_user_needs(shop: Run) -> None:
    planned = shop("app", "plan", "shop", "-o", "json").json()
    assert [s["service"] for s in planned["services"]] == ["postgres", "catalog", "web"]
    assert planned["hints"] == []
    text = shop("app", "plan", "shop").out
    assert text.index("postgres:") < text.index("catalog:") < text.index("web:")
    assert shop("app", "deploy", "shop", "--yes", "-m", "first").code == 0

    # A new config version changes nothing until the app is moved to it: say so.
    assert shop("config", "set", "dev", "catalog.replicas=2").code == 0
    planned = shop("app", "plan", "shop", "-o", "json").json()
    assert len(planned["hints"]) == 1 and "kapstan app update shop" in planned["hints"][0]
    assert "config dev@3 (it uses @2)" in planned["hints"][0]
    deployed = shop("app", "deploy", "shop", "--yes")
    assert deployed.code == 0, deployed.err
    assert "hint: application shop is pinned to older versions" in deployed.out

    assert shop("app", "update", "shop").code == 0
    assert shop("app", "plan", "shop", "-o", "json").json()["hints"] == []
    assert shop("app", "deploy", "shop", "--yes", "-m", "two replicas").code == 0
    rolled = shop("app", "rollback", "shop", "-s", "catalog", "--to", "1", "--yes")
    assert rolled.code == 0, rolled.err

    history = shop("app", "history", "shop", "-s", "catalog", "-o", "json").json()
    assert [(r["revision"], r["message"], r["rollbackTo"]) for r in history] == [
        (1, "first", None),
        (2, "two replicas", None),
        (3, "rollback to catalog@1", 1),
    ]
    table = shop("app", "history", "shop", "-s", "catalog").out
    assert "rollback to catalog@1" in table and "to 1" in table

    diff = shop("app", "diff", "shop", "1", "2", "-s", "catalog")
    assert diff.code == 0, diff.err
    assert "replicas: 2" in diff.out and "kapstan.io/" not in diff.out
    managed = shop("app", "diff", "shop", "1", "2", "-s", "catalog", "--show-managed").out
    assert "kapstan.io/config-version" in managed
