"""Approvals: pending and recent requests the user may view, with Approve and Reject.

The buttons run the API's own handlers (``kapstan.api.routers.approvals``): the same
permission checks, audit and flow, so an approved deploy or promotion starts once, as its
requester. The store refuses an approval by its own requester; that message is shown.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from kapstan import schemas
from kapstan.api.routers import approvals as api
from kapstan.errors import InputError
from kapstan.store import ApprovalStatus
from kapstan.web.common import PageRoute, PosterDep, ViewerDep, redirect, render

router = APIRouter(route_class=PageRoute)
RECENT = 50
MAX_REASON = 1000


@router.get("/approvals")
def approvals_page(request: Request, viewer: ViewerDep) -> Response:
    caller = viewer.caller
    visible = [a for a in caller.store.list_approvals() if caller.can(a.environment, "view")]
    pending = [a for a in visible if a.status is ApprovalStatus.PENDING]
    recent = [a for a in visible if a.status is not ApprovalStatus.PENDING][:RECENT]
    may_approve = {a.environment: caller.can(a.environment, "approve") for a in pending}
    return render(
        request, "approvals.html", pending=pending, recent=recent, may_approve=may_approve
    )


@router.post("/approvals/{approval_id}/approve")
def approve(request: Request, viewer: PosterDep, approval_id: int) -> Response:
    """Approve, then start the change (the API's flow); on to its operation's page."""
    accepted = api.approve(viewer.caller, request, approval_id)
    if accepted.operation_id is None:
        return redirect("/approvals")
    return redirect(f"/apps/{accepted.app}/operations/{accepted.operation_id}")


@router.post("/approvals/{approval_id}/reject")
def reject(viewer: PosterDep, approval_id: int, reason: Annotated[str, Form()] = "") -> Response:
    if not reason.strip():
        raise InputError(f"rejecting approval {approval_id}: say why (the reason is empty)")
    if len(reason) > MAX_REASON:
        raise InputError(
            f"rejecting approval {approval_id}: the reason is over {MAX_REASON} characters"
        )
    api.reject(viewer.caller, approval_id, schemas.RejectRequest(reason=reason))
    return redirect("/approvals")
