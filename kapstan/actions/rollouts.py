"""Roll one application's template version out over several environments, as one operation.

    plan_rollout   the spec checked; every target's promotion planned; which need approval
                   (nothing written: names, templates and gates of ALL targets first)
    start_rollout  recorded; if any target requires approval: its approval asked for now,
                   and RolloutWaiting (exit 3) names them
    resume_rollout once every approval is given: running (the approvals are spent as each
                   environment is promoted); or an interrupted one (its process died, its
                   lease expired) taken over
    run_rollout    (``rolloutrun``) canary: promote + deploy, soak (its pods watched, ``soaking``)
                   -> the rest, at most ``parallel`` at once (``run_bounded``)
                   -> the first failure starts no new environment; those in flight finish
                   -> ``rollback_on_failure``: the environments done go back

Each environment is promoted (``promote.promote``: its own config, the promoted keys
carried) and deployed (``deploying.deploy_app``) through the same gates, policy, boundary
and quota checks as a single promotion; a refusal is that environment's failure, named with
it. With ``rollback_on_failure`` the failing environment's own deploy is atomic (its
changed services go back at once), and each environment done is rolled back
(``rollback_app`` of each service its deploy changed, to its previous deployed revision)
and pointed at the template version it ran before. An application the rollout CREATED has nothing to go back
to: it is left in place (its state stays done, and its note says so and how to delete it).

One process runs a rollout: its claim in the store (owner, lease) is taken when the rollout
starts or resumes and renewed by a heartbeat thread (``kapstan.store.rollouts``). A run
whose lease was taken over starts nothing new. A resumed run re-checks the environments
its predecessor left in flight before anything else: a deploy whose operation succeeded is
done (the canary soaks again); one whose operation still runs (its process is gone) is
resumed by the engine (``deploying.resume_operation``: the lock taken over, the recorded
request run again, unchanged services skipped); one cut short (``interrupted``/``abandoned``)
is deployed again under the clearance it had; one that failed on its own stays failed.
Environments done stay done. ``halt`` (a stopping server) starts no new environment: the
run lets those in flight finish, then lets go of the rollout, which reads interrupted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from kapstan.actions.gates import ApprovalPending, require_gate, requires_approval
from kapstan.actions.journal import LEASE_SECONDS, lock_owner, owner_gone
from kapstan.actions.promote import (
    DEFAULT_TIMEOUT,
    Promotion,
    plan_promotion,
)
from kapstan.actions.storeports import RollingOut, RolloutPlanEdits, RolloutRecords, StateReads
from kapstan.errors import ApprovalRequiredError, ConflictError, InputError, KapstanError
from kapstan.model.rollouts import Rollout, RolloutPlan
from kapstan.plan.rollouts import (
    FAILED,
    INTERRUPTED,
    RUNNING,
    WAITING,
    RolloutSpec,
    check_spec,
    environments_of,
)


@dataclass(frozen=True)
class PlannedRollout:
    """What a rollout will do, checked, nothing written."""

    source: str
    spec: RolloutSpec
    promotions: tuple[Promotion, ...]
    gated: tuple[str, ...]  # the environments that require approval

    @property
    def template_version(self) -> int:
        return self.promotions[0].template_version


class RolloutWaiting(ApprovalRequiredError):
    """The rollout is recorded and waits for approvals; nothing was promoted yet."""

    def __init__(self, rollout: Rollout) -> None:
        waiting = [t for t in rollout.targets if t.approval_id is not None]
        named = ", ".join(f"{t.environment} (approval {t.approval_id})" for t in waiting)
        super().__init__(
            f"rollout {rollout.id} of {rollout.application} waits for approval in {named}: "
            f"nothing was promoted. Another user with the approve permission approves each "
            f"(`kapstan approval approve ID`); then run `kapstan rollout resume {rollout.id}`"
        )
        self.rollout = rollout
        self.approvals = {t.environment: t.approval_id for t in waiting}


def spec_of_plan(plan: RolloutPlan) -> RolloutSpec:
    return RolloutSpec(
        plan.environments, plan.soak, plan.parallel, plan.rollback_on_failure, plan.name
    )


def spec_for(
    store: RolloutRecords,
    *,
    to: Sequence[str] = (),
    plan: str | None = None,
    soak: float | None = None,
    parallel: int | None = None,
    rollback_on_failure: bool | None = None,
) -> RolloutSpec:
    """The rollout asked for: over ``to`` (``a,b,c``) or the named ``plan``, with the
    settings given here taking the place of the plan's."""
    if plan is not None and to:
        raise InputError("give the environments (--to) or a rollout plan (--plan), not both")
    if plan is not None:
        base = spec_of_plan(store.get_rollout_plan(plan))
    elif to:
        base = RolloutSpec(environments_of(to))
    else:
        raise InputError("say where to: --to ENV[,ENV...] or --plan NAME")
    return replace(
        base,
        soak=base.soak if soak is None else soak,
        parallel=base.parallel if parallel is None else parallel,
        rollback_on_failure=(
            base.rollback_on_failure if rollback_on_failure is None else rollback_on_failure
        ),
    )


