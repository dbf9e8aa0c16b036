"""kill -9 of a ``kapstan`` CLI running a rollout over r1,r2,r3 on the sandbox, while r2
deploys (the failpoint ``rollout-deploying:r2``: r2's operation is running and holds its
application's lock); ``kapstan rollout resume`` then takes the rollout over at once (its
process is gone) and takes it to done: r1 stays done (same operation), r2's operation is
resumed by the engine (a new operation re-runs its request), r3 is deployed.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kapstan import sandbox
from kapstan.failpoints import MARKER_VARIABLE, VARIABLE
from kapstan.kube import connect
from kapstan.model.operation import Step
from kapstan.store import Store
from kapstan.store.crypto import KEY_VARIABLE, generate_key
from kapstan.templates.parser import parse_template
from tests.durability.conftest import STEP_TIMEOUT, kapstan_command, kill_hard, wait_for_marker
from tests.sqlitestores import migrated_sqlite

pytestmark = pytest.mark.cluster

FILES = {
    "kapstan.yaml": 'name: tiny\nservices:\n  web:\n    manifests: [web.yaml]\nconfig:\n  release: "1"\n',
    "web.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {release: '${release}'}\n",
}
POINT = "rollout-deploying:r2"


class Cli:
    def __init__(self, db_url: str, env: dict[str, str]) -> None:
        self.db_url, self.env = db_url, env

    def argv(self, *args: str) -> list[str]:
        return [*kapstan_command(), "--db", self.db_url, *args]

    def run(self, *args: str, code: int = 0) -> str:
        done = subprocess.run(
            self.argv(*args), env=self.env, capture_output=True, text=True, timeout=STEP_TIMEOUT
        )
        assert done.returncode == code, (args, done.stdout, done.stderr)
        return done.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json"))


@pytest.fixture
def world(
    sandbox_cluster: sandbox.SandboxState, tmp_path: Path
) -> Iterator[tuple[Cli, dict[str, str]]]:
    key = generate_key()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAPSTAN_")}
    cli = Cli(f"sqlite:///{migrated_sqlite(tmp_path / 'kapstan.db')}", env)
    cli.env |= {"KAPSTAN_SECRET_KEY": key, "KAPSTAN_USER": "ana"}
    suffix = uuid.uuid4().hex[:6]
    namespaces = {e: f"rr-{e}-{suffix}" for e in ("dev", "r1", "r2", "r3")}
    kubeconfig = str(sandbox_cluster.kubeconfig)
    with Store.open(cli.db_url, environ={KEY_VARIABLE: key}) as store:  # as the CLI would
        store.save_template_version("tiny", FILES, parse_template(FILES).digest, author="ana")
        for e, namespace in namespaces.items():
            store.create_config(e, {"release": "2"}, author="ana")
            store.create_environment(
                e, kubeconfig=kubeconfig, context=None, namespace=namespace, config=e
            )
        store.create_application(
            "src", template="tiny", template_version=1, environment="dev", config="dev",
            config_version=None,
        )  # fmt: skip
    try:
        yield cli, namespaces
    finally:
        with connect(kubeconfig) as kube:
            for namespace in namespaces.values():
                kube.delete("v1", "Namespace", namespace)


def test_a_rollout_killed_mid_environment_resumes_to_done(
    world: tuple[Cli, dict[str, str]], sandbox_cluster: sandbox.SandboxState, tmp_path: Path
) -> None:
    cli, namespaces = world
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        cli.argv("app", "promote", "src", "--to", "r1,r2,r3", "--timeout", "1m"),
        env=cli.env | {VARIABLE: f"{POINT}=pause", MARKER_VARIABLE: str(marker)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_marker(proc, marker, POINT)
    kill_hard(proc)

    (killed,) = cli.json("rollout", "list")
    states = [(e["environment"], e["state"]) for e in killed["environments"]]
    assert states == [("r1", "done"), ("r2", "deploying"), ("r3", "pending")]
    assert f"(pid {proc.pid} on host " in killed["owner"], killed
    r1_op, r2_op = (e["operation"] for e in killed["environments"][:2])

    resumed = cli.json("rollout", "resume", str(killed["id"]))
    assert resumed["status"] == "done", resumed
    assert resumed["owner"] is None
    after = {e["environment"]: e for e in resumed["environments"]}
    assert [after[e]["state"] for e in ("r1", "r2", "r3")] == ["done", "done", "done"]
    assert after["r1"]["operation"] == r1_op, "done stays done: not deployed again"
    assert after["r2"]["operation"] not in (None, r2_op)
    with Store.open(
        cli.db_url, environ={"KAPSTAN_SECRET_KEY": cli.env["KAPSTAN_SECRET_KEY"]}
    ) as store:
        cut = store.get_operation(r2_op)
        again = store.get_operation(after["r2"]["operation"])
    assert cut.status is Step.FAILED and cut.message.startswith("interrupted"), cut.message
    assert again.status is Step.SUCCEEDED
    assert any(f"abandoned operation {r2_op}" in e.message for e in again.events)
    with connect(str(sandbox_cluster.kubeconfig)) as kube:
        for e in ("r1", "r2", "r3"):
            live = kube.get("v1", "ConfigMap", "web", namespaces[e])
            assert live is not None and live["data"] == {"release": "2"}, e
