"""Run a recorded rollout (``rollouts.start_rollout``/``resume_rollout`` hold it first):
the canary promoted, deployed and soaked, then the rest at most ``parallel`` at once; the
first failure starts no new environment; ``rollback_on_failure`` takes the environments done
back.

One process runs a rollout: its claim in the store (owner, lease) is renewed by a heartbeat
thread while it runs (``kapstan.store.rollouts``). A run whose lease was taken over starts
nothing new. A resumed run re-checks the environments its predecessor left in flight before
anything else (see ``rollouts``' docstring for each case). ``halt`` (a stopping server)
starts no new environment: the run lets those in flight finish, then lets go of the
rollout, which reads interrupted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from kapstan import failpoints
from kapstan.actions.applications import update_app
from kapstan.actions.clock import SYSTEM_CLOCK
from kapstan.actions.deploying import DeployResult, deploy_app, resume_operation, rollback_app
from kapstan.actions.gates import continuing
from kapstan.actions.journal import LEASE_SECONDS
from kapstan.actions.promote import (
    Promoted,
    Promotion,
    plan_promotion,
    promote,
)
from kapstan.actions.soaking import soak
from kapstan.actions.storeports import RollingOut
from kapstan.engine.deploy import DeployOptions
from kapstan.engine.ports import Clock
from kapstan.errors import ConflictError, KapstanError
from kapstan.model.operation import Operation, Step
from kapstan.model.rollouts import Rollout, RolloutTarget
from kapstan.plan.rollouts import (
    DEPLOYING,
    DONE,
    FAILED,
    IN_FLIGHT,
    PENDING,
    ROLLED_BACK,
    RUNNING,
    SOAKING,
    still_to_run,
)

# The events that say why a service failed: its failure, then its wait's details.
WHY = frozenset({"failed", "reason"})
# (environment, state, message): told as each environment moves on.
Progress = Callable[[str, str, str], None]
# How an operation ended when its process was gone (``store.locks``, ``journal``): it did
# not fail on its own; a resumed rollout deploys that environment again.
CUT_SHORT = ("interrupted:", "abandoned:")


def run_bounded(
    items: Sequence[str],
    limit: int,
    work: Callable[[str], bool],
    stopped: threading.Event | None = None,
    halted: Callable[[], bool] = lambda: False,
) -> dict[str, bool]:
    """``work(item)`` for ``items`` in order, at most ``limit`` at once. After the first
    False, no new item starts (``stopped`` is set, for work in flight to see); nor once
    ``halted()``; those running finish. What ran -> whether it succeeded."""
    results: dict[str, bool] = {}
    todo = list(items)
    stop = False
    stopped = stopped or threading.Event()
    with ThreadPoolExecutor(max_workers=max(1, limit), thread_name_prefix="rollout") as pool:
        running: dict[Future[bool], str] = {}
        while todo or running:
            while todo and not stop and not halted() and len(running) < limit:
                item = todo.pop(0)
                running[pool.submit(work, item)] = item
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                item = running.pop(future)
                results[item] = future.result()
                if not results[item]:
                    stop = True
                    stopped.set()
    return results


class _Run:
    """One run of a recorded rollout: each environment's steps, recorded as they happen,
    while a heartbeat thread renews the run's lease on the rollout."""

    def __init__(
        self,
        store: RollingOut,
        rollout: Rollout,
        author: str,
        progress: Progress | None,
        clock: Clock,
        *,
        lease: float = LEASE_SECONDS,
        halt: threading.Event | None = None,
    ) -> None:
        self.store, self.rollout, self.author, self.clock = store, rollout, author, clock
        self.progress = progress
        self._lock = threading.Lock()  # progress lines from parallel environments, whole
        assert rollout.owner is not None and rollout.claimed_at is not None
        self.owner, self.claimed_at, self.lease = rollout.owner, rollout.claimed_at, lease
        self.halt = halt or threading.Event()
        self.lost: str | None = None  # why our lease was taken from us
        self._stop = threading.Event()
        self._beat = threading.Thread(
            target=self._heartbeat, name=f"rollout-{rollout.id}-lease", daemon=True
        )

    def __enter__(self) -> _Run:
        self._beat.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._beat.join(timeout=self.lease)

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.lease / 3):
            try:
                self.store.renew_rollout(
                    self.rollout.id,
                    owner=self.owner,
                    claimed_at=self.claimed_at,
                    lease_seconds=self.lease,
                )
            except ConflictError as exc:
                self.lost = str(exc)
                return
            except KapstanError:
                continue  # a store hiccup: the next beat tries again within the lease

    def halted(self) -> bool:
        """Start nothing new: the server stops, or another process took the rollout."""
        return self.halt.is_set() or self.lost is not None

    def release(self) -> Rollout:
        return self.store.release_rollout(
            self.rollout.id, owner=self.owner, claimed_at=self.claimed_at
        )

    def mark(
        self,
        target: RolloutTarget,
        state: str,
        message: str = "",
        *,
        note: bool = False,
        **fields: object,
    ) -> None:
        """Record ``target``'s new state (and, failed, rolled back or ``note``, the message
        as its note); tell ``progress``."""
        now = self.clock.now()
        stamps: dict[str, object] = {}
        if state == DEPLOYING:
            stamps["started_at"] = now
        if state in (DONE, FAILED, ROLLED_BACK):
            stamps["finished_at"] = now
        error = {"error": message} if state in (FAILED, ROLLED_BACK) or note else {}
        self.store.update_rollout_target(
            self.rollout.id, target.environment, state=state, **stamps, **error, **fields
        )
        if self.progress is not None:
            with self._lock:
                self.progress(target.environment, state, message)

    def record(self, target: RolloutTarget, **fields: object) -> None:
        self.store.update_rollout_target(self.rollout.id, target.environment, **fields)

    def audit_promotion(self, done: Promoted) -> None:
        """As a single promotion is audited (``app.create`` or ``app.update``), naming the
        rollout; the deploy that follows is its operation, recorded on the target."""
        app = done.application
        self.store.audit(
            self.author,
            "app.create" if done.created else "app.update",
            kind="application",
            name=app.name,
            environment=app.environment,
            from_version=(
                None
                if done.previous_template_version is None
                else str(done.previous_template_version)
            ),
            to_version=str(app.template_version),
            details={
                "promotedFrom": self.rollout.application,
                "rollout": self.rollout.id,
                "template": f"{app.template}@{app.template_version}",
                "carried": [c.record() for c in done.carried],
            },
        )

    def deploy(self, target: RolloutTarget, promotion: Promotion) -> bool:
        """Promote and deploy ``target``; True when every service is ready there."""
        self.mark(
            target, DEPLOYING, f"promoting {self.rollout.application} to {target.application}"
        )
        seen = FailedStates()
        try:
            done = promote(
                self.store,
                promotion,
                author=self.author,
                deploy=True,
                timeout=self.rollout.timeout,
                approval=target.approval_id,
            )
            self.record(
                target,
                created_app=done.created,
                previous_template_version=done.previous_template_version,
            )
            self.audit_promotion(done)
            result = deploy_app(
                self.store,
                done.application.name,
                author=self.author,
                options=DeployOptions(
                    timeout=self.rollout.timeout,
                    atomic=self.rollout.rollback_on_failure,
                    message=f"rollout {self.rollout.id}: promoted from {self.rollout.application}",
                ),
                clearance=done.clearance,
                trigger="rollout",
                listener=seen.listen,
                on_start=lambda op: self.started(target, op),
            )
        except KapstanError as exc:
            self.mark(target, FAILED, f"{target.environment}: {exc}")
            return False
        return self.settle(target, result.operation, seen)

    def started(self, target: RolloutTarget, operation_id: int) -> None:
        self.record(target, operation_id=operation_id)
        # Crash tests stop the process here: the operation runs and holds its lock.
        failpoints.hit(f"rollout-deploying:{target.environment}")

    def settle(self, target: RolloutTarget, op: Operation, seen: FailedStates | None) -> bool:
        """``target``'s deploy ended as ``op``: failed, soaking (the canary), or done."""
        if op.status is not Step.SUCCEEDED:
            failed = seen.failed if seen is not None else None
            self.mark(target, FAILED, f"{target.environment}: {why_failed(op, failed)}")
            return False
        if target.position == 0 and self.rollout.soak > 0:
            return self.soak(target)
        self.mark(target, DONE, f"operation {op.id} succeeded")
        return True

    def recheck(self, target: RolloutTarget, promotion: Promotion | None) -> bool:
        """``target`` was in flight when the run before this one stopped: its operation's
        own outcome decides (see the module's doc). ConflictError (nothing marked) if its
        application is still locked by a live process: resume again later."""
        if target.state == SOAKING:
            return self.soak(target)
        if target.operation_id is None:  # stopped before its deploy began: from the start
            assert promotion is not None
            return self.deploy(target, promotion)
        op = self.store.get_operation(target.operation_id)
        if op.status is Step.SUCCEEDED:
            return self.settle(target, op, None)
        cut_short = op.status is Step.FAILED and op.message.startswith(CUT_SHORT)
        if op.status is not Step.RUNNING and not cut_short:
            return self.settle(target, op, None)  # it failed on its own
        self.mark(target, DEPLOYING, f"resuming: operation {op.id} was {op.status.value}")
        seen = FailedStates()
        try:
            result = self._deploy_again(target, op, seen)
        except ConflictError:
            raise
        except KapstanError as exc:
            self.mark(target, FAILED, f"{target.environment}: {exc}")
            return False
        return self.settle(target, result.operation, seen)

    def _deploy_again(
        self, target: RolloutTarget, op: Operation, seen: FailedStates
    ) -> DeployResult:
        if op.status is Step.RUNNING:  # its process is gone: the engine resumes it
            return resume_operation(
                self.store, op.id, on_start=lambda new: self.started(target, new)
            )
        return deploy_app(  # ended cut short, its lock let go: deployed again
            self.store,
            target.application,
            author=self.author,
            options=DeployOptions(
                timeout=self.rollout.timeout,
                atomic=self.rollout.rollback_on_failure,
                message=f"rollout {self.rollout.id}: resumed, operation {op.id} was cut short",
            ),
            clearance=continuing(self.store, op),
            trigger="rollout",
            listener=seen.listen,
            on_start=lambda new: self.started(target, new),
        )

    def soak(self, target: RolloutTarget) -> bool:
        self.mark(target, SOAKING, f"watching its pods for {self.rollout.soak:g}s")
        try:
            soaked = soak(
                self.store, target.environment, target.application, self.rollout.soak, self.clock
            )
        except KapstanError as exc:
            self.mark(target, FAILED, f"{target.environment}: the soak could not watch: {exc}")
            return False
        if not soaked.ok:
            self.mark(target, FAILED, f"{target.environment}: failed its soak: {soaked.message}")
            return False
        self.mark(target, DONE, soaked.message)
        return True

    def roll_back(self, target: RolloutTarget) -> None:
        """Take ``target`` (done) back to what it ran before the rollout: each service the
        rollout's deploy changed goes back to its previous deployed revision (the others
        are left as they are), and the application to its template version."""
        if target.created_app or target.previous_template_version is None:
            self.mark(
                target,
                DONE,
                f"{target.application} was created by this rollout: nothing to go back to; "
                f"left in place (`kapstan app delete {target.application}` removes it)",
                note=True,
            )
            return
        changed = self.changed_services(target)
        ops: list[int] = []
        try:
            for service in changed:
                if self.went_back(target, service):
                    continue  # by the run before this one, stopped mid-rollback
                result = rollback_app(
                    self.store,
                    target.application,
                    author=self.author,
                    service=service,
                    options=DeployOptions(
                        timeout=self.rollout.timeout,
                        message=f"rollout {self.rollout.id} failed: back to what ran before",
                    ),
                )
                ops.append(result.operation.id)
                if result.operation.status is not Step.SUCCEEDED:
                    why = why_failed(result.operation)
                    self.mark(target, DONE, f"the rollback of {service} failed: {why}", note=True)
                    return
            if self.rollout.template_version != target.previous_template_version:
                update_app(
                    self.store,
                    target.application,
                    template_version=target.previous_template_version,
                )
        except KapstanError as exc:
            self.mark(target, DONE, f"the rollback was not done: {exc}", note=True)
            return
        what = f"operation {', '.join(map(str, ops))}" if ops else "nothing had changed"
        self.mark(
            target,
            ROLLED_BACK,
            f"back to {self.rollout.template}@{target.previous_template_version} ({what})",
            rollback_operation_id=ops[-1] if ops else None,
        )

    def went_back(self, target: RolloutTarget, service: str) -> bool:
        """Is ``service`` of ``target`` deployed again, after the rollout's revision, at what
        it ran before it? Going back twice would go one revision too far."""
        assert target.operation_id is not None
        op = self.store.get_operation(target.operation_id)
        ours = next((s.revision for s in op.services if s.service == service), None)
        history = self.store.list_revisions(target.application, service)
        if ours is None or not history or history[-1].number <= ours:
            return False
        before = [r for r in history if r.status == "deployed" and r.number < ours]
        latest = history[-1]
        return bool(before) and latest.status == "deployed" and latest.hash == before[-1].hash

    def changed_services(self, target: RolloutTarget) -> list[str]:
        """The services the rollout's deploy of ``target`` made ready at a new revision."""
        if target.operation_id is None:
            return []
        op = self.store.get_operation(target.operation_id)
        return [s.service for s in op.services if s.step is Step.READY]


