"""Operations: one run of the deploy engine on one application, its services and its log.

Each call is its own short transaction, so another process (the console, ``kapstan app
operation``) reads the events of an operation while it runs. Events are append-only.
The first ``finish_operation`` decides the outcome: a later one (say, from a process
whose lock was taken over and whose operation was ended as abandoned) only adds an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.model.operation import JournalEntry, LogLine, Operation, ServiceState, Step
from kapstan.store.applications import find_application
from kapstan.store.base import Repository
from kapstan.store.names import check_name
from kapstan.store.operation_rows import add_event, as_step, find_operation, read_operations
from kapstan.store.revisions import INTERRUPTED, mark_pending
from kapstan.store.tables import (
    ApplicationLockRow,
    ApplicationRow,
    OperationEventRow,
    OperationRow,
    OperationServiceRow,
    RevisionRow,
)

MAX_KIND_LENGTH = 32


class OperationStore(Repository):
    def start_operation(
        self, app: str, kind: str, *, author: str, message: str = "", services: Sequence[str]
    ) -> Operation:
        """A new RUNNING operation of ``kind`` (deploy, rollback...); each service PENDING."""
        names = _check_services(app, services)
        if not kind or len(kind) > MAX_KIND_LENGTH:
            raise InputError(f"operation of application {app!r}: bad kind {kind!r}")

        def work(session: Session) -> Operation:
            app_row = find_application(session, app)
            assert app_row is not None
            row = OperationRow(
                application_id=app_row.id,
                kind=kind,
                status=Step.RUNNING.value,
                author=author,
                message=message,
                started_at=self._now(),
                finished_at=None,
            )
            session.add(row)
            session.flush()
            session.add_all(
                OperationServiceRow(
                    operation_id=row.id,
                    position=position,
                    service=name,
                    step=Step.PENDING.value,
                    message="",
                    revision=None,
                )
                for position, name in enumerate(names)
            )
            session.flush()
            return read_operations(session, [row], events=True)[0]

        return self._write(work)

    def record_event(
        self, op_id: int, *, status: str, message: str, service: str = "", resource: str = ""
    ) -> None:
        """Append one line to the log of operation ``op_id`` (committed at once)."""
        self._journal(op_id, [LogLine(status, message, service, resource)], lagging=False)

    def set_service_state(
        self,
        op_id: int,
        service: str,
        step: Step,
        message: str = "",
        revision: int | None = None,
    ) -> None:
        """Where ``service`` of operation ``op_id`` is now (and the revision it made)."""
        state = ServiceState(service, as_step(step), message, revision)
        self._journal(op_id, [state], lagging=False)

    def record_journal(self, op_id: int, entries: Sequence[JournalEntry]) -> None:
        """Log lines and service states of operation ``op_id``, in order, in one transaction.

        A deploy's service workers hand theirs over together (``actions.journal``) instead
        of queueing for the store one short transaction each. Progress, not history: on
        SQLite they reach the disk with the next write that is synced (a revision, the
        operation's end), so none waits for the disk (``Database.writing``).
        """
        self._journal(op_id, entries, lagging=True)

    def _journal(self, op_id: int, entries: Sequence[JournalEntry], *, lagging: bool) -> None:
        checked = [
            ServiceState(e.service, as_step(e.step), e.message, e.revision)
            if isinstance(e, ServiceState)
            else e
            for e in entries
        ]

        def work(session: Session) -> None:
            # Statements built once, run on the connection: a deploy writes its progress
            # many times a second, and the ORM's per-statement work was most of its cost.
            db = session.connection()
            known = isinstance(op_id, int) and db.execute(_OPERATION, {"op": op_id}).first()
            if not known:
                find_operation(session, op_id)  # raises NotFoundError, worded as everywhere
            lines = [
                {
                    "operation_id": op_id,
                    "at": self._now(),
                    "status": e.status,
                    "message": e.message,
                    "service": e.service,
                    "resource": e.resource,
                }
                for e in checked
                if isinstance(e, LogLine)
            ]
            if lines:  # one statement for the batch, in order (the log is read by id)
                db.execute(_ADD_LINES, lines)
            # The last state of each service in the batch is the one that stands.
            latest = {e.service: e for e in checked if isinstance(e, ServiceState)}
            if latest:
                _set_states(session, op_id, list(latest.values()))

        self._write(work, lagging=lagging)

    def finish_operation(self, op_id: int, status: Step, message: str = "") -> None:
        """End operation ``op_id`` with a terminal ``status``; only the first finish counts."""
        outcome = as_step(status)
        if not outcome.terminal:
            raise InputError(f"operation {op_id} cannot finish as {outcome.value!r}: not an end")

        def work(session: Session) -> None:
            row = find_operation(session, op_id, lock=True)
            now = self._now()
            if row.finished_at is not None:
                late = f"finished again as {outcome.value}" + (f": {message}" if message else "")
                add_event(session, row.id, now, "ignored", f"{late}; it had ended as {row.status}")
                return
            row.status, row.message, row.finished_at = outcome.value, message, now
            # Ended: nothing will complete its pending revisions any more.
            mark_pending(session, INTERRUPTED, operation_id=row.id)

        self._write(work)

    def discard_operation(self, op_id: int) -> None:
        """Remove operation ``op_id`` that never started: no lock, no revision, not ended.

        For an operation refused its application's lock (another one runs): it did
        nothing, so the history keeps no failed operation for it. ConflictError otherwise.
        """

        def work(session: Session) -> None:
            row = find_operation(session, op_id, lock=True)
            held = session.scalars(
                select(ApplicationLockRow).where(ApplicationLockRow.operation_id == op_id)
            ).first()
            revision = session.scalars(
                select(RevisionRow.id).where(RevisionRow.operation_id == op_id)
            ).first()
            if row.finished_at is not None or held is not None or revision is not None:
                raise ConflictError(
                    f"operation {op_id} has started (it holds the lock, made a revision or "
                    "ended): it stays in the history"
                )
            for table in (OperationEventRow, OperationServiceRow):
                session.execute(delete(table).where(table.operation_id == op_id))
            session.delete(row)

        self._write(work)

    def request_cancel(self, app: str, *, by: str) -> int:
        """Ask the running operation of ``app`` to stop; its id.

        The operation's process reads the request (``cancel_requested``) between objects
        and during its readiness waits. ConflictError if ``app`` has none running.
        """

        def work(session: Session) -> int:
            app_row = find_application(session, app, lock=True)
            assert app_row is not None
            row = session.scalars(
                select(OperationRow)
                .where(OperationRow.application_id == app_row.id)
                .where(OperationRow.status == Step.RUNNING.value)
                .order_by(OperationRow.id.desc())
                .limit(1)
            ).first()
            if row is None:
                raise ConflictError(
                    f"application {app!r} has no running operation to cancel; "
                    f"see `kapstan app operations {app}`"
                )
            now = self._now()
            if row.cancel_requested_at is None:
                row.cancel_requested_at, row.cancel_requested_by = now, by
            add_event(session, row.id, now, "cancel", f"cancel requested by {by}")
            return row.id

        return self._write(work)

    def cancel_requested(self, op_id: int) -> str | None:
        """Who asked operation ``op_id`` to stop, or None if nobody did."""

        def work(session: Session) -> str | None:
            found = session.execute(
                select(OperationRow.cancel_requested_at, OperationRow.cancel_requested_by).where(
                    OperationRow.id == op_id
                )
            ).first()
            if found is None or found[0] is None:
                return None
            return str(found[1] or "someone")

        return self._read(work)

    def get_operation(self, op_id: int) -> Operation:
        """Operation ``op_id`` with its services and all its events, in order."""

        def work(session: Session) -> Operation:
            return read_operations(session, [find_operation(session, op_id)], events=True)[0]

        return self._read(work)

    def list_operations(
        self, app: str, limit: int = 20, *, deleted: bool = False
    ) -> list[Operation]:
        """The last ``limit`` operations of ``app``, newest first, without their events.

        ``deleted``: of the last deleted application named ``app`` (its history stays).
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InputError(f"the number of operations to list must be positive, not {limit!r}")
        return self._read(
            lambda session: _newest(session, app, limit, events=False, deleted=deleted)
        )

    def latest_operation(self, app: str) -> Operation | None:
        """The newest operation of ``app`` with its events, or None if it has none."""
        found = self._read(lambda session: _newest(session, app, 1, events=True))
        return found[0] if found else None

    def stalled_operations(self) -> list[tuple[str, int]]:
        """(app, operation id) of RUNNING operations whose lock lease has expired.

        Their process stopped renewing the lock (it died, or lost the store): another
        process may take the lock over and resume them (see ``kapstan.api.reaper``).
        """

        def work(session: Session) -> list[tuple[str, int]]:
            found = session.execute(
                select(ApplicationRow.name, OperationRow.id)
                .join(ApplicationLockRow, ApplicationLockRow.operation_id == OperationRow.id)
                .join(ApplicationRow, ApplicationRow.id == OperationRow.application_id)
                .where(OperationRow.status == Step.RUNNING.value)
                .where(ApplicationLockRow.expires_at < self._now())
                .order_by(OperationRow.id)
            )
            return [(name, op_id) for name, op_id in found]

        return self._read(work)


_OPERATION = select(OperationRow.id).where(OperationRow.id == bindparam("op"))
_ADD_LINES = insert(cast(Table, OperationEventRow.__table__))
_STATES = cast(Table, OperationServiceRow.__table__)
_SET_STATE = (
    update(_STATES)
    .where(_STATES.c.operation_id == bindparam("op"), _STATES.c.service == bindparam("svc"))
    .values(step=bindparam("step"), message=bindparam("msg"), revision=bindparam("rev"))
)


def _set_states(session: Session, op_id: int, states: list[ServiceState]) -> None:
    """Each service's row, without loading any (a deploy of N services sets about five
    states each, and reading all N rows every time held SQLite's one write lock N times
    longer); NotFoundError naming a service the operation does not have."""
    params = [
        {"op": op_id, "svc": s.service, "step": s.step.value, "msg": s.message, "rev": s.revision}
        for s in states
    ]
    changed = cast("CursorResult[Any]", session.connection().execute(_SET_STATE, params))
    if changed.rowcount == len(states):
        return
    of_op = OperationServiceRow.operation_id == op_id
    names = set(session.scalars(select(OperationServiceRow.service).where(of_op)).all())
    missing = [s.service for s in states if s.service not in names]
    if missing:  # else the driver counted rows its own way: all were there
        known = ", ".join(sorted(names)) or "none"
        raise NotFoundError(
            f"operation {op_id} has no service {missing[0]!r} (its services: {known})"
        )


def _newest(
    session: Session, app: str, limit: int, *, events: bool, deleted: bool = False
) -> list[Operation]:
    app_row = find_application(session, app, deleted=deleted)
    assert app_row is not None
    rows = session.scalars(
        select(OperationRow)
        .where(OperationRow.application_id == app_row.id)
        .order_by(OperationRow.id.desc())
        .limit(limit)
    ).all()
    return read_operations(session, rows, events=events)


def _check_services(app: str, services: Sequence[str]) -> list[str]:
    if isinstance(services, str):
        raise InputError(f"operation of application {app!r}: services must be a list of names")
    names = [check_name("service", name) for name in services]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise InputError(f"operation of application {app!r} names {', '.join(twice)} twice")
    return names
