"""Rollouts without a cluster: what a rollout is (checked before anything is written), the
bounded parallelism, and every target's approval gate asked BEFORE anything is promoted.

The environments' kubeconfig points at a port that records any connection
(``tests.actions.test_gates.kube_port``), so a rollout that reached a cluster before its
gates were all read is caught.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from pathlib import Path

import pytest

from kapstan.actions import applications, approvals, configs, rolloutrun, soaking, templates
from kapstan.actions import rollouts as rolling
from kapstan.actions.journal import lock_owner
from kapstan.actions.refs import Ref
from kapstan.api.rolloutruns import RolloutRuns
from kapstan.errors import ApprovalRequiredError, ConflictError, InputError, NotFoundError
from kapstan.model.operation import Step
from kapstan.model.rollouts import Rollout
from kapstan.model.values import SecretValue, Value
from kapstan.plan.rollouts import RolloutSpec, check_spec, environments_of
from kapstan.store import Store
from tests.actions.conftest import BOOKSTORE, store
from tests.actions.test_gates import KubePort, kube_port, kubeconfig_for

__all__ = ["kube_port", "store"]  # fixtures used here


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a", ("a",)), ("a,b,c", ("a", "b", "c")), (" a , b ", ("a", "b")), ("x.y-1", ("x.y-1",))],
)
def test_environments_are_read_in_order(text: str, expected: tuple[str, ...]) -> None:
    assert environments_of(text) == expected


@pytest.mark.parametrize("text", ["", "a,,b", "a,", "Prod", "a b"])
def test_a_bad_environment_list_is_named(text: str) -> None:
    with pytest.raises(InputError, match="--to takes environment names"):
        environments_of(text)


@pytest.mark.parametrize(
    ("spec", "source", "message"),
    [
        (RolloutSpec(("a", "b", "a")), None, r"'a' appears more than once"),
        (RolloutSpec(("dev", "b")), "dev", r"runs in 'dev' already.*drop 'dev'"),
        (RolloutSpec(("a", "b"), parallel=0), None, r"--parallel is 0; give 1 to 32"),
        (RolloutSpec(("a",), parallel=33), None, r"--parallel is 33"),
        (RolloutSpec(("a",), soak=-1), None, r"--soak is -1s"),
        (RolloutSpec(()), None, r"at least one environment"),
        (RolloutSpec(("a", "x" * 64)), None, r"'x{64}' is not valid.*at most 63"),
        (RolloutSpec(("a", "B")), None, r"'B' is not valid"),
    ],
)
def test_a_rollout_that_cannot_run_is_refused(
    spec: RolloutSpec, source: str | None, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        check_spec(spec, source)


def test_at_most_parallel_environments_run_at_once() -> None:
    running, peak = 0, 0
    lock = threading.Lock()
    together = threading.Barrier(2, timeout=10)  # two must be in flight at once to pass

    def work(item: str) -> bool:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        together.wait()
        with lock:
            running -= 1
        return True

    done = rolloutrun.run_bounded(["a", "b", "c", "d", "e", "f"], 2, work)
    assert done == dict.fromkeys("abcdef", True)
    assert peak == 2


def test_the_first_failure_starts_nothing_new_and_lets_the_running_finish() -> None:
    stopped = threading.Event()
    started: list[str] = []

    def work(item: str) -> bool:
        started.append(item)
        if item == "a":  # in flight when b fails: it finishes, after the stop is known
            return stopped.wait(timeout=10)
        return item != "b"

    done = rolloutrun.run_bounded(["a", "b", "c", "d"], 2, work, stopped)
    assert done == {"a": True, "b": False}
    assert sorted(started) == ["a", "b"], "nothing new started after the failure"


def test_one_at_a_time_stops_at_the_failing_one() -> None:
    done = rolloutrun.run_bounded(["a", "b", "c"], 1, lambda item: item != "b")
    assert done == {"a": True, "b": False}


# --- the gates of every target, before anything is written ----------------------------


@pytest.fixture
def world(store: Store, tmp_path: Path, kube_port: KubePort) -> Store:
    """dev with app ``src``; stage and qa open; prod requires approval (paul approves)."""
    kubeconfig = kubeconfig_for(tmp_path / "kubeconfig", kube_port.port)
    templates.import_template(store, BOOKSTORE, author="a")
    values: dict[str, Value] = {"web.host": "h", "db.password": SecretValue("pw")}
    for env in ("dev", "stage", "prod", "qa"):
        configs.set_values(store, env, values, author="a")
        store.create_environment(
            env, kubeconfig=str(kubeconfig), context=None, namespace=f"ns-{env}", config=env
        )
    store.set_environment_approval("prod", True)
    for user in ("dana", "paul"):
        store.create_user(user, password=None)
        store.grant_role(user, "prod", "deployer")
    applications.create_app(store, "src", template=Ref("bookstore"), environment="dev", author="a")
    return store


def _start(world: Store, *envs: str) -> rolling.RolloutWaiting:
    planned = rolling.plan_rollout(world, "src", RolloutSpec(envs))
    with pytest.raises(rolling.RolloutWaiting) as waiting:
        rolling.start_rollout(world, planned, author="dana", timeout=30)
    return waiting.value


def test_a_gated_environment_is_asked_first_and_nothing_is_promoted(
    world: Store, kube_port: KubePort
) -> None:
    waiting = _start(world, "stage", "prod", "qa")
    (asked,) = world.list_approvals(status="pending")
    assert (asked.kind, asked.application, asked.environment) == ("promote", "src-prod", "prod")
    assert asked.payload["rollout"] == waiting.rollout.id
    assert waiting.approvals == {"prod": asked.id}
    assert f"prod (approval {asked.id})" in waiting.message
    assert f"kapstan rollout resume {waiting.rollout.id}" in waiting.message
    assert waiting.exit_code == 3
    rollout = world.get_rollout(waiting.rollout.id)
    assert rollout.status == "waiting-approval"
    assert [(t.environment, t.state) for t in rollout.targets] == [
        ("stage", "pending"),
        ("prod", "pending"),
        ("qa", "pending"),
    ]
    assert [a.name for a in world.list_applications()] == ["src"], "nothing promoted"
    assert kube_port.touched == [], "no cluster was reached"


def test_a_rollout_waits_until_every_approval_is_given(world: Store) -> None:
    waiting = _start(world, "prod", "stage")
    with pytest.raises(ApprovalRequiredError, match=r"still waits for approval in prod"):
        rolling.resume_rollout(world, waiting.rollout.id, author="dana")
    assert world.get_rollout(waiting.rollout.id).status == "waiting-approval"


def test_approving_a_rollouts_request_runs_nothing_by_itself(
    world: Store, kube_port: KubePort
) -> None:
    waiting = _start(world, "stage", "prod")
    decided = approvals.approve(world, waiting.approvals["prod"] or 0, user="paul")
    done = approvals.carry_out(world, decided, listener=None)
    assert (done.operation, done.rollout) == (None, waiting.rollout.id)
    assert world.get_approval(decided.id).status.value == "approved", "not spent yet"
    assert [a.name for a in world.list_applications()] == ["src"]
    assert kube_port.touched == []


def test_a_rejected_approval_fails_the_rollout(world: Store) -> None:
    waiting = _start(world, "stage", "prod")
    world.reject(waiting.approvals["prod"] or 0, user="paul", reason="not this week")
    with pytest.raises(ConflictError, match=r"was rejected: not this week"):
        rolling.resume_rollout(world, waiting.rollout.id, author="dana")
    assert world.get_rollout(waiting.rollout.id).status == "failed"


def test_an_approved_rollout_runs_in_order_and_stops_at_the_first_failure(
    world: Store, kube_port: KubePort
) -> None:
    """Approved, it runs: the canary (stage) fails (its cluster drops the connection), so
    prod and qa are never promoted and prod's approval stays unspent."""
    waiting = _start(world, "stage", "prod", "qa")
    approvals.approve(world, waiting.approvals["prod"] or 0, user="paul")
    held = rolling.resume_rollout(world, waiting.rollout.id, author="dana", owner="dana (here)")
    assert (held.status, held.owner) == ("running", "dana (here)")
    moves: list[tuple[str, str]] = []
    ended = rolloutrun.run_rollout(
        world,
        waiting.rollout.id,
        owner="dana (here)",
        progress=lambda env, state, _: moves.append((env, state)),
    )
    assert ended.owner is None, "an ended rollout is held by no one"
    assert ended.status == "failed"
    assert [(t.environment, t.state) for t in ended.targets] == [
        ("stage", "failed"),
        ("prod", "pending"),
        ("qa", "pending"),
    ]
    assert ended.targets[0].error.startswith("stage: ")
    assert "not started: prod, qa" in ended.error
    assert moves == [("stage", "deploying"), ("stage", "failed")]
    assert [a.name for a in world.list_applications()] == ["src", "src-stage"]
    assert world.get_approval(waiting.approvals["prod"] or 0).status.value == "approved"
    (made,) = [e for e in world.list_audit() if e.action == "app.create"]
    assert (made.name, made.environment, made.details["rollout"]) == (
        "src-stage",
        "stage",
        waiting.rollout.id,
    )
    assert [e.action for e in world.list_audit() if e.action.startswith("rollout.")] == [
        "rollout.finish",
        "rollout.resume",
        "rollout.start",
    ]


