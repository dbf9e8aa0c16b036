"""Operation rows inside one session: find one, append an event, read records back.

Shared by operations (the public methods), locks (a takeover writes events and ends the
operation it took the lock from) and revisions (which name the operation that made them).
The caller holds the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kapstan.errors import InputError, NotFoundError
from kapstan.model.operation import Operation, OperationEvent, ServiceState, Step
from kapstan.store.tables import (
    ApplicationRow,
    OperationEventRow,
    OperationRow,
    OperationServiceRow,
)


def find_operation(session: Session, op_id: int, *, lock: bool = False) -> OperationRow:
    row = session.get(OperationRow, op_id, with_for_update=lock) if _is_id(op_id) else None
    if row is None:
        raise NotFoundError(f"operation {op_id!r} not found")
    return row


def check_belongs(row: OperationRow, app: ApplicationRow) -> None:
    if row.application_id != app.id:
        raise InputError(f"operation {row.id} is not an operation of application {app.name!r}")


def add_event(
    session: Session,
    op_id: int,
    at: datetime,
    status: str,
    message: str,
    service: str = "",
    resource: str = "",
) -> None:
    session.add(
        OperationEventRow(
            operation_id=op_id,
            at=at,
            status=status,
            message=message,
            service=service,
            resource=resource,
        )
    )
    session.flush()


def as_step(value: Step | str) -> Step:
    try:
        return Step(value)
    except ValueError:
        known = ", ".join(step.value for step in Step)
        raise InputError(f"{value!r} is not a step; use one of: {known}") from None


def read_operations(
    session: Session, rows: Sequence[OperationRow], *, events: bool
) -> list[Operation]:
    """Records for ``rows`` (in that order) with their services, and events if asked."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    apps = {
        app_id: name
        for app_id, name in session.execute(
            select(ApplicationRow.id, ApplicationRow.name).where(
                ApplicationRow.id.in_({row.application_id for row in rows})
            )
        )
    }
    services: defaultdict[int, list[ServiceState]] = defaultdict(list)
    for state in session.scalars(
        select(OperationServiceRow)
        .where(OperationServiceRow.operation_id.in_(ids))
        .order_by(OperationServiceRow.operation_id, OperationServiceRow.position)
    ):
        services[state.operation_id].append(
            ServiceState(state.service, Step(state.step), state.message, state.revision)
        )
    logs = _events(session, ids) if events else defaultdict(list)
    return [_record(row, apps[row.application_id], services[row.id], logs[row.id]) for row in rows]


def _events(session: Session, ids: list[int]) -> defaultdict[int, list[OperationEvent]]:
    logs: defaultdict[int, list[OperationEvent]] = defaultdict(list)
    for event in session.scalars(
        select(OperationEventRow)
        .where(OperationEventRow.operation_id.in_(ids))
        .order_by(OperationEventRow.id)
    ):
        logs[event.operation_id].append(
            OperationEvent(event.at, event.status, event.message, event.service, event.resource)
        )
    return logs


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _record(
    row: OperationRow, app: str, services: list[ServiceState], events: list[OperationEvent]
) -> Operation:
    return Operation(
        id=row.id,
        app=app,
        kind=row.kind,
        status=Step(row.status),
        author=row.author,
        started_at=row.started_at,
        finished_at=row.finished_at,
        message=row.message,
        services=tuple(services),
        events=tuple(events),
    )
