"""Deciding approval requests, and carrying an approved one out, the same from every door.

    approve (not one's own; the approve permission) -> audit -> the change runs, once,
                                                               as its requester's
    reject (the approve permission) | withdraw (the requester) -> audit -> it never runs

The server launches the approved change in the background (``kapstan.api.flows``); the
local command line runs it here, in this process (``carry_out``). Either way the action's
gate spends the approval (``gates``), so it allows its change once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kapstan.actions.deleting import DEFAULT_TIMEOUT as DELETE_TIMEOUT
from kapstan.actions.deleting import delete_app
from kapstan.actions.deploying import deploy_app, rollback_app
from kapstan.actions.journal import Listener
from kapstan.actions.promote import DEFAULT_TIMEOUT, Carried, Promoted, Promotion, promote
from kapstan.actions.storeports import ApprovalDecisions, AuditLog, CarryingOut, Deleting, Deploying
from kapstan.engine.deploy import DeployOptions
from kapstan.errors import ForbiddenError, InputError
from kapstan.model.operation import Operation
from kapstan.store import Approval


def approve(store: ApprovalDecisions, approval_id: int, *, user: str) -> Approval:
    """Approve someone else's pending request (the store checks who may)."""
    decided = store.approve(approval_id, user=user)
    _audit(
        store,
        user,
        "approval.approve",
        decided,
        request=decided.kind,
        requestedBy=decided.requested_by,
    )
    return decided


def reject(store: ApprovalDecisions, approval_id: int, *, user: str, reason: str) -> Approval:
    decided = store.reject(approval_id, user=user, reason=reason)
    _audit(store, user, "approval.reject", decided, reason=reason)
    return decided


def withdraw(
    store: ApprovalDecisions, approval_id: int, *, user: str, reason: str = ""
) -> Approval:
    """The requester takes their own pending request back; it never runs."""
    found = store.get_approval(approval_id)
    if found.requested_by != user:
        raise ForbiddenError(
            f"approval {approval_id} was requested by {found.requested_by!r}: only they can "
            "withdraw it; reject it instead"
        )
    decided = store.reject(approval_id, user=user, reason=reason.strip() or f"withdrawn by {user}")
    _audit(store, user, "approval.withdraw", decided, reason=decided.reason)
    return decided


def promotion_of(approval: Approval) -> Promotion:
    payload = dict(approval.payload)
    return Promotion(
        str(payload["source"]),
        str(payload["target"]),
        approval.environment,
        str(payload["template"]),
        int(payload["templateVersion"]),
        tuple(Carried(c["key"], c["from"], c["to"]) for c in payload.get("carried", ())),
    )


def options_from(payload: dict[str, Any]) -> DeployOptions:
    """A deploy request's options, as ``deploying.deploy_request`` kept them."""
    return DeployOptions(
        timeout=float(payload.get("timeout", DeployOptions().timeout)),
        atomic=bool(payload.get("atomic", False)),
        force=bool(payload.get("force", False)),
        message=str(payload.get("message", "")),
        adopt=bool(payload.get("adopt", False)),
    )


@dataclass(frozen=True)
class CarriedOut:
    """What an approved request did here: its operation, and the promotion it made, if any."""

    operation: Operation | None
    promoted: Promoted | None = None
    rollout: int | None = None  # it belongs to this rollout, which runs it when resumed


def carry_out(store: CarryingOut, approval: Approval, *, listener: Listener | None) -> CarriedOut:
    """Run the approved request ``approval`` in this process, as its requester, once."""
    payload = dict(approval.payload)
    if payload.get("rollout") is not None:
        # One environment of a rollout: it runs in the rollout's order, when the rollout
        # resumes (``rollouts.resume_rollout`` spends it), never on its own.
        return CarriedOut(None, rollout=int(payload["rollout"]))
    run = _RUNS.get(approval.kind)
    if run is None:
        raise InputError(
            f"approval {approval.id} asks for a {approval.kind!r}, which Kapstan "
            "does not know how to carry out"
        )
    return run(store, approval, payload, listener)


Run = Callable[[CarryingOut, Approval, dict[str, Any], Listener | None], CarriedOut]


def _deploy(
    store: Deploying, a: Approval, payload: dict[str, Any], listener: Listener | None
) -> CarriedOut:
    done = deploy_app(
        store,
        a.application,
        author=a.requested_by,
        services=list(payload.get("services", [])),
        options=options_from(payload),
        listener=listener,
        approval=a.id,
        trigger=str(payload.get("trigger", "cli")),
    )
    return CarriedOut(done.operation)


def _rollback(
    store: Deploying, a: Approval, payload: dict[str, Any], listener: Listener | None
) -> CarriedOut:
    to = payload.get("to")
    service = payload.get("service")
    done = rollback_app(
        store,
        a.application,
        author=a.requested_by,
        service=None if service is None else str(service),
        to=None if to is None else int(to),
        listener=listener,
        approval=a.id,
        options=DeployOptions(timeout=float(payload.get("timeout", DeployOptions().timeout))),
    )
    return CarriedOut(done.operation)


def _delete(
    store: Deleting, a: Approval, payload: dict[str, Any], listener: Listener | None
) -> CarriedOut:
    done = delete_app(
        store,
        a.application,
        author=a.requested_by,
        keep_volumes=not bool(payload.get("deleteVolumes", False)),
        timeout=float(payload.get("timeout", DELETE_TIMEOUT)),
        listener=listener,
        via="approval",
        approval=a.id,
    )
    return CarriedOut(done.operation)


def _promote(
    store: CarryingOut, a: Approval, payload: dict[str, Any], listener: Listener | None
) -> CarriedOut:
    timeout = float(payload.get("timeout", DEFAULT_TIMEOUT))
    deploy = bool(payload.get("deploy", True))
    done = promote(
        store, promotion_of(a), author=a.requested_by, deploy=deploy, timeout=timeout, approval=a.id
    )
    if not deploy:
        return CarriedOut(None, done)
    result = deploy_app(
        store,
        done.application.name,
        author=a.requested_by,
        listener=listener,
        options=DeployOptions(timeout=timeout, message=f"promoted from {promotion_of(a).source}"),
        clearance=done.clearance,
        trigger="promote",
    )
    return CarriedOut(result.operation, done)


_RUNS: dict[str, Run] = {
    "deploy": _deploy,
    "rollback": _rollback,
    "delete": _delete,
    "promote": _promote,
}


def _audit(store: AuditLog, user: str, action: str, decided: Approval, **details: Any) -> None:
    store.audit(
        user,
        action,
        kind="application",
        name=decided.application,
        environment=decided.environment,
        details={"approval": decided.id, **{k: v for k, v in details.items() if v is not None}},
    )
