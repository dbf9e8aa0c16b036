"""Exit codes a CI script acts on, on the live sandbox: ``app plan --exit-code`` (0 no
changes, 2 changes), ``app status`` (4 unless every service is healthy at a deployed
revision), a failed deploy (1)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from kapstan import sandbox
from kapstan.cli.exitcodes import ExitCode
from tests.cli.conftest import Run

pytestmark = pytest.mark.cluster


def test_plan_and_status_exit_codes_follow_the_app(
    kapstan: Run, bookstore: Path, sandbox_cluster: sandbox.SandboxState
) -> None:
    namespace = f"exit-{uuid.uuid4().hex[:8]}"
    steps = [
        ("template", "import", bookstore),
        ("config", "set", "dev", "web.host=shop.example.test", "catalog.replicas=1"),
        ("config", "set", "dev", "--secret", "db.password=pw-exit"),
        (
            "env",
            "create",
            "dev",
            "--kubeconfig",
            sandbox_cluster.kubeconfig,
            "-n",
            namespace,
            "--config",
            "dev",
        ),
        ("app", "create", "shop", "--template", "bookstore", "-e", "dev"),
    ]
    for step in steps:
        assert kapstan(*step).code == 0, step

    never = kapstan("app", "status", "shop")
    assert never.code == ExitCode.UNHEALTHY, never.out
    assert "never deployed" in never.out
    assert kapstan("app", "plan", "shop").code == ExitCode.OK
    assert kapstan("app", "plan", "shop", "--exit-code").code == ExitCode.CHANGES

    assert kapstan("app", "deploy", "shop", "--yes", "--timeout", "2m").code == ExitCode.OK
    assert kapstan("app", "plan", "shop", "--exit-code").code == ExitCode.OK
    healthy = kapstan("app", "status", "shop")
    assert healthy.code == ExitCode.OK, healthy.out

    web = bookstore / "services" / "web.yaml"
    web.write_text(
        web.read_text().replace(
            "labels: {app: web}", "labels: {app: web, tier: front, kapstan.io/sandbox-fault: crash}"
        )
    )
    assert kapstan("template", "import", bookstore).code == 0
    assert kapstan("app", "update", "shop").code == 0
    assert kapstan("app", "plan", "shop", "-s", "web", "--exit-code").code == ExitCode.CHANGES
    failed = kapstan("app", "deploy", "shop", "--yes", "--timeout", "8s")
    assert failed.code == ExitCode.FAILED
    broken = kapstan("app", "status", "shop")
    assert broken.code == ExitCode.UNHEALTHY
    web_row = next(line for line in broken.out.splitlines() if line.startswith("web "))
    assert "(failed)" in web_row and "healthy" not in web_row, web_row
    assert kapstan("app", "status", "shop", "-o", "json").code == ExitCode.UNHEALTHY

    diff = kapstan("app", "diff", "shop", "1", "2", "-s", "web", "--exit-code")
    assert diff.code == ExitCode.CHANGES, diff.err
    same = kapstan("app", "diff", "shop", "1", "1", "-s", "web", "--exit-code")
    assert same.code == ExitCode.OK, same.err