def test_a_bad_target_is_refused_before_anything_is_recorded(world: Store) -> None:
    applications.create_app(
        world, "src-qa", template=Ref("bookstore"), environment="stage", author="a"
    )
    with pytest.raises(ConflictError, match=r"'src-qa' exists in environment 'stage'"):
        rolling.plan_rollout(world, "src", RolloutSpec(("prod", "qa")))
    with pytest.raises(NotFoundError):
        rolling.plan_rollout(world, "src", RolloutSpec(("prod", "nowhere")))
    assert world.list_rollouts() == []
    assert world.list_approvals() == []


def test_a_named_plan_gives_the_rollout_and_flags_override_it(world: Store) -> None:
    saved = rolling.save_plan(
        world, RolloutSpec(("stage", "prod", "qa"), 120, 2, True), "wide", author="dana"
    )
    assert (saved.canary, saved.then, saved.soak, saved.parallel) == (
        "stage",
        ("prod", "qa"),
        120,
        2,
    )
    spec = rolling.spec_for(world, plan="wide", parallel=1)
    assert spec == RolloutSpec(("stage", "prod", "qa"), 120, 1, True, "wide")
    with pytest.raises(InputError, match="not both"):
        rolling.spec_for(world, plan="wide", to=["qa"])
    with pytest.raises(NotFoundError, match="nowhere"):
        rolling.save_plan(world, RolloutSpec(("qa", "nowhere")), "bad", author="dana")
    with pytest.raises(InputError, match=r"--parallel is 40"):
        rolling.save_plan(world, RolloutSpec(("qa",), parallel=40), "bad", author="dana")
    rolling.delete_plan(world, "wide", author="dana")
    with pytest.raises(NotFoundError, match="rollout plan 'wide' not found"):
        world.get_rollout_plan("wide")
    audited = [e.action for e in world.list_audit() if e.kind == "rollout-plan"]
    assert audited == ["rollout.plan.delete", "rollout.plan.save"]  # newest first


