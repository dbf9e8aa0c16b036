"""Rollouts through the API and the console, on the API test world (``tests.api.conftest``:
dana deploys in dev, staging and prod, prod requires approval, paul approves; the
environments' kubeconfig reaches no cluster).

A rollout of shop over staging and prod: refused to whoever lacks deployer rights on every
target; recorded waiting for prod's approval, which runs nothing by itself; resumed once
approved, it fails in staging (no cluster) and never reaches prod. The console shows both.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from kapstan.api.app import create_app
from kapstan.api.rolloutruns import RolloutRuns
from kapstan.store.crypto import generate_key
from tests.sqlitestores import migrated_sqlite
from tests.web.conftest import Console, console

__all__ = ["console"]  # the fixture used here

ROLLOUT = {"application": "shop", "to": ["staging", "prod"], "timeout": 30}


def _ended(c: Console, rollout: dict[str, Any]) -> dict[str, Any]:
    """Long polls (the server answers when the rollout changes) until it is no longer
    running; bounded."""
    for _ in range(20):
        if rollout["status"] != "running":
            return rollout
        answer = c.api.get(
            f"/api/v1/rollouts/{rollout['id']}",
            user="dana",
            params={"seen": rollout["digest"], "wait": 30},
        )
        assert answer.status_code == 200, answer.text
        rollout = answer.json()
    raise AssertionError(f"rollout {rollout['id']} still running after 20 long polls")


def test_a_rollout_needs_deployer_rights_on_every_target(console: Console) -> None:
    for user in ("vic", "olga", "paul"):  # paul deploys in prod only, not staging
        refused = console.api.post("/api/v1/rollouts", ROLLOUT, user=user)
        assert refused.status_code == 403, (user, refused.text)
    assert console.api.store.list_rollouts() == []


def test_a_rollout_waits_for_approval_then_runs_in_order(console: Console) -> None:
    api = console.api
    started = api.post("/api/v1/rollouts", ROLLOUT, user="dana")
    assert started.status_code == 202, started.text
    waiting = started.json()
    assert waiting["status"] == "waiting-approval"
    staging, prod = waiting["targets"]
    assert (staging["state"], staging["approvalId"]) == ("pending", None)
    assert prod["approvalId"] is not None
    early = api.post(f"/api/v1/rollouts/{waiting['id']}/resume", user="dana")
    assert early.status_code == 202, early.text
    assert early.json()["status"] == "waiting-approval", "not approved yet: still waiting"

    approved = api.post(f"/api/v1/approvals/{prod['approvalId']}/approve", user="paul")
    assert approved.status_code == 202, approved.text
    assert approved.json()["status"] == "approved"
    assert f"rollout {waiting['id']}" in approved.json()["message"]
    assert [a.name for a in api.store.list_applications()] == ["shop"], "nothing ran"

    resumed = api.post(f"/api/v1/rollouts/{waiting['id']}/resume", user="dana")
    assert resumed.status_code == 202, resumed.text
    ended = _ended(console, resumed.json())
    assert ended["status"] == "failed"
    assert [(t["environment"], t["state"]) for t in ended["targets"]] == [
        ("staging", "failed"),
        ("prod", "pending"),
    ]
    assert ended["targets"][0]["error"].startswith("staging: ")
    assert ended["error"].endswith("not started: prod")
    listed = api.get("/api/v1/rollouts", user="dana", params={"application": "shop"}).json()
    assert [r["id"] for r in listed] == [waiting["id"]]
    assert api.get("/api/v1/rollouts", user="vic").json() == [], "vic cannot view staging"

    page = console.get("/ui/rollouts", user="dana")
    assert page.status_code == 200
    assert f'href="/ui/rollouts/{waiting["id"]}"' in page.text
    assert "staging: failed" in page.text and "prod: pending" in page.text
    one = console.get(f"/ui/rollouts/{waiting['id']}", user="dana")
    assert one.status_code == 200
    assert 'id="env-staging"' in one.text and "canary" in one.text
    assert "not started: prod" in one.text


def test_rollout_plans_are_kept_by_deployers_of_every_environment(console: Console) -> None:
    api = console.api
    plan = {"canary": "staging", "then": ["prod"], "soak": 60, "parallel": 1}
    assert api.put("/api/v1/rollout-plans/wide", plan, user="vic").status_code == 403
    saved = api.put("/api/v1/rollout-plans/wide", plan, user="dana")
    assert saved.status_code == 200, saved.text
    assert (saved.json()["canary"], saved.json()["then"]) == ("staging", ["prod"])
    bad = api.put("/api/v1/rollout-plans/twice", {"canary": "dev", "then": ["dev"]}, user="dana")
    assert bad.status_code == 422 and "appears more than once" in bad.text
    assert [p["name"] for p in api.get("/api/v1/rollout-plans", user="vic").json()] == ["wide"]
    assert "wide" in console.get("/ui/rollouts", user="dana").text
    assert api.delete("/api/v1/rollout-plans/wide", user="olga").status_code == 403
    assert api.delete("/api/v1/rollout-plans/wide", user="dana").status_code == 204
    assert api.get("/api/v1/rollout-plans/wide", user="dana").status_code == 404
    assert [e["name"] for e in api.audit("rollout.plan.delete")] == ["wide"]


def test_a_live_rollout_is_refused_and_an_interrupted_one_shown_and_taken_over(
    console: Console,
) -> None:
    api, owner = console.api, "ana (pid 1 on host elsewhere)"
    made = api.store.create_rollout(
        application="shop", template="shop", template_version=1,
        targets=[("staging", "shop-staging")], plan=None, soak=0, parallel=1,
        rollback_on_failure=False, timeout=30, author="dana", owner=owner,
    )  # fmt: skip
    live = api.post(f"/api/v1/rollouts/{made.id}/resume", user="dana")
    assert live.status_code == 409, live.text
    assert f"rollout {made.id} is being run by {owner}" in live.text
    assert made.claimed_at is not None
    api.store.release_rollout(made.id, owner=owner, claimed_at=made.claimed_at)  # as at shutdown
    shown = api.get(f"/api/v1/rollouts/{made.id}", user="dana").json()
    assert (shown["status"], shown["owner"]) == ("interrupted", owner)
    page = console.get(f"/ui/rollouts/{made.id}", user="dana")
    assert 'id="rollout-interrupted"' in page.text
    assert f"kapstan rollout resume {made.id}" in page.text
    taken = api.post(f"/api/v1/rollouts/{made.id}/resume", user="dana")
    assert taken.status_code == 202, taken.text
    assert taken.json()["status"] == "running" and "dana (pid " in taken.json()["owner"]
    ended = _ended(console, taken.json())
    assert ended["status"] == "failed" and ended["owner"] is None
    assert ended["targets"][0]["error"].startswith("staging: "), "it ran: no cluster there"


def test_a_stopping_server_halts_its_rollout_runs_before_the_store_closes(tmp_path: Path) -> None:
    app = create_app(
        str(migrated_sqlite(tmp_path / "k.db")), environ={"KAPSTAN_SECRET_KEY": generate_key()}
    )
    halted: list[bool] = []

    def run(progress: object, halt: threading.Event) -> None:  # a run between environments
        halted.append(halt.wait(timeout=60))
        halted.append(app.state.kapstan.store is not None)  # it may still let go of its rollout

    with TestClient(app):
        runs = app.state.kapstan_rollouts
        assert isinstance(runs, RolloutRuns)
        runs.launch(1, run)
    assert halted == [True, True]
    assert runs.running() == 0
