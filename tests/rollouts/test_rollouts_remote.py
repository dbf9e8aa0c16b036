"""Rollouts through a real ``kapstan server`` (``tests.remote.conftest``): the CLI with
``--server`` prints what it prints locally, waits for approvals the same way, and follows a
rollout the server runs (long polls) to its end.

The world: app ``src`` in dev; stage, and prod which requires approval (dana approves); the
kubeconfig reaches no cluster, so a rollout that runs fails in its canary.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from kapstan.templates.parser import parse_template
from tests.remote.conftest import Cli, Server, cli, server

__all__ = ["cli", "server"]  # the fixtures used here

FILES = {
    "kapstan.yaml": "name: tiny\nservices:\n  web:\n    manifests: [web.yaml]\n",
    "web.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: '1'}\n",
}


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[Server]:
    with server.store() as store:
        for env in ("stage", "prod"):
            store.create_environment(
                env, kubeconfig=str(server.kubeconfig), context=None, namespace=env, config=None
            )
            store.grant_role("dana", env, "deployer")
        store.set_environment_approval("prod", True)
        store.save_template_version("tiny", FILES, parse_template(FILES).digest, author="setup")
        store.create_config("dev-src", {}, author="setup")
        store.create_application(
            "src",
            template="tiny",
            template_version=1,
            environment="dev",
            config="dev-src",
            config_version=None,
        )
    yield server


def test_a_rollout_plan_reads_the_same_locally_and_through_the_server(
    world: Server, cli: Cli
) -> None:
    saved = cli.remote("rollout", "plan", "set", "wide", "--canary", "stage", "--then", "prod",
                       "--soak", "1m", "--parallel", "2")  # fmt: skip
    assert saved.code == 0, saved.err
    assert saved.out.strip() == (
        "rollout plan wide: canary stage, soak 60s, then prod, 2 at once; leaves what is done "
        "on failure"
    )
    local, remote = cli.both("rollout", "plan", "list")
    assert (local.code, local.out) == (remote.code, remote.out)
    assert "wide" in local.out


def test_a_rollout_through_the_server_waits_then_runs_and_stops(world: Server, cli: Cli) -> None:
    asked = cli.remote("app", "promote", "src", "--to", "stage,prod", "-o", "json")
    assert asked.code == 3, asked.err
    waiting = json.loads(asked.out)
    assert waiting["status"] == "waiting-approval"
    approval = waiting["environments"][1]["approval"]
    assert approval is not None
    assert f"prod (approval {approval})" in asked.err
    assert f"kapstan rollout resume {waiting['id']}" in asked.err

    early = cli.remote("rollout", "resume", str(waiting["id"]), "-o", "json")
    assert early.code == 3 and json.loads(early.out)["status"] == "waiting-approval"
    approved = cli.remote("approval", "approve", str(approval), user="dana")
    assert approved.code == 0, approved.err
    assert f"rollout {waiting['id']}" in approved.out

    ran = cli.remote("rollout", "resume", str(waiting["id"]), "-o", "json")
    assert ran.code == 1, ran.err
    ended = json.loads(ran.out)
    assert ended["status"] == "failed"
    assert [(e["environment"], e["state"]) for e in ended["environments"]] == [
        ("stage", "failed"),
        ("prod", "pending"),
    ]
    local, remote = cli.both("rollout", "show", str(waiting["id"]))
    assert local.code == remote.code == 0
    assert local.out == remote.out
    assert "stage" in local.out and "canary" in local.out and "not started: prod" in local.out