def _pod(ready: str | None, *, deleting: bool = False, **status: object) -> dict[str, object]:
    conditions = [] if ready is None else [{"type": "Ready", "status": ready, "reason": "R"}]
    meta: dict[str, object] = {"name": "web-1", "labels": {"kapstan.io/service": "web"}}
    if deleting:
        meta["deletionTimestamp"] = "2030-01-01T00:00:00Z"
    return {"metadata": meta, "status": {"phase": "Running", "conditions": conditions, **status}}


@pytest.mark.parametrize(
    ("pod", "why"),
    [
        (_pod("True"), ""),
        (_pod("False"), "service web: pod web-1 is not Ready (R)"),
        (_pod(None), "service web: pod web-1 is not Ready (phase Running, no Ready condition yet)"),
        (
            _pod("False", containerStatuses=[{"name": "c", "state": {"waiting": {"reason": "X"}}}]),
            "service web: pod web-1 is not Ready (R; c: X)",
        ),
        (_pod("False", deleting=True), ""),  # going away: no failure
        (_pod("False", phase="Succeeded"), ""),  # a Job's pod that completed
    ],
)
def test_a_soak_fails_on_a_pod_that_is_not_ready(pod: dict[str, object], why: str) -> None:
    assert soaking.unready(pod) == why


# --- one process runs a rollout; an interrupted one is taken over -----------------------


