"""A three-service app (db -> api -> web) driven by the real ``kapstan`` CLI in subprocesses.

Each test gets its own SQLite store file and namespace on the session's sandbox. A deploy
can be started with a failpoint armed (``kapstan.failpoints``): it pauses there, writes
the point's name to a marker file, and the test kills it with SIGKILL.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kapstan import sandbox
from kapstan.failpoints import MARKER_VARIABLE, VARIABLE
from kapstan.store.crypto import generate_key

KAPSTAN_YAML = """\
name: trio
services:
  db:
    manifests: [db.yaml]
  api:
    manifests: [api.yaml]
    dependsOn: [db]
  web:
    manifests: [web.yaml]
    dependsOn: [api]
config:
  release: "1"
"""

# Every object carries ${release}: a new release changes each object of each service, so
# a deploy stopped after the first object of a service leaves the rest still to change.
WORKLOAD = """\
apiVersion: v1
kind: Service
metadata: {{name: {name}, annotations: {{example.com/release: "${{release}}"}}}}
spec:
  selector: {{app: {name}}}
  ports: [{{port: 80}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata:
      labels:
        app: {name}
        kapstan.io/sandbox-fault: "${{{name}.fault:-none}}"
    spec:
      containers: [{{name: {name}, image: "example/{name}:${{release}}"}}]
"""

# Seconds a subprocess step may take; generous for a loaded 2-core machine.
STEP_TIMEOUT = 240.0


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def kapstan_command() -> list[str]:
    """The installed ``kapstan`` console script next to this interpreter (else on PATH)."""
    beside = Path(sys.executable).parent / "kapstan"
    found = str(beside) if beside.exists() else shutil.which("kapstan")
    assert found, "the kapstan command is not installed (pip install -e .)"
    return [found]


@dataclass
class Trio:
    db_url: str
    namespace: str
    kubeconfig: Path
    workdir: Path
    env: dict[str, str]
    app: str = "trio"

    def argv(self, *args: str) -> list[str]:
        return [*kapstan_command(), "--db", self.db_url, *args]

    def run(self, *args: str, check: bool = True) -> Result:
        done = subprocess.run(
            self.argv(*args),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
            check=False,
        )
        result = Result(done.returncode, done.stdout, done.stderr)
        if check:
            assert result.code == 0, (args, result.out, result.err)
        return result

    def start(self, *args: str, failpoint: str | None = None) -> tuple[subprocess.Popen[str], Path]:
        """Start ``kapstan ARGS`` in the background, paused at ``failpoint`` if given."""
        marker = self.workdir / f"marker-{uuid.uuid4().hex[:6]}"
        env = dict(self.env)
        if failpoint is not None:
            env[VARIABLE] = f"{failpoint}=pause"
            env[MARKER_VARIABLE] = str(marker)
        proc = subprocess.Popen(
            self.argv(*args),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        return proc, marker

    def history(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.run("app", "history", self.app, "-o", "json").json()
        return found


def wait_for_marker(proc: subprocess.Popen[str], marker: Path, point: str) -> None:
    """Block until ``proc`` reached failpoint ``point``; fail if it ended first."""
    deadline = time.monotonic() + STEP_TIMEOUT
    while time.monotonic() < deadline:
        if marker.exists() and point in marker.read_text().split():
            return
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(
                f"kapstan ended ({proc.returncode}) before failpoint {point}:\n{out}\n{err}"
            )
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"failpoint {point} not reached within {STEP_TIMEOUT:.0f} s")


def kill_hard(proc: subprocess.Popen[str]) -> None:
    """SIGKILL, as ``kill -9``; reaped so that its pid is gone."""
    proc.kill()
    proc.communicate(timeout=STEP_TIMEOUT)


@pytest.fixture()
def trio(sandbox_cluster: sandbox.SandboxState, tmp_path: Path) -> Iterator[Trio]:
    tdir = tmp_path / "trio"
    tdir.mkdir()
    (tdir / "kapstan.yaml").write_text(KAPSTAN_YAML)
    for name in ("db", "api", "web"):
        (tdir / f"{name}.yaml").write_text(WORKLOAD.format(name=name))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAPSTAN_")}
    env |= {"KAPSTAN_SECRET_KEY": generate_key(), "KAPSTAN_USER": "tester"}
    namespace = f"trio-{uuid.uuid4().hex[:8]}"
    made = Trio(
        f"sqlite:///{tmp_path / 'kapstan.db'}", namespace, sandbox_cluster.kubeconfig, tmp_path, env
    )
    made.run("template", "import", str(tdir))
    made.run("config", "set", "trio", "release=1")
    made.run(
        "env",
        "create",
        "dev",
        "--kubeconfig",
        str(made.kubeconfig),
        "--namespace",
        namespace,
        "--config",
        "trio",
    )
    made.run("app", "create", "trio", "--template", "trio", "--env", "dev")
    yield made