def save_plan(store: RolloutPlanEdits, spec: RolloutSpec, name: str, *, author: str) -> RolloutPlan:
    """Create or replace the named plan ``name`` (checked as a rollout would be)."""
    check_spec(spec)
    for environment in spec.environments:  # NotFoundError naming the first unknown one
        store.get_environment(environment)
    saved = store.save_rollout_plan(
        name,
        canary=spec.canary,
        then=spec.rest,
        soak=spec.soak,
        parallel=spec.parallel,
        rollback_on_failure=spec.rollback_on_failure,
        author=author,
    )
    store.audit(
        author,
        "rollout.plan.save",
        kind="rollout-plan",
        name=name,
        details={
            "environments": list(spec.environments),
            "soak": spec.soak,
            "parallel": spec.parallel,
            "rollbackOnFailure": spec.rollback_on_failure,
        },
    )
    return saved


def delete_plan(store: RolloutPlanEdits, name: str, *, author: str) -> None:
    store.delete_rollout_plan(name)
    store.audit(author, "rollout.plan.delete", kind="rollout-plan", name=name)


def plan_rollout(store: StateReads, source: str, spec: RolloutSpec) -> PlannedRollout:
    """Check the rollout of ``source`` over ``spec``'s environments; nothing is written.

    Every target's promotion is planned (the environment exists, the name there is free
    or the same template's) and its gate read, before anything anywhere is changed.
    """
    app = store.get_application(source)
    check_spec(spec, app.environment)
    promotions = tuple(plan_promotion(store, source, env, None) for env in spec.environments)
    gated = tuple(env for env in spec.environments if requires_approval(store, env))
    return PlannedRollout(source, spec, promotions, gated)


def start_rollout(
    store: RollingOut,
    planned: PlannedRollout,
    *,
    author: str,
    timeout: float = DEFAULT_TIMEOUT,
    owner: str | None = None,
    lease: float = LEASE_SECONDS,
) -> Rollout:
    """Record the rollout, held by ``owner`` (default: this process, for ``author``) ready
    to ``run_rollout``; or, when an environment requires approval, ask for each such
    approval and raise RolloutWaiting naming them."""
    first = planned.promotions[0]
    rollout = store.create_rollout(
        application=planned.source,
        template=first.template,
        template_version=first.template_version,
        targets=[(p.environment, p.target) for p in planned.promotions],
        plan=planned.spec.plan,
        soak=planned.spec.soak,
        parallel=planned.spec.parallel,
        rollback_on_failure=planned.spec.rollback_on_failure,
        timeout=timeout,
        author=author,
        status=WAITING if planned.gated else RUNNING,
        owner=owner or lock_owner(author),
        lease_seconds=lease,
    )
    store.audit(
        author,
        "rollout.start",
        kind="application",
        name=planned.source,
        details={
            "rollout": rollout.id,
            "environments": list(planned.spec.environments),
            "template": f"{first.template}@{first.template_version}",
            "plan": planned.spec.plan,
        },
    )
    if planned.gated:
        raise RolloutWaiting(_ask_approvals(store, rollout, planned, author))
    return rollout


