"""``kapstan app plan|deploy|rollback|status|operation(s)`` through a server, on the sandbox.

The same small template is deployed twice: once through the server (app ``duo-r`` in
environment ``live-r``) and once locally (``duo-l`` in ``live-l``, its own namespace), and
the two outputs are compared once namespaces, names and operation ids are set aside.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from kapstan import sandbox
from kapstan.model.operation import Step
from tests.remote.conftest import Cli, Result

TEMPLATE = """\
name: duo
services:
  db:
    manifests: [db.yaml]
  api:
    manifests: [api.yaml]
    dependsOn: [db]
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}{labels}}}}}
    spec:
      containers: [{{name: {name}, image: "{name}:${{{name}.tag:-1.0}}"}}]
"""
STUCK = ", kapstan.io/sandbox-fault: never-ready"


def import_template(cli: Cli, where: Path, name: str = "duo", *, stuck: str = "") -> None:
    """Template ``name``: db, then api; the service named ``stuck`` never becomes ready."""
    where.mkdir(parents=True, exist_ok=True)
    (where / "kapstan.yaml").write_text(TEMPLATE.replace("name: duo", f"name: {name}"))
    for service in ("db", "api"):
        labels = STUCK if service == stuck else ""
        (where / f"{service}.yaml").write_text(DEPLOYMENT.format(name=service, labels=labels))
    assert cli.local("template", "import", where).code == 0


def make_env(cli: Cli, name: str, kubeconfig: Path, **roles: str) -> str:
    """Environment ``name`` on the sandbox in a namespace of its own; ``roles``: user -> role."""
    namespace = f"{name}-{uuid.uuid4().hex[:6]}"
    assert cli.local("config", "set", name, "api.tag=1.0").code == 0
    made = cli.local(
        "env",
        "create",
        name,
        "--kubeconfig",
        kubeconfig,
        "--namespace",
        namespace,
        "--config",
        name,
    )
    assert made.code == 0, made.err
    with cli.server.store() as store:
        for user, role in roles.items():
            store.grant_role(user, name, role)
    return namespace


def make_app(cli: Cli, name: str, template: str, env: str) -> None:
    made = cli.local("app", "create", name, "--template", template, "--env", env)
    assert made.code == 0, made.err


@dataclass(frozen=True)
class World:
    """App ``remote`` (env ``remote``) for the server, ``local`` (env ``local``) for local runs."""

    remote: str
    local: str
    remote_ns: str
    local_ns: str

    def same(self, text: str) -> str:
        """``text`` with the local run's names as the remote's, operation ids set aside."""
        for old, new in ((self.local_ns, self.remote_ns), (self.local, self.remote)):
            text = text.replace(old, new)
        return re.sub(r"operation \d+", "operation N", text)


@pytest.fixture
def world(cli: Cli, sandbox_cluster: sandbox.SandboxState, tmp_path: Path) -> World:
    kubeconfig = Path(sandbox_cluster.kubeconfig)
    tag = uuid.uuid4().hex[:4]
    import_template(cli, tmp_path / "duo")
    remote, local = f"r{tag}", f"l{tag}"
    remote_ns = make_env(cli, remote, kubeconfig, dana="deployer", vic="viewer")
    local_ns = make_env(cli, local, kubeconfig)
    make_app(cli, remote, "duo", remote)
    make_app(cli, local, "duo", local)
    return World(remote, local, remote_ns, local_ns)


def lines(result: Result, prefix: str) -> list[str]:
    return [ln for ln in result.err.splitlines() if ln.startswith(prefix)]


def test_plan_deploy_status_and_operations_print_the_same_either_way(
    cli: Cli, world: World
) -> None:
    for fmt in ("table", "json", "yaml"):
        local_plan = cli.local("app", "plan", world.remote, "-o", fmt)
        remote_plan = cli.remote("app", "plan", world.remote, "-o", fmt, user="vic")
        assert remote_plan.code == local_plan.code == 0, remote_plan.err
        assert remote_plan.out == local_plan.out
    assert "db: create" in remote_plan.out or "action: create" in remote_plan.out
    assert f"Deployment.apps {world.remote_ns}/api" in remote_plan.out

    unconfirmed = cli.remote("app", "deploy", world.remote, user="dana")
    assert unconfirmed.code == 1 and "pass --yes" in unconfirmed.err
    refused = cli.remote("app", "deploy", world.remote, "--yes", user="vic")
    assert refused.code == 1 and "vic" in refused.err and "deploy" in refused.err
    assert cli.remote("app", "operations", world.remote, "-o", "json").json() == [], (
        "nothing started"
    )

    remote = cli.remote("app", "deploy", world.remote, "--yes", user="dana")
    local = cli.local("app", "deploy", world.local, "--yes")
    assert remote.code == local.code == 0, remote.err
    assert "(deploy) succeeded: 2 ready" in remote.out
    assert world.same(remote.out) == world.same(local.out), "the plan, then the same result table"
    for service in ("db", "api"):
        ready = f"  {service:<12} ready      "
        assert lines(remote, ready) and lines(local, ready), "progress as it happens, on stderr"
    assert lines(remote, "  (app)        planning"), remote.err
    assert not lines(remote, "  (app)        request"), "the recorded request is bookkeeping"

    for args in (("status",), ("operation",), ("operations",)):
        for fmt in ("table", "json"):
            here, there = cli.both("app", *args, world.remote, "-o", fmt)
            assert here.code == there.code == 0, there.err
            assert there.out == here.out, (args, fmt)
    op = cli.remote("app", "operation", world.remote, "-o", "json").json()
    assert (op["author"], op["status"]) == ("dana", "succeeded")
    status = cli.remote("app", "status", world.remote, "-o", "json").json()
    assert [(s["service"], s["health"], s["revision"]) for s in status] == [
        ("db", "healthy", 1),
        ("api", "healthy", 1),
    ]

    # A change to one service, deployed, then rolled back: the same either way.
    for app in (world.remote, world.local):
        assert cli.local("config", "set", app, "api.tag=2.0").code == 0
        assert cli.local("app", "update", app).code == 0
    remote = cli.remote("app", "deploy", world.remote, "--yes", "-s", "api", user="dana")
    local = cli.local("app", "deploy", world.local, "--yes", "-s", "api")
    assert remote.code == local.code == 0, remote.err
    assert world.same(remote.out) == world.same(local.out)
    remote = cli.remote("app", "rollback", world.remote, "-s", "api", user="dana")
    local = cli.local("app", "rollback", world.local, "-s", "api")
    assert remote.code == local.code == 1, "never rolls back unconfirmed from a script"
    assert "not rolling back without confirmation: pass --yes" in remote.err
    assert world.same(remote.out) == world.same(local.out), "the same plan either way"
    assert f"api: update (1 to update)\n  update    Deployment.apps {world.remote_ns}/api" in (
        remote.out
    )
    remote = cli.remote("app", "rollback", world.remote, "-s", "api", "--yes", user="dana")
    local = cli.local("app", "rollback", world.local, "-s", "api", "--yes")
    assert remote.code == local.code == 0, remote.err
    assert "(rollback) succeeded: 1 ready" in remote.out
    assert world.same(remote.out) == world.same(local.out)
    assert lines(remote, f"  {'api':<12} ready      ")
    status = cli.remote("app", "status", world.remote, "-o", "json").json()
    assert [(s["service"], s["revision"]) for s in status] == [("db", 1), ("api", 3)]
    assert [
        o["kind"] for o in cli.remote("app", "operations", world.remote, "-o", "json").json()
    ] == ["rollback", "deploy", "deploy"]


def test_a_service_that_never_becomes_ready_fails_with_its_reasons(
    cli: Cli, sandbox_cluster: sandbox.SandboxState, tmp_path: Path
) -> None:
    import_template(cli, tmp_path / "stuck", "stuck", stuck="api")
    name = f"s{uuid.uuid4().hex[:4]}"
    make_env(cli, name, Path(sandbox_cluster.kubeconfig), dana="deployer")
    make_app(cli, name, "stuck", name)
    failed = cli.remote("app", "deploy", name, "--yes", "--timeout", "4", user="dana")
    assert failed.code == 1, failed.err
    assert "(deploy) failed: 1 failed, 1 ready" in failed.out
    assert re.search(r"^api +failed +1 +", failed.out, re.M), failed.out
    op = cli.local("app", "operation", name, "-o", "json").json()
    reasons = [e["message"] for e in op["events"] if e["status"] == "reason"]
    assert reasons and all(e["service"] == "api" for e in op["events"] if e["status"] == "reason")
    assert failed.out.endswith("".join(f"  {r}\n" for r in reasons)), "why, after the table"
    assert lines(failed, f"  {'api':<12} failed     "), "the failure also shows as progress"


def test_an_app_locked_by_another_operation_is_refused_with_the_servers_message(
    cli: Cli, world: World
) -> None:
    with cli.server.store() as store:
        holder = store.start_operation(world.remote, "deploy", author="ghost", services=["db"])
        store.acquire_lock(
            world.remote, owner="ghost@elsewhere", operation_id=holder.id, lease_seconds=600
        )
    try:
        refused = cli.remote("app", "deploy", world.remote, "--yes", user="dana")
        local = cli.local("app", "deploy", world.remote, "--yes")
    finally:
        with cli.server.store() as store:
            store.release_lock(world.remote, owner="ghost@elsewhere")
            store.finish_operation(holder.id, Step.FAILED, "test over")
    assert refused.code == local.code == 1
    assert "ghost@elsewhere" in refused.err and f"operation {holder.id}" in refused.err
    assert refused.err.split(" since ")[0] == local.err.split(" since ")[0], (
        refused.err,
        local.err,
    )


def test_a_plan_through_the_server_says_the_app_is_pinned_to_older_versions(
    cli: Cli, world: World
) -> None:
    assert cli.local("config", "set", world.remote, "api.tag=1.1").code == 0
    local_plan = cli.local("app", "plan", world.remote, "-o", "json")
    remote_plan = cli.remote("app", "plan", world.remote, "-o", "json", user="vic")
    assert remote_plan.code == local_plan.code == 0, remote_plan.err
    hints = remote_plan.json()["hints"]
    assert hints == local_plan.json()["hints"] and len(hints) == 1
    assert f"kapstan app update {world.remote}" in hints[0]
    table = cli.remote("app", "plan", world.remote, user="vic").out
    assert f"hint: application {world.remote} is pinned to older versions" in table