def run_rollout(
    store: RollingOut,
    rollout_id: int,
    *,
    owner: str,
    progress: Progress | None = None,
    clock: Clock = SYSTEM_CLOCK,
    lease: float = LEASE_SECONDS,
    halt: threading.Event | None = None,
) -> Rollout:
    """Run a rollout ``owner`` holds (``start_rollout``, ``resume_rollout``), as its author:
    the environments a stopped run left in flight re-checked, then the pending ones. The
    rollout as it ended (done, or failed with each failure named), or, ``halt`` set before
    the end, as it was let go (interrupted, resumable).

    ConflictError if ``owner`` does not hold it, or it lost it to another process."""
    rollout = store.get_rollout(rollout_id)
    if rollout.status != RUNNING or rollout.owner != owner:
        held = f", run by {rollout.owner}" if rollout.status == RUNNING else ""
        raise ConflictError(
            f"rollout {rollout_id} is {rollout.status}{held}: {owner} does not hold it "
            f"(see `kapstan rollout show {rollout_id}`; `kapstan rollout resume` takes over "
            f"an interrupted one)"
        )
    with _Run(store, rollout, rollout.created_by, progress, clock, lease=lease, halt=halt) as run:
        try:
            return _go_through(run)
        except ConflictError:
            run.release()  # not ours to go on with now: resumable
            raise


