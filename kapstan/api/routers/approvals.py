"""``/api/v1/approvals``: list, get, approve (then the change runs, once), reject, withdraw.

The store refuses an approval by its own requester and one without the ``approve``
permission; approving starts the deploy or promotion that was asked for, as its requester.
Withdrawing is the requester taking their own pending request back (a rejection by them).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from kapstan.api import auditing, schemas
from kapstan.api.auth import CallerDep
from kapstan.api.flows import deletions, deploys, promotion
from kapstan.api.pagination import WindowDep, paged
from kapstan.api.state import runner_of
from kapstan.errors import ForbiddenError
from kapstan.store import Approval, Store

router = APIRouter(prefix="/api/v1/approvals", tags=["approvals"])


def approval(a: Approval) -> schemas.ApprovalOut:
    return schemas.ApprovalOut(
        id=a.id, kind=a.kind, application=a.application, environment=a.environment,
        requested_by=a.requested_by, requested_at=a.requested_at, status=a.status.value,
        decided_by=a.decided_by, decided_at=a.decided_at, reason=a.reason,
        payload=dict(a.payload), used_at=a.used_at,
    )  # fmt: skip


@router.get("")
def list_approvals(
    caller: CallerDep, at: WindowDep, status: str | None = None, environment: str | None = None
) -> schemas.Page[schemas.ApprovalOut]:
    """Approvals in environments the caller may view, newest first."""
    if environment is not None:
        caller.require(environment, "view")
    found = caller.store.list_approvals(status=status, environment=environment)
    visible = [a for a in found if caller.can(a.environment, "view")]
    return paged(visible, at, approval)


@router.get("/{approval_id}")
def get_approval(caller: CallerDep, approval_id: schemas.StoredInt) -> schemas.ApprovalOut:
    found = caller.store.get_approval(approval_id)
    caller.require(found.environment, "view")
    return approval(found)


@router.post("/{approval_id}/approve", status_code=202)
def approve(
    caller: CallerDep, request: Request, approval_id: schemas.StoredInt
) -> schemas.Accepted:
    """Approve, then carry out the change (202 with its operation id)."""
    caller.require(caller.store.get_approval(approval_id).environment, "view")
    decided = caller.store.approve(approval_id, user=caller.name)
    auditing.record(caller.store, caller.name, "approval.approve", kind="application",
                    name=decided.application, environment=decided.environment,
                    details={"approval": decided.id, "request": decided.kind,
                             "requestedBy": decided.requested_by})  # fmt: skip
    used = caller.store.mark_approval_used(approval_id)
    started = _carry_out(caller.store, request, used)
    if started.operation_id is None:  # a promotion asked for without a deploy
        return schemas.Accepted(status="done", app=used.application, approval_id=used.id,
                                created=started.created,
                                message=f"approved by {caller.name}; {used.kind} done, "
                                        "not deployed")  # fmt: skip
    return schemas.Accepted(operation_id=started.operation_id, status="running",
                            app=used.application, approval_id=used.id, created=started.created,
                            message=f"approved by {caller.name}; {used.kind} started")  # fmt: skip


def _carry_out(store: Store, request: Request, a: Approval) -> deploys.Started:
    runner = runner_of(request)
    payload = dict(a.payload)
    if a.kind == deletions.KIND:
        return deploys.Started(launch=deletions.approved_delete(store, runner, a))
    if a.kind == "promote":
        found = promotion.from_payload(payload, a.environment)
        return promotion.execute(
            store, runner, found, author=a.requested_by, approval=a.id,
            deploy=bool(payload.get("deploy", True)),
            timeout=float(payload.get("timeout", promotion.DEFAULT_TIMEOUT)),
        )  # fmt: skip
    launch = deploys.deploy(
        store, runner, app=a.application, author=a.requested_by,
        services=list(payload.get("services", [])), options=deploys.options_from(payload),
        details={"trigger": payload.get("trigger", "api"), "approval": a.id},
    )  # fmt: skip
    return deploys.Started(launch=launch)


@router.post("/{approval_id}/reject")
def reject(
    caller: CallerDep, approval_id: schemas.StoredInt, body: schemas.RejectRequest
) -> schemas.ApprovalOut:
    caller.require(caller.store.get_approval(approval_id).environment, "view")
    decided = caller.store.reject(approval_id, user=caller.name, reason=body.reason)
    auditing.record(caller.store, caller.name, "approval.reject", kind="application",
                    name=decided.application, environment=decided.environment,
                    details={"approval": decided.id, "reason": body.reason})  # fmt: skip
    return approval(decided)


@router.post("/{approval_id}/withdraw")
def withdraw(
    caller: CallerDep, approval_id: schemas.StoredInt, body: schemas.WithdrawRequest | None = None
) -> schemas.ApprovalOut:
    """The requester takes their own pending request back; it never runs."""
    found = caller.store.get_approval(approval_id)
    caller.require(found.environment, "view")
    if found.requested_by != caller.name:
        raise ForbiddenError(
            f"approval {approval_id} was requested by {found.requested_by!r}: only they can "
            "withdraw it; reject it instead"
        )
    why = body.reason.strip() if body is not None else ""
    decided = caller.store.reject(
        approval_id, user=caller.name, reason=why or f"withdrawn by {caller.name}"
    )
    auditing.record(caller.store, caller.name, "approval.withdraw", kind="application",
                    name=decided.application, environment=decided.environment,
                    details={"approval": decided.id, "reason": decided.reason})  # fmt: skip
    return approval(decided)
