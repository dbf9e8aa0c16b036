"""Rollouts across environments, and named rollout plans.

    POST   /api/v1/rollouts                 202: recorded and running (in the background);
                                            202 ``waiting-approval``: the approvals it asked
                                            for are on its targets (``approvalId``)
    POST   /api/v1/rollouts/{id}/resume     202: once every approval is given, it runs; an
                                            interrupted one (its process died) is taken
                                            over; 409 naming who runs a live one
    GET    /api/v1/rollouts[?application=]  newest first
    GET    /api/v1/rollouts/{id}[?seen=DIGEST&wait=S]   a long poll: answers when it changes
    GET|PUT|DELETE /api/v1/rollout-plans[/{name}]

Starting or resuming a rollout needs the promote permission (deployer) on EVERY target
environment and view on the source's; saving a plan, the same on each of its environments.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from kapstan.actions import rollouts as actions
from kapstan.actions.journal import lock_owner
from kapstan.actions.rolloutrun import run_rollout
from kapstan.api.auth import CallerDep
from kapstan.api.rolloutruns import rollout_runs
from kapstan.errors import ApprovalRequiredError
from kapstan.model.rollouts import Rollout
from kapstan.plan.rollouts import RolloutSpec
from kapstan.schemas.base import StoredInt
from kapstan.schemas.rollouts import (
    MAX_WAIT,
    RolloutOut,
    RolloutPlanIn,
    RolloutPlanOut,
    RolloutRequest,
    digest_of,
)
from kapstan.store import Store

router = APIRouter(prefix="/api/v1", tags=["rollouts"])
PERMISSION = "promote"  # on every target environment: a deployer's


def _launch(request: Request, store: Store, rollout: Rollout, owner: str) -> None:
    rollout_runs(request).launch(
        rollout.id,
        lambda progress, halt: run_rollout(
            store, rollout.id, owner=owner, progress=progress, halt=halt
        ),
    )


@router.post("/rollouts", status_code=202)
def start(caller: CallerDep, request: Request, body: RolloutRequest) -> RolloutOut:
    """Record the rollout and run it in the background (or ask for its approvals)."""
    source = caller.application(body.application, "view")
    spec = actions.spec_for(
        caller.store,
        to=body.to,
        plan=body.plan,
        soak=body.soak,
        parallel=body.parallel,
        rollback_on_failure=body.rollback_on_failure,
    )
    caller.require_all(spec.environments, PERMISSION)
    planned = actions.plan_rollout(caller.store, source.name, spec)
    owner = lock_owner(caller.name)  # this server process runs it, holding its lease
    try:
        rollout = actions.start_rollout(
            caller.store, planned, author=caller.name, timeout=body.timeout, owner=owner
        )
    except actions.RolloutWaiting as waiting:
        return RolloutOut.of(waiting.rollout)
    _launch(request, caller.store, rollout, owner)
    return RolloutOut.of(rollout)


@router.post("/rollouts/{rollout_id}/resume", status_code=202)
def resume(caller: CallerDep, request: Request, rollout_id: StoredInt) -> RolloutOut:
    """Run a rollout that waited for approvals, once every one is given (else it, still
    ``waiting-approval``); or take an interrupted one over and run the rest."""
    found = caller.store.get_rollout(rollout_id)
    caller.require_all([t.environment for t in found.targets], PERMISSION)
    owner = lock_owner(caller.name)
    try:
        rollout = actions.resume_rollout(caller.store, rollout_id, author=caller.name, owner=owner)
    except ApprovalRequiredError:  # still waiting: its record says for which approvals
        return RolloutOut.of(caller.store.get_rollout(rollout_id))
    _launch(request, caller.store, rollout, owner)
    return RolloutOut.of(rollout)


def _viewable(caller: CallerDep, rollout: Rollout) -> bool:
    return all(caller.can(t.environment, "view") for t in rollout.targets)


@router.get("/rollouts")
def list_rollouts(caller: CallerDep, application: str | None = None) -> list[RolloutOut]:
    """The newest rollouts first; only those whose every environment the caller may view."""
    found = caller.store.list_rollouts(application)
    return [RolloutOut.of(r) for r in found if _viewable(caller, r)]


@router.get("/rollouts/{rollout_id}")
def get_rollout(
    caller: CallerDep,
    request: Request,
    rollout_id: StoredInt,
    seen: str | None = None,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT)] = 0,
) -> RolloutOut:
    """The rollout; with ``seen`` (its last ``digest``) and ``wait``, held until it changes
    or ``wait`` seconds pass."""
    rollout = caller.store.get_rollout(rollout_id)
    caller.require_all([t.environment for t in rollout.targets], "view")
    if seen is not None and wait > 0 and digest_of(rollout) == seen:
        rollout_runs(request).wait_change(wait)
        rollout = caller.store.get_rollout(rollout_id)
    return RolloutOut.of(rollout)


@router.get("/rollout-plans")
def list_plans(caller: CallerDep) -> list[RolloutPlanOut]:
    return [RolloutPlanOut.of(p) for p in caller.store.list_rollout_plans()]


@router.get("/rollout-plans/{name}")
def get_plan(caller: CallerDep, name: str) -> RolloutPlanOut:
    return RolloutPlanOut.of(caller.store.get_rollout_plan(name))


@router.put("/rollout-plans/{name}")
def save_plan(caller: CallerDep, name: str, body: RolloutPlanIn) -> RolloutPlanOut:
    spec = RolloutSpec(
        (body.canary, *body.then), body.soak, body.parallel, body.rollback_on_failure
    )
    caller.require_all(spec.environments, PERMISSION)
    saved = actions.save_plan(caller.store, spec, name, author=caller.name)
    return RolloutPlanOut.of(saved)


@router.delete("/rollout-plans/{name}", status_code=204)
def delete_plan(caller: CallerDep, name: str) -> Response:
    found = caller.store.get_rollout_plan(name)
    caller.require_all(found.environments, PERMISSION)
    actions.delete_plan(caller.store, name, author=caller.name)
    return Response(status_code=204)
