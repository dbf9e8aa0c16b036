"""``kapstan approval ...`` and approval-gated deploys and promotions, through a server.

Environment ``g...`` requires approval; dana and paul deploy there. What dana asks for
waits until paul (never dana) approves it, then runs once, as dana's.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kapstan import sandbox
from tests.remote.conftest import Cli, Server
from tests.remote.test_deploys import import_template, lines, make_app, make_env


@pytest.fixture(scope="module")
def paul(server: Server) -> str:
    """A second deployer, to approve what dana asks for."""
    with server.store() as store:
        store.create_user("paul", password=None)
        server.tokens["paul"] = store.create_token("paul")[0]
    return "paul"


@dataclass(frozen=True)
class Guarded:
    env: str
    app: str
    kubeconfig: Path


@pytest.fixture
def guarded(cli: Cli, paul: str, sandbox_cluster: sandbox.SandboxState, tmp_path: Path) -> Guarded:
    kubeconfig = Path(sandbox_cluster.kubeconfig)
    import_template(cli, tmp_path / "duo")
    name = f"g{uuid.uuid4().hex[:4]}"
    make_env(cli, name, kubeconfig, dana="deployer", paul="deployer", vic="viewer")
    with cli.server.store() as store:
        store.set_environment_approval(name, True)
    make_app(cli, name, "duo", name)
    return Guarded(name, name, kubeconfig)


def approval_id(out: str) -> int:
    found = re.search(r"approval (\d+) is pending", out)
    assert found, out
    return int(found.group(1))


def test_a_deploy_waits_for_a_second_users_approval_then_runs_once(
    cli: Cli, guarded: Guarded
) -> None:
    asked = cli.remote("app", "deploy", guarded.app, "--yes", user="dana")
    assert asked.code == 3, asked.err  # waiting for approval: its own exit code
    number = approval_id(asked.out)
    assert f"`kapstan approval approve {number}`" in asked.out
    assert f"environment {guarded.env} requires approval" in asked.out
    assert cli.remote("app", "operations", guarded.app, "-o", "json").json() == []

    pending = cli.remote("approval", "list", "--status", "pending", "-o", "json", user="paul")
    assert [
        (a["id"], a["requestedBy"], a["application"])
        for a in pending.json()
        if a["environment"] == guarded.env
    ] == [(number, "dana", guarded.app)]
    table = cli.remote("approval", "list", "--env", guarded.env, user="paul")
    assert re.search(
        rf"^{number} +deploy +{guarded.app} +{guarded.env} +pending +dana", table.out, re.M
    ), table.out

    local = cli.local("approval", "list", "--env", guarded.env)
    assert local.code == 0 and local.out == table.out, "the same requests, read from the store"

    own = cli.remote("approval", "approve", str(number), user="dana")
    assert own.code == 1 and "your own request" in own.err
    viewer = cli.remote("approval", "approve", str(number), user="vic")
    assert viewer.code == 1 and "vic" in viewer.err
    assert cli.remote("app", "operations", guarded.app, "-o", "json").json() == []

    approved = cli.remote("approval", "approve", str(number), "--wait", user="paul")
    assert approved.code == 0, approved.err
    assert "(deploy) succeeded: 2 ready" in approved.out
    assert lines(approved, f"  {'api':<12} ready      "), "progress as it happens"
    (op,) = cli.remote("app", "operations", guarded.app, "-o", "json").json()
    assert (op["author"], op["status"]) == ("dana", "succeeded"), "run as its requester's"
    shown = cli.remote("approval", "show", str(number), user="dana")
    assert "status: used" in shown.out and "decided by: paul" in shown.out
    again = cli.remote("approval", "approve", str(number), user="paul")
    assert again.code == 1 and "approval" in again.err


def test_withdraw_and_reject_stop_a_request(cli: Cli, guarded: Guarded) -> None:
    first = approval_id(cli.remote("app", "deploy", guarded.app, "--yes", user="dana").out)
    other = cli.remote("approval", "withdraw", str(first), user="paul")
    assert other.code == 1 and "only they can withdraw" in other.err
    taken = cli.remote("approval", "withdraw", str(first), "-r", "wrong tag", user="dana")
    assert (taken.code, taken.out) == (0, f"approval {first} withdrawn: wrong tag\n")
    late = cli.remote("approval", "approve", str(first), user="paul")
    assert late.code == 1

    second = approval_id(cli.remote("app", "deploy", guarded.app, "--yes", user="dana").out)
    rejected = cli.remote(
        "approval", "reject", str(second), "-r", "freeze", "-o", "json", user="paul"
    )
    assert rejected.code == 0, rejected.err
    assert (rejected.json()["status"], rejected.json()["reason"]) == ("rejected", "freeze")
    assert cli.remote("app", "operations", guarded.app, "-o", "json").json() == []


def test_promotion_through_the_server_is_the_local_one_or_waits_for_approval(
    cli: Cli, guarded: Guarded
) -> None:
    tag = uuid.uuid4().hex[:4]
    make_app(cli, f"src{tag}", "duo", "dev")
    plain = f"p{tag}"
    make_env(cli, plain, guarded.kubeconfig, dana="deployer")

    remote = cli.remote(
        "app", "promote", f"src{tag}", "--to", plain, "--as", f"r{tag}", user="dana"
    )
    local = cli.local("app", "promote", f"src{tag}", "--to", plain, "--as", f"l{tag}")
    assert remote.code == local.code == 0, remote.err
    assert remote.out == f"r{tag} created in {plain}: template duo@1, config {plain}@1\n"
    assert remote.out == local.out.replace(f"l{tag}", f"r{tag}")
    assert cli.remote("app", "operations", f"r{tag}", "-o", "json").json() == [], "no --deploy"
    again_remote = cli.remote(
        "app", "promote", f"src{tag}", "--to", plain, "--as", f"r{tag}", "-o", "json", user="dana"
    )
    again_local = cli.local(
        "app", "promote", f"src{tag}", "--to", plain, "--as", f"l{tag}", "-o", "json"
    )
    assert again_remote.json()["created"] is False
    assert again_remote.out == again_local.out.replace(f"l{tag}", f"r{tag}")

    refused = cli.local("app", "promote", f"src{tag}", "--to", guarded.env)
    assert refused.code == 3 and "requires approval" in refused.err, refused.err
    assert "'local-op' is not a user of this store" in refused.err, "who could ask, and how"
    target = f"src{tag}-{guarded.env}"
    asked = cli.remote("app", "promote", f"src{tag}", "--to", guarded.env, "--deploy", user="dana")
    assert asked.code == 3, asked.err
    number = approval_id(asked.out)
    assert cli.local("app", "show", target).code == 1, "nothing is created before approval"
    approved = cli.remote("approval", "approve", str(number), user="paul")
    assert approved.code == 0, approved.err
    started = re.search(
        r"operation (\d+) started; follow it with `kapstan app operation (\S+) \1`", approved.out
    )
    assert started and started.group(2) == target, approved.out
    assert f"approval {number} approved: promote of {target} in {guarded.env}, as dana" in (
        approved.out
    )
    assert finished(cli, target, int(started.group(1)))["status"] == "succeeded"
    shown = cli.local("app", "show", target, "-o", "json").json()
    assert shown["environment"] == guarded.env

    deployed = cli.remote(
        "app", "promote", f"src{tag}", "--to", plain, "--as", f"r{tag}", "--deploy", user="dana"
    )
    assert deployed.code == 0, deployed.err
    assert deployed.out.startswith(f"r{tag} updated in {plain}: template duo@1")
    assert "(deploy) succeeded: 2 ready" in deployed.out
    assert lines(deployed, f"  {'db':<12} ready      ")


def finished(cli: Cli, app: str, operation: int) -> dict[str, Any]:
    """The operation once it has finished (polled: approving does not wait for it)."""
    for _ in range(600):
        op: dict[str, Any] = cli.local("app", "operation", app, str(operation), "-o", "json").json()
        if op["finishedAt"] is not None:
            return op
        time.sleep(0.2)
    raise AssertionError(f"operation {operation} of {app} did not finish")
