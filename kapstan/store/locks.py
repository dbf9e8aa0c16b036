"""Application locks: one operation at a time changes an application, on a renewed lease.

Every lock call first locks the application's row (PostgreSQL ``SELECT ... FOR UPDATE``;
on SQLite, writers already queue on ``BEGIN IMMEDIATE``), so two processes racing for
the same application are served one after the other and exactly one wins. A lease that
was not renewed in time may be taken over; the takeover is written in the same
transaction: an event on the new operation, and the old one, if still running, ended
as FAILED ("abandoned").
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from kapstan.errors import ConflictError, InputError
from kapstan.model.operation import Step
from kapstan.model.records import LockInfo
from kapstan.store.applications import find_application
from kapstan.store.base import Repository
from kapstan.store.operation_rows import add_event, check_belongs, find_operation
from kapstan.store.revisions import INTERRUPTED, mark_pending
from kapstan.store.tables import ApplicationLockRow, ApplicationRow


class LockStore(Repository):
    def acquire_lock(
        self,
        app: str,
        *,
        owner: str,
        operation_id: int,
        lease_seconds: float,
        dead_owner: str | None = None,
    ) -> LockInfo:
        """Take the lock of ``app`` for ``operation_id`` until now + ``lease_seconds``.

        Free, expired, or already ours (same owner and operation): taken. Held by
        ``dead_owner`` (the caller saw that process is gone): taken over at once. Held by
        anyone else: ConflictError naming the holder, since when and when its lease expires.
        """
        lease = _lease(lease_seconds)
        _check_owner(owner)

        def work(session: Session) -> LockInfo:
            app_row = _locked_app(session, app)
            operation = find_operation(session, operation_id)
            check_belongs(operation, app_row)
            if operation.finished_at is not None:
                raise ConflictError(
                    f"operation {operation_id} of application {app!r} has ended "
                    f"({operation.status}); start a new operation"
                )
            now = self._now()
            held = session.get(ApplicationLockRow, app_row.id)
            if held is None:
                held = ApplicationLockRow(
                    application_id=app_row.id,
                    owner=owner,
                    operation_id=operation_id,
                    acquired_at=now,
                    expires_at=now + lease,
                    took_over_from=None,
                )
                session.add(held)
            elif (held.owner, held.operation_id) == (owner, operation_id):
                held.expires_at = now + lease
            elif held.expires_at > now and held.owner != dead_owner:
                raise ConflictError(_held_message(app, held, now))
            else:
                # Its lease still running, it is taken because its process is gone.
                dead = held.expires_at > now
                _take_over(session, held, owner, operation_id, now, dead=dead)
                held.expires_at = now + lease
            session.flush()
            return _record(app, held)

        return self._write(work)

    def renew_lock(self, app: str, *, owner: str, lease_seconds: float) -> LockInfo:
        """Extend our lease to now + ``lease_seconds``; ConflictError if it is not ours."""
        lease = _lease(lease_seconds)

        def work(session: Session) -> LockInfo:
            held = session.get(ApplicationLockRow, _locked_app(session, app).id)
            if held is None or held.owner != owner:
                raise ConflictError(_lost_message(app, owner, held))
            held.expires_at = self._now() + lease
            return _record(app, held)

        return self._write(work)

    def release_lock(self, app: str, *, owner: str) -> None:
        """Free the lock of ``app`` if ``owner`` holds it; otherwise change nothing."""

        def work(session: Session) -> None:
            row = find_application(session, app, lock=True, missing_ok=True)
            if row is None and find_application(session, app, deleted=True, missing_ok=True):
                return  # deleted by the very operation that held it: its lock went with it
            held = session.get(ApplicationLockRow, _locked_app(session, app).id)
            if held is not None and held.owner == owner:
                session.delete(held)

        self._write(work)

    def get_lock(self, app: str) -> LockInfo | None:
        """The lock of ``app`` as stored (its lease may have expired), or None if free."""

        def work(session: Session) -> LockInfo | None:
            app_row = find_application(session, app)
            assert app_row is not None
            held = session.get(ApplicationLockRow, app_row.id)
            return None if held is None else _record(app, held)

        return self._read(work)


def _take_over(
    session: Session,
    held: ApplicationLockRow,
    owner: str,
    operation_id: int,
    now: datetime,
    *,
    dead: bool = False,
) -> None:
    """Move ``held`` to ``owner``, writing down whom it was taken from.

    The old operation, if still running, ends FAILED and its pending revisions become
    interrupted: its process is gone (``dead``) or stopped renewing the lease.
    """
    expired = format_time(held.expires_at)
    why = "whose process is gone" if dead else f"whose lease expired at {expired}"
    add_event(
        session,
        operation_id,
        now,
        "lock",
        f"took over the lock from {held.owner} (operation {held.operation_id}), {why}",
    )
    old = find_operation(session, held.operation_id, lock=True)
    if old.status == Step.RUNNING.value:
        reason = (
            "interrupted: the process running it stopped"
            if dead
            else f"abandoned: its process stopped renewing the lock at {expired}"
        )
        old.status, old.message, old.finished_at = Step.FAILED.value, reason, now
        add_event(
            session, old.id, now, Step.FAILED.value, f"{reason}; operation {operation_id} took over"
        )
        mark_pending(session, INTERRUPTED, operation_id=old.id)
    held.took_over_from, held.owner, held.operation_id = held.owner, owner, operation_id
    held.acquired_at = now


def _locked_app(session: Session, app: str) -> ApplicationRow:
    row = find_application(session, app, lock=True)
    assert row is not None
    return row


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _holder(owner: str, operation_id: int) -> str:
    """``alice (pid 1 on host h)`` -> ``alice (pid 1 on host h, operation 12)``."""
    if owner.endswith(")"):
        return f"{owner[:-1]}, operation {operation_id})"
    return f"{owner} (operation {operation_id})"


def _held_message(app: str, held: ApplicationLockRow, now: datetime) -> str:
    left = max(1, math.ceil((held.expires_at - now).total_seconds()))
    return (
        f"application {app!r} is being changed by {_holder(held.owner, held.operation_id)} "
        f"since {format_time(held.acquired_at)}; its lease expires in {left} s. "
        f"Wait for it, or see `kapstan app operation {app} {held.operation_id}`."
    )


def _lost_message(app: str, owner: str, held: ApplicationLockRow | None) -> str:
    if held is None:
        return f"{owner} no longer holds the lock of application {app!r}: it was released"
    return (
        f"{owner} no longer holds the lock of application {app!r}: "
        f"{_holder(held.owner, held.operation_id)} took it at {format_time(held.acquired_at)}"
    )


def _lease(seconds: float) -> timedelta:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise InputError(f"a lock lease is a number of seconds, not {seconds!r}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise InputError(f"a lock lease must be a positive number of seconds, not {seconds}")
    return timedelta(seconds=seconds)


def _check_owner(owner: str) -> None:
    if not isinstance(owner, str) or not owner.strip():
        raise InputError("a lock needs an owner: who holds it (user, pid, host)")


def _record(app: str, row: ApplicationLockRow) -> LockInfo:
    return LockInfo(
        app=app,
        owner=row.owner,
        operation_id=row.operation_id,
        acquired_at=row.acquired_at,
        expires_at=row.expires_at,
        took_over_from=row.took_over_from,
    )