def _ask_approvals(
    store: RollingOut, rollout: Rollout, planned: PlannedRollout, author: str
) -> Rollout:
    """One approval request per gated environment, each naming the rollout it belongs to
    (approving it runs nothing by itself: the rollout spends it when it gets there)."""
    for p in planned.promotions:
        if p.environment not in planned.gated:
            continue
        try:
            require_gate(
                store,
                kind="promote",
                app=p.target,
                environment=p.environment,
                actor=author,
                payload={
                    **p.payload(),
                    "deploy": True,
                    "timeout": rollout.timeout,
                    "rollout": rollout.id,
                },
            )
        except ApprovalPending as asked:
            rollout = store.update_rollout_target(
                rollout.id, p.environment, approval_id=asked.approval_id
            )
        except KapstanError as exc:  # no approval could be asked for (not a user...)
            store.set_rollout_status(rollout.id, FAILED, f"{p.environment}: {exc}")
            raise
    return rollout


def resume_rollout(
    store: RollingOut,
    rollout_id: int,
    *,
    author: str,
    owner: str | None = None,
    lease: float = LEASE_SECONDS,
) -> Rollout:
    """Hold the rollout for ``owner`` (default: this process, for ``author``), ready to
    ``run_rollout``: one that waited for approvals, once every one is given; or an
    interrupted one (no live process holds it: taken over, at once from a process on this
    host that is gone). It runs as its requester's (the approvals were asked for by them).

    ConflictError if it has ended, or a live process runs it (named)."""
    owner = owner or lock_owner(author)
    rollout = store.get_rollout(rollout_id)
    if rollout.status in (RUNNING, INTERRUPTED):
        held = rollout.owner
        dead = held if held is not None and owner_gone(held) else None
        claimed, before = store.claim_rollout(
            rollout_id, owner=owner, lease_seconds=lease, dead_owner=dead
        )
        _check_source(store, rollout)  # held now: no live run is failed by this
        store.audit(
            author,
            "rollout.resume",
            kind="application",
            name=rollout.application,
            details={"rollout": rollout_id, "interruptedRun": before},
        )
        return claimed
    if rollout.status != WAITING:
        raise ConflictError(
            f"rollout {rollout_id} is {rollout.status}: it has ended, so it does not resume "
            f"(see `kapstan rollout show {rollout_id}`; start a new one)"
        )
    _check_source(store, rollout)
    waiting = []
    for t in rollout.targets:
        if t.approval_id is None:
            continue
        asked = store.get_approval(t.approval_id)
        if asked.status == "rejected":
            message = f"approval {asked.id} for {t.environment} was rejected: {asked.reason}"
            store.set_rollout_status(rollout_id, FAILED, message)
            raise ConflictError(f"rollout {rollout_id} will not run: {message}")
        if asked.status != "approved":
            waiting.append(f"{t.environment} (approval {asked.id}, {asked.status})")
    if waiting:
        raise ApprovalRequiredError(
            f"rollout {rollout_id} still waits for approval in {', '.join(waiting)}; "
            f"`kapstan approval approve ID` (another user), then resume it"
        )
    claimed, _ = store.claim_rollout(rollout_id, owner=owner, lease_seconds=lease)
    store.audit(
        author,
        "rollout.resume",
        kind="application",
        name=rollout.application,
        details={"rollout": rollout_id},
    )
    return claimed


def _check_source(store: RollingOut, rollout: Rollout) -> None:
    """The rest of a rollout goes out at the version it started with: if its source moved
    on since, the rollout fails (ConflictError) rather than mixing two versions."""
    source = store.get_application(rollout.application)
    if source.template_version != rollout.template_version:
        message = (
            f"{rollout.application} runs {source.template}@{source.template_version} now, not "
            f"@{rollout.template_version} as when the rollout was asked for: start a new one"
        )
        store.set_rollout_status(rollout.id, FAILED, message)
        raise ConflictError(f"rollout {rollout.id} not resumed: {message}")