def _go_through(run: _Run) -> Rollout:
    store, rollout = run.store, run.rollout
    rollout_id, author = rollout.id, rollout.created_by
    targets = {t.environment: t for t in rollout.targets}
    todo = still_to_run([(t.environment, t.state) for t in rollout.targets])
    in_flight = [t for t in rollout.targets if t.state in IN_FLIGHT]
    fresh = [*todo, *(t.environment for t in in_flight if t.operation_id is None)]
    try:
        promotions = {
            env: plan_promotion(store, rollout.application, env, targets[env].application)
            for env in fresh
        }
    except KapstanError as exc:
        store.set_rollout_status(rollout_id, FAILED, str(exc))
        raise
    # Each one re-checked, whatever the others' outcome: in flight, they all had started.
    checked = [run.recheck(t, promotions.get(t.environment)) for t in in_flight]
    ok = all(checked) and all(t.state != FAILED for t in rollout.targets)
    canary, rest = rollout.targets[0], [e for e in todo if e != rollout.targets[0].environment]
    if ok and canary.environment in todo and not run.halted():
        ok = run.deploy(canary, promotions[canary.environment])
    if ok:
        results = run_bounded(
            rest,
            rollout.parallel,
            lambda env: run.deploy(targets[env], promotions[env]),
            halted=run.halted,
        )
        ok = all(results.values())
    ended = store.get_rollout(rollout_id)
    if run.lost is not None:
        raise ConflictError(f"rollout {rollout_id}: this run stopped: {run.lost}")
    untouched = [t.environment for t in ended.targets if t.state == PENDING]
    if run.halted() and not (ok and not untouched):
        return run.release()  # the server stops: what is left waits for a resume
    failed = [t for t in ended.targets if t.state == FAILED]
    if ok:
        finished = store.set_rollout_status(rollout_id, DONE)
    else:
        if rollout.rollback_on_failure:
            for t in reversed([t for t in ended.targets if t.state == DONE]):
                run.roll_back(t)
        error = "; ".join(t.error for t in failed) + (
            f"; not started: {', '.join(untouched)}" if untouched else ""
        )
        finished = store.set_rollout_status(rollout_id, FAILED, error)
    store.audit(
        author,
        "rollout.finish",
        kind="application",
        name=rollout.application,
        details={"rollout": rollout_id, "status": finished.status, "error": finished.error},
    )
    return finished


class FailedStates:
    """A deploy's listener keeping each service's failure as the engine said it (an atomic
    deploy then rolls the service back, and its step's message says only that)."""

    def __init__(self) -> None:
        self.failed: dict[str, str] = {}

    def listen(self, service: str, resource: str, status: str, message: str) -> None:
        if service and not resource and status == Step.FAILED.value:
            self.failed[service] = message


def why_failed(op: Operation, failed_states: Mapping[str, str] | None = None) -> str:
    """The operation's failed (or, atomic, rolled back) services and why: the service's
    ``failed`` event (a timeout says so) and the engine's ``reason`` events."""
    # An atomic deploy's failed service ends rolled back: why it failed is in its events.
    failed = [s for s in op.services if s.step in (Step.FAILED, Step.ROLLED_BACK)]
    parts = []
    for s in failed:
        why = [e.message for e in op.events if e.service == s.service and e.status in WHY]
        said = (failed_states or {}).get(s.service, "")
        shown = dict.fromkeys(m for m in [said, s.message, *why[:3]] if m)  # each once
        parts.append(f"service {s.service}: {'; '.join(shown)}")
    return f"operation {op.id} {op.status.value}: " + (" | ".join(parts) or op.message)
