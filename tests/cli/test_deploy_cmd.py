"""``kapstan app plan|deploy|status|rollback|operation`` against the live sandbox, as a user runs them."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from kapstan import sandbox
from tests.cli.conftest import Run

pytestmark = pytest.mark.cluster


@pytest.fixture
def shop(kapstan: Run, bookstore: Path, sandbox_cluster: sandbox.SandboxState) -> str:
    namespace = f"cli-{uuid.uuid4().hex[:8]}"
    assert kapstan("template", "import", bookstore).code == 0
    assert (
        kapstan("config", "set", "dev", "web.host=shop.example.test", "catalog.replicas=2").code
        == 0
    )
    assert kapstan("config", "set", "dev", "db.password=hunter2-secret", "--secret").code == 0
    assert (
        kapstan(
            "env",
            "create",
            "dev",
            "--kubeconfig",
            sandbox_cluster.kubeconfig,
            "--namespace",
            namespace,
            "--config",
            "dev",
        ).code
        == 0
    )
    assert kapstan("app", "create", "shop", "--template", "bookstore", "--env", "dev").code == 0
    return namespace


def test_plan_deploy_status_change_rollback_as_a_user_would(
    kapstan: Run, shop: str, db_url: str
) -> None:
    db_path = Path(db_url.removeprefix("sqlite:///"))
    plan = kapstan("app", "plan", "shop")
    assert plan.code == 0, plan.err
    assert (
        "postgres: create" in plan.out and f"create    StatefulSet.apps {shop}/postgres" in plan.out
    )

    refused = kapstan("app", "deploy", "shop")
    assert refused.code == 1 and "pass --yes" in refused.err, (
        "never deploys unconfirmed from a script"
    )

    deployed = kapstan("app", "deploy", "shop", "--yes")
    assert deployed.code == 0, deployed.err
    assert "operation 1 (deploy) succeeded: 3 ready" in deployed.out
    assert "postgres     ready" in deployed.err, "live progress goes to stderr"
    # Not a terminal: the plain stream (no live table), then the summary, on stderr.
    assert "\x1b[" not in deployed.err and "LEVEL" not in deployed.err
    assert lines_of(deployed.err, "  postgres     applied     StatefulSet.apps ")
    assert re.search(
        r"^deploy of shop succeeded in [0-9.ms]+: 3 updated \((postgres|catalog|web)(, "
        r"(postgres|catalog|web)){2}\), 0 unchanged$",
        deployed.err,
        re.M,
    ), deployed.err

    status = kapstan("app", "status", "shop", "-o", "json").json()
    assert {s["service"]: (s["health"], s["ready"], s["desired"]) for s in status} == {
        "postgres": ("healthy", 1, 1),
        "catalog": ("healthy", 2, 2),
        "web": ("healthy", 2, 2),
    }

    assert kapstan("config", "set", "dev", "catalog.replicas=3").code == 0
    assert kapstan("app", "update", "shop").code == 0
    plan = kapstan("app", "plan", "shop", "-o", "json").json()
    assert {s["service"]: s["action"] for s in plan["services"]} == {
        "postgres": "unchanged",
        "catalog": "update",
        "web": "unchanged",
    }
    second = kapstan("app", "deploy", "shop", "--yes", "-o", "json")
    assert second.code == 0
    steps = {s["service"]: s["step"] for s in second.json()[0]["services"]}
    assert steps == {"postgres": "unchanged", "catalog": "ready", "web": "unchanged"}
    summary = second.json()[0]["summary"]
    assert (summary["updated"], sorted(summary["unchanged"]), summary["failed"]) == (
        ["catalog"],
        ["postgres", "web"],
        [],
    )
    assert second.err == "", "JSON output shows no progress"

    history = kapstan("app", "history", "shop", "-s", "catalog", "-o", "json").json()
    assert [r["revision"] for r in history] == [1, 2]

    unconfirmed = kapstan("app", "rollback", "shop", "-s", "catalog")
    assert unconfirmed.code == 1 and "catalog: update (" in unconfirmed.out, "the plan first"
    assert (
        "not rolling back without confirmation: pass --yes (stdin is not a terminal)"
        in unconfirmed.err
    )
    back = kapstan("app", "rollback", "shop", "-s", "catalog", "--yes")
    assert back.code == 0, back.err
    assert "catalog: update (" in back.out
    status = {s["service"]: s for s in kapstan("app", "status", "shop", "-o", "json").json()}
    assert (
        status["catalog"]["ready"],
        status["catalog"]["desired"],
        status["catalog"]["revision"],
    ) == (2, 2, 3)

    op = kapstan("app", "operation", "shop")
    assert op.code == 0 and "operation 3: rollback of shop by tester, succeeded" in op.out
    ops = kapstan("app", "operations", "shop", "-o", "json").json()
    assert [o["kind"] for o in ops] == ["rollback", "deploy", "deploy"]

    everything = "".join(
        kapstan(*a).out for a in (("app", "plan", "shop"), ("app", "operation", "shop", "1"))
    )
    assert "hunter2-secret" not in everything
    assert "aHVudGVyMi1zZWNyZXQ=" not in everything, "nor its base64 form"
    stored = b"".join(p.read_bytes() for p in db_path.parent.glob("kapstan.db*"))
    assert b"hunter2-secret" not in stored and b"aHVudGVyMi1zZWNyZXQ=" not in stored, (
        "nor in revisions"
    )


def lines_of(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


def test_a_failing_deploy_exits_1_and_names_what_is_pending(
    kapstan: Run, shop: str, bookstore: Path
) -> None:
    web = bookstore / "services" / "web.yaml"
    web.write_text(
        web.read_text().replace(
            "labels: {app: web}", "labels: {app: web, kapstan.io/sandbox-fault: crash}"
        )
    )
    assert kapstan("template", "import", bookstore).code == 0
    assert kapstan("app", "update", "shop").code == 0
    failed = kapstan("app", "deploy", "shop", "--yes", "--timeout", "8")
    assert failed.code == 1
    assert "web       failed" in failed.out
    assert "CrashLoopBackOff" in failed.out
    # The summary names what failed and why (the failing container's state), on stderr.
    assert re.search(r"^deploy of shop failed in [0-9.ms]+: .*1 failed", failed.err, re.M)
    assert lines_of(failed.err, "  failed   web  ")
    assert "CrashLoopBackOff" in failed.err.split("deploy of shop failed")[-1]
    assert kapstan("app", "operation", "shop", "999").code == 1


def test_promote_runs_the_same_template_version_in_the_next_environment_with_its_config(
    kapstan: Run, shop: str, sandbox_cluster: sandbox.SandboxState
) -> None:
    prod_ns = f"{shop}-prod"
    assert (
        kapstan("config", "set", "prod", "web.host=shop.example.com", "catalog.replicas=1").code
        == 0
    )
    assert kapstan("config", "set", "prod", "db.password=prod-secret-xyz", "--secret").code == 0
    assert (
        kapstan(
            "env",
            "create",
            "prod",
            "--kubeconfig",
            sandbox_cluster.kubeconfig,
            "--namespace",
            prod_ns,
            "--config",
            "prod",
        ).code
        == 0
    )
    done = kapstan("app", "promote", "shop", "--to", "prod", "--deploy")
    assert done.code == 0, done.err
    assert "shop-prod created in prod: template bookstore@1, config prod@2" in done.out
    status = {s["service"]: s for s in kapstan("app", "status", "shop-prod", "-o", "json").json()}
    assert status["catalog"]["health"] == "healthy" and status["catalog"]["desired"] == 1
    assert kapstan("app", "promote", "shop", "--to", "dev").code == 1, (
        "not into its own environment"
    )