def _dead_owner() -> str:
    """An owner as ``lock_owner`` writes it, naming a process on this host that is gone."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    return f"dana (pid {gone.pid} on host {socket.gethostname()})"


def _running(world: Store, owner: str, *envs: str) -> int:
    planned = rolling.plan_rollout(world, "src", RolloutSpec(envs))
    return rolling.start_rollout(world, planned, author="dana", timeout=30, owner=owner).id


def test_a_live_rollout_is_not_resumed_and_names_who_runs_it(world: Store) -> None:
    rollout_id = _running(world, lock_owner("dana"), "stage", "qa")  # this process: alive
    with pytest.raises(ConflictError, match=rf"rollout {rollout_id} is being run by dana \(pid "):
        rolling.resume_rollout(world, rollout_id, author="paul")
    with pytest.raises(ConflictError, match=r"paul \(x\) does not hold it"):
        rolloutrun.run_rollout(world, rollout_id, owner="paul (x)")


def test_an_interrupted_rollout_resumes_where_it_stopped(world: Store, kube_port: KubePort) -> None:
    """Its process died while qa deployed: stage (done) stays done; qa's operation, which
    had succeeded, decides that qa is done; nothing is deployed again (no cluster reached)."""
    rollout_id = _running(world, _dead_owner(), "stage", "qa")
    applications.create_app(
        world, "src-qa", template=Ref("bookstore"), environment="qa", author="a"
    )
    op = world.start_operation("src-qa", "deploy", author="dana", services=["web"])
    world.finish_operation(op.id, Step.SUCCEEDED, "1 ready")
    world.update_rollout_target(rollout_id, "stage", state="done", operation_id=op.id - 1)
    world.update_rollout_target(rollout_id, "qa", state="deploying", operation_id=op.id)
    taken = rolling.resume_rollout(world, rollout_id, author="paul", owner="paul (here)")
    assert taken.owner == "paul (here)", "a process on this host that is gone: taken at once"
    ended = rolloutrun.run_rollout(world, rollout_id, owner="paul (here)")
    assert ended.status == "done", ended.error
    assert [(t.environment, t.state, t.operation_id) for t in ended.targets] == [
        ("stage", "done", op.id - 1),
        ("qa", "done", op.id),
    ]
    assert kube_port.touched == [], "nothing deployed again"
    (resumed,) = [e for e in world.list_audit() if e.action == "rollout.resume"]
    assert resumed.details["interruptedRun"].startswith("dana (pid ")


def test_a_deploy_that_failed_on_its_own_stays_failed_on_resume(
    world: Store, kube_port: KubePort
) -> None:
    rollout_id = _running(world, _dead_owner(), "stage", "qa")
    applications.create_app(
        world, "src-stage", template=Ref("bookstore"), environment="stage", author="a"
    )
    op = world.start_operation("src-stage", "deploy", author="dana", services=["web"])
    world.finish_operation(op.id, Step.FAILED, "1 failed")
    world.update_rollout_target(rollout_id, "stage", state="deploying", operation_id=op.id)
    rolling.resume_rollout(world, rollout_id, author="paul", owner="paul (here)")
    ended = rolloutrun.run_rollout(world, rollout_id, owner="paul (here)")
    assert [(t.environment, t.state) for t in ended.targets] == [
        ("stage", "failed"),
        ("qa", "pending"),
    ]
    assert ended.error.startswith(f"stage: operation {op.id} failed") and "not started: qa" in (
        ended.error
    )
    assert kube_port.touched == []


def test_a_stopping_server_starts_nothing_new_and_leaves_the_rollout_resumable(
    world: Store, kube_port: KubePort
) -> None:
    runs = RolloutRuns()
    rollout_id = _running(world, "server (a)", "stage", "qa")
    left: list[Rollout] = []
    runs.stop(wait=1)  # halted before the run starts its first environment
    runs.launch(
        rollout_id,
        lambda progress, halt: left.append(
            rolloutrun.run_rollout(world, rollout_id, owner="server (a)", halt=halt)
        ),
    )
    runs.stop(wait=30)
    assert runs.running() == 0
    (let_go,) = left
    assert let_go.status == "interrupted"
    assert [t.state for t in let_go.targets] == ["pending", "pending"]
    assert kube_port.touched == []
    assert rolling.resume_rollout(world, rollout_id, author="paul").status == "running"


def test_an_interrupted_rollout_whose_source_moved_on_fails_instead_of_mixing_versions(
    world: Store,
) -> None:
    source = world.get_application("src")
    made = world.create_rollout(
        application="src", template=source.template, template_version=source.template_version + 1,
        targets=[("stage", "src-stage")], plan=None, soak=0, parallel=1,
        rollback_on_failure=False, timeout=30, author="dana", owner=_dead_owner(),
    )  # fmt: skip
    with pytest.raises(ConflictError, match=rf"runs bookstore@{source.template_version} now"):
        rolling.resume_rollout(world, made.id, author="paul")
    assert world.get_rollout(made.id).status == "failed"
