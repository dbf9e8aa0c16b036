"""Approvals: a change to a guarded environment waits for a second user's word.

    pending --approve--> approved --mark_approval_used--> used
    pending --reject---> rejected

Each step locks the approval's row and checks its status in the same transaction, so
two deciders (or two users of one approval) cannot both win: the second gets a
ConflictError. Approving needs the ``approve`` permission in the environment and a user
other than the requester. Rejecting needs the same permission, except that requesters
may always withdraw (reject) their own request.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kapstan.errors import ConflictError, ForbiddenError, InputError, NotFoundError
from kapstan.model.permissions import Permission
from kapstan.model.records import Approval, ApprovalStatus
from kapstan.store.base import Repository
from kapstan.store.environments import find_environment
from kapstan.store.names import check_name
from kapstan.store.payloads import plain_json
from kapstan.store.roles import require
from kapstan.store.tables import ApprovalRow, EnvironmentRow
from kapstan.store.users import find_user

MAX_KIND_LENGTH = 32
SELF_APPROVAL = "you cannot approve your own request"


class ApprovalStore(Repository):
    def request_approval(
        self,
        *,
        kind: str,
        application: str,
        environment: str,
        requested_by: str,
        payload: Mapping[str, Any],
    ) -> Approval:
        """A new PENDING approval: ``requested_by`` asks to ``kind`` (deploy, promote...)."""
        if not isinstance(kind, str) or not kind.strip() or len(kind) > MAX_KIND_LENGTH:
            raise InputError(f"approval of application {application!r}: bad kind {kind!r}")
        check_name("application", application)
        plain = plain_json(f"approval payload of {kind} {application!r}", payload)

        def work(session: Session) -> Approval:
            if find_user(session, requested_by).disabled:
                raise ConflictError(f"user {requested_by!r} is disabled")
            env_row, _ = find_environment(session, environment)
            row = ApprovalRow(
                kind=kind,
                application=application,
                environment_id=env_row.id,
                requested_by=requested_by,
                requested_at=self._now(),
                status=ApprovalStatus.PENDING.value,
                payload=plain,
            )
            session.add(row)
            session.flush()
            return _record(row, env_row.name)

        return self._write(work)

    def approve(self, approval_id: int, *, user: str) -> Approval:
        """Approve a pending request; not one's own, and only with ``approve`` permission."""

        def work(session: Session) -> Approval:
            row, environment = _pending(session, approval_id)
            if user == row.requested_by:
                raise ForbiddenError(SELF_APPROVAL)
            require(session, user, environment, Permission.APPROVE)
            return _decide(row, environment, ApprovalStatus.APPROVED, user, None, self._now())

        return self._write(work)

    def reject(self, approval_id: int, *, user: str, reason: str) -> Approval:
        """Reject a pending request, saying why (requesters may withdraw their own)."""
        if not isinstance(reason, str) or not reason.strip():
            raise InputError(f"rejecting approval {approval_id}: say why (the reason is empty)")

        def work(session: Session) -> Approval:
            row, environment = _pending(session, approval_id)
            if user != row.requested_by:
                require(session, user, environment, Permission.APPROVE)
            else:
                find_user(session, user)
            return _decide(row, environment, ApprovalStatus.REJECTED, user, reason, self._now())

        return self._write(work)

    def get_approval(self, approval_id: int) -> Approval:
        return self._read(lambda session: _record(*_find(session, approval_id)))

    def list_approvals(
        self, *, status: str | None = None, environment: str | None = None
    ) -> list[Approval]:
        """Approvals matching the filters given, newest first."""
        wanted = _status(status) if status is not None else None

        def work(session: Session) -> list[Approval]:
            query = select(ApprovalRow, EnvironmentRow.name).join(
                EnvironmentRow, EnvironmentRow.id == ApprovalRow.environment_id
            )
            if wanted is not None:
                query = query.where(ApprovalRow.status == wanted.value)
            if environment is not None:
                query = query.where(EnvironmentRow.name == environment)
            rows = session.execute(query.order_by(ApprovalRow.id.desc()))
            return [_record(row, name) for row, name in rows]

        return self._read(work)

    def mark_approval_used(self, approval_id: int) -> Approval:
        """Spend an approved approval: it allows its change once, never twice."""

        def work(session: Session) -> Approval:
            row, environment = _find(session, approval_id, lock=True)
            if row.status == ApprovalStatus.USED:
                raise ConflictError(
                    f"approval {row.id} was used already: an approval allows its change once"
                )
            if row.status != ApprovalStatus.APPROVED:
                raise ConflictError(
                    f"approval {row.id} is {row.status}, not approved: "
                    "its change may not be carried out"
                )
            row.status, row.used_at = ApprovalStatus.USED.value, self._now()
            session.flush()
            return _record(row, environment)

        return self._write(work)


def _find(session: Session, approval_id: int, *, lock: bool = False) -> tuple[ApprovalRow, str]:
    is_id = isinstance(approval_id, int) and not isinstance(approval_id, bool)
    row = session.get(ApprovalRow, approval_id, with_for_update=lock) if is_id else None
    if row is None:
        raise NotFoundError(f"approval {approval_id!r} not found")
    return row, session.get_one(EnvironmentRow, row.environment_id).name


def _pending(session: Session, approval_id: int) -> tuple[ApprovalRow, str]:
    row, environment = _find(session, approval_id, lock=True)
    if row.status != ApprovalStatus.PENDING:
        raise ConflictError(
            f"approval {row.id} is {row.status} already (by {row.decided_by}): "
            "only a pending request can be approved or rejected"
        )
    return row, environment


def _decide(
    row: ApprovalRow,
    environment: str,
    status: ApprovalStatus,
    user: str,
    reason: str | None,
    now: datetime,
) -> Approval:
    row.status, row.decided_by, row.decided_at, row.reason = status.value, user, now, reason
    return _record(row, environment)


def _status(text: str) -> ApprovalStatus:
    try:
        return ApprovalStatus(text)
    except ValueError:
        known = ", ".join(ApprovalStatus)
        raise InputError(f"{text!r} is not an approval status; use one of: {known}") from None


def _record(row: ApprovalRow, environment: str) -> Approval:
    return Approval(
        id=row.id,
        kind=row.kind,
        application=row.application,
        environment=environment,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        status=ApprovalStatus(row.status),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        reason=row.reason,
        payload=row.payload,
        used_at=row.used_at,
    )
