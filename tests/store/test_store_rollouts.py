"""Rollouts and rollout plans in the store (SQLite and PostgreSQL): plans saved whole and
replaced, a rollout's targets in order with their state, ids and notes, the newest first;
one process at a time holds a running rollout, on a lease (the test's clock moves it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.store import Store
from tests.store.conftest import Clock, raw

ANA = "ana (pid 1 on host h)"


def test_a_plan_is_saved_replaced_listed_and_deleted(store: Store) -> None:
    first = store.save_rollout_plan(
        "wide", canary="stage", then=["eu", "us"], soak=120, parallel=2,
        rollback_on_failure=True, author="ana",
    )  # fmt: skip
    assert (first.environments, first.soak, first.parallel) == (("stage", "eu", "us"), 120, 2)
    again = store.save_rollout_plan(
        "wide", canary="qa", then=[], soak=0, parallel=1, rollback_on_failure=False, author="bob"
    )
    assert store.get_rollout_plan("wide") == again
    assert (again.environments, again.created_by) == (("qa",), "bob")
    store.save_rollout_plan(
        "alpha", canary="a", then=["b"], soak=1, parallel=1, rollback_on_failure=False, author="x"
    )
    assert [p.name for p in store.list_rollout_plans()] == ["alpha", "wide"]
    store.delete_rollout_plan("wide")
    with pytest.raises(NotFoundError, match="rollout plan 'wide' not found"):
        store.get_rollout_plan("wide")
    with pytest.raises(NotFoundError):
        store.delete_rollout_plan("wide")
    with pytest.raises(InputError, match="rollout plan name 'Bad Name'"):
        store.save_rollout_plan(
            "Bad Name", canary="a", then=[], soak=0, parallel=1, rollback_on_failure=False,
            author="x",
        )  # fmt: skip


def _rollout(store: Store, app: str = "shop", status: str = "running") -> int:
    return store.create_rollout(
        application=app,
        template="base",
        template_version=3,
        targets=[("stage", f"{app}-stage"), ("prod", f"{app}-prod")],
        plan=None,
        soak=30,
        parallel=1,
        rollback_on_failure=True,
        timeout=300,
        author="ana",
        status=status,
        owner=ANA,
    ).id


def test_a_rollouts_targets_keep_their_order_state_and_notes(store: Store) -> None:
    rollout_id = _rollout(store)
    made = store.get_rollout(rollout_id)
    assert made.status == "running" and made.finished_at is None
    assert [(t.position, t.environment, t.application, t.state) for t in made.targets] == [
        (0, "stage", "shop-stage", "pending"),
        (1, "prod", "shop-prod", "pending"),
    ]
    store.update_rollout_target(rollout_id, "prod", approval_id=7)
    moved = store.update_rollout_target(
        rollout_id, "stage", state="failed", operation_id=12, created_app=True,
        previous_template_version=2, error="stage: timed out",
    )  # fmt: skip
    stage = moved.target("stage")
    assert (stage.state, stage.operation_id, stage.created_app, stage.error) == (
        "failed", 12, True, "stage: timed out",
    )  # fmt: skip
    assert moved.target("prod").approval_id == 7
    ended = store.set_rollout_status(rollout_id, "failed", "stage: timed out")
    assert (ended.status, ended.error) == ("failed", "stage: timed out")
    assert ended.finished_at is not None
    with pytest.raises(InputError, match="has no field colour"):
        store.update_rollout_target(rollout_id, "stage", colour="blue")
    with pytest.raises(NotFoundError, match="rollout 999 not found"):
        store.get_rollout(999)
    with pytest.raises(NotFoundError, match="no environment 'qa'"):
        store.update_rollout_target(rollout_id, "qa", state="done")


def test_rollouts_are_listed_newest_first_by_application(store: Store) -> None:
    first, second, other = _rollout(store), _rollout(store), _rollout(store, "cart")
    assert [r.id for r in store.list_rollouts()] == [other, second, first]
    assert [r.id for r in store.list_rollouts("shop")] == [second, first]
    assert [r.id for r in store.list_rollouts(limit=1)] == [other]


def test_an_unknown_state_is_refused(store: Store) -> None:
    rollout_id = _rollout(store)
    with pytest.raises(InputError, match="state 'sideways' is not one of pending, deploying"):
        store.update_rollout_target(rollout_id, "stage", state="sideways")
    with pytest.raises(IntegrityError), store._db.writing() as session:  # the table, too
        session.execute(text("UPDATE rollout_targets SET state = 'sideways'"))
    assert raw(store, "SELECT state FROM rollout_targets WHERE position = 0") == [("pending",)]


def test_a_running_rollout_is_held_by_one_process_until_its_lease_expires(
    store: Store, clock: Clock
) -> None:
    rollout_id = _rollout(store)
    held = store.get_rollout(rollout_id)
    assert (held.status, held.owner) == ("running", ANA)
    assert held.claimed_at is not None
    with pytest.raises(ConflictError, match=rf"rollout {rollout_id} is being run by ana \(pid 1 "
                       r"on host h\) since .*; its lease expires in \d+ s"):  # fmt: skip
        store.claim_rollout(rollout_id, owner="bob", lease_seconds=30)
    store.renew_rollout(rollout_id, owner=ANA, claimed_at=held.claimed_at, lease_seconds=30)
    clock.now += timedelta(seconds=60)  # ana's process stopped renewing it
    assert store.get_rollout(rollout_id).status == "interrupted"
    assert [r.status for r in store.list_rollouts()] == ["interrupted"]
    taken, before = store.claim_rollout(rollout_id, owner="bob", lease_seconds=30)
    assert (taken.status, taken.owner, before) == ("running", "bob", ANA)
    with pytest.raises(ConflictError, match=r"no longer run by ana .* bob holds it"):
        store.renew_rollout(rollout_id, owner=ANA, claimed_at=held.claimed_at, lease_seconds=30)
    # bob's process is seen gone: taken over at once, his lease still running
    again, before = store.claim_rollout(rollout_id, owner="cy", lease_seconds=30, dead_owner="bob")
    assert (again.owner, before) == ("cy", "bob")
    assert again.claimed_at is not None
    let_go = store.release_rollout(rollout_id, owner="cy", claimed_at=again.claimed_at)
    assert let_go.status == "interrupted", "a stopping server lets go: resumable at once"
    store.claim_rollout(rollout_id, owner="dan", lease_seconds=30)
    ended = store.set_rollout_status(rollout_id, "done")
    assert (ended.status, ended.owner, ended.lease_expires_at) == ("done", None, None)
    with pytest.raises(ConflictError, match=rf"rollout {rollout_id} is done: it has ended"):
        store.claim_rollout(rollout_id, owner="eve", lease_seconds=30)


def test_a_rollout_waiting_for_approval_runs_once_claimed(store: Store) -> None:
    rollout_id = _rollout(store, status="waiting-approval")
    waiting = store.get_rollout(rollout_id)
    assert (waiting.status, waiting.owner) == ("waiting-approval", None)
    claimed, before = store.claim_rollout(rollout_id, owner="bob", lease_seconds=30)
    assert (claimed.status, claimed.owner, before) == ("running", "bob", None)
    with pytest.raises(ConflictError, match="being run by bob"):  # two resumes: one wins
        store.claim_rollout(rollout_id, owner="cy", lease_seconds=30)
