"""``/api/v1/approvals``: list, get, approve (then the change runs, once), reject, withdraw.

The store refuses an approval by its own requester and one without the ``approve``
permission; approving starts the deploy, rollback, delete or promotion that was asked for,
as its requester (its action's gate spends the approval: once). Withdrawing is the
requester taking their own pending request back (a rejection by them). The decisions are
``kapstan.actions.approvals``', as the local command line's.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from kapstan import schemas
from kapstan.actions import approvals
from kapstan.api.auth import CallerDep
from kapstan.api.flows import deletions, deploys, promotion
from kapstan.api.pagination import WindowDep, paged
from kapstan.api.state import runner_of
from kapstan.engine.deploy import DeployOptions
from kapstan.store import Approval, Store

DEFAULT_TIMEOUT = DeployOptions().timeout

router = APIRouter(prefix="/api/v1/approvals", tags=["approvals"])


@router.get("")
def list_approvals(
    caller: CallerDep, at: WindowDep, status: str | None = None, environment: str | None = None
) -> schemas.Page[schemas.ApprovalOut]:
    """Approvals in environments the caller may view, newest first."""
    if environment is not None:
        caller.require(environment, "view")
    found = caller.store.list_approvals(status=status, environment=environment)
    visible = [a for a in found if caller.can(a.environment, "view")]
    return paged(visible, at, schemas.ApprovalOut.of)


@router.get("/{approval_id}")
def get_approval(caller: CallerDep, approval_id: schemas.StoredInt) -> schemas.ApprovalOut:
    found = caller.store.get_approval(approval_id)
    caller.require(found.environment, "view")
    return schemas.ApprovalOut.of(found)


@router.post("/{approval_id}/approve", status_code=202)
def approve(
    caller: CallerDep, request: Request, approval_id: schemas.StoredInt
) -> schemas.Accepted:
    """Approve, then carry out the change (202 with its operation id)."""
    caller.require(caller.store.get_approval(approval_id).environment, "view")
    decided = approvals.approve(caller.store, approval_id, user=caller.name)
    started = _carry_out(caller.store, request, decided)
    used = caller.store.get_approval(approval_id)
    rollout = used.payload.get("rollout")
    if rollout is not None:
        return schemas.Accepted(
            status="approved",
            app=used.application,
            approval_id=used.id,
            message=f"approved by {caller.name}; it belongs to rollout {rollout}, which runs "
            f"it in order: POST /api/v1/rollouts/{rollout}/resume once every approval it "
            "waits for is given",
        )
    if started.operation_id is None:  # a promotion asked for without a deploy
        return schemas.Accepted(
            status="done",
            app=used.application,
            approval_id=used.id,
            created=started.created,
            message=f"approved by {caller.name}; {used.kind} done, not deployed",
        )
    return schemas.Accepted(
        operation_id=started.operation_id,
        status="running",
        app=used.application,
        approval_id=used.id,
        created=started.created,
        message=f"approved by {caller.name}; {used.kind} started",
    )


def _carry_out(store: Store, request: Request, a: Approval) -> deploys.Started:
    runner = runner_of(request)
    payload = dict(a.payload)
    if payload.get("rollout") is not None:  # its rollout runs it, in order, when resumed
        return deploys.Started()
    if a.kind == deletions.KIND:
        return deploys.Started(launch=deletions.approved_delete(store, runner, a))
    if a.kind == "promote":
        return promotion.execute(
            store,
            runner,
            approvals.promotion_of(a),
            author=a.requested_by,
            approval=a.id,
            deploy=bool(payload.get("deploy", True)),
            timeout=float(payload.get("timeout", promotion.DEFAULT_TIMEOUT)),
        )
    if a.kind == "rollback":
        to, service = payload.get("to"), payload.get("service")
        launch = deploys.rollback(
            store,
            runner,
            app=a.application,
            author=a.requested_by,
            service=None if service is None else str(service),
            to=None if to is None else int(to),
            options=DeployOptions(timeout=float(payload.get("timeout", DEFAULT_TIMEOUT))),
            approval=a.id,
        )
        return deploys.Started(launch=launch)
    launch = deploys.deploy(
        store,
        runner,
        app=a.application,
        author=a.requested_by,
        services=list(payload.get("services", [])),
        options=approvals.options_from(payload),
        details={"trigger": payload.get("trigger", "api"), "approval": a.id},
        approval=a.id,
    )
    return deploys.Started(launch=launch)


@router.post("/{approval_id}/reject")
def reject(
    caller: CallerDep, approval_id: schemas.StoredInt, body: schemas.RejectRequest
) -> schemas.ApprovalOut:
    caller.require(caller.store.get_approval(approval_id).environment, "view")
    return schemas.ApprovalOut.of(
        approvals.reject(caller.store, approval_id, user=caller.name, reason=body.reason)
    )


@router.post("/{approval_id}/withdraw")
def withdraw(
    caller: CallerDep, approval_id: schemas.StoredInt, body: schemas.WithdrawRequest | None = None
) -> schemas.ApprovalOut:
    """The requester takes their own pending request back; it never runs."""
    caller.require(caller.store.get_approval(approval_id).environment, "view")
    why = body.reason if body is not None else ""
    return schemas.ApprovalOut.of(
        approvals.withdraw(caller.store, approval_id, user=caller.name, reason=why)
    )
