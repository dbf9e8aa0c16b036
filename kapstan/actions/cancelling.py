"""Cancel: ask an application's running operation to stop, and record how it stopped.

``cancel_app`` only writes the request (``cancel_requested_at/by`` on the operation) and
the audit entry: the process running the operation, wherever it is (this CLI, another
one, a server replica), reads the request between two objects and during its readiness
waits (``StoreJournal.check``), stops there, and ends the operation with
``finish_cancelled``: CANCELLED, its unfinished services cancelled or skipped, its
pending revisions ``cancelled``. Its lock is released as any operation's.
"""

from __future__ import annotations

from kapstan.actions.storeports import Cancelling
from kapstan.errors import OperationCancelled
from kapstan.model.operation import Operation, Step

CANCELLED_REVISION = "cancelled"


def cancel_app(store: Cancelling, app: str, *, author: str) -> Operation:
    """Ask the running operation of ``app`` to stop; ConflictError if none runs."""
    operation_id = store.request_cancel(app, by=author)
    environment = store.get_application(app).environment
    store.audit(
        author,
        "app.cancel",
        kind="application",
        name=app,
        environment=environment,
        details={"operation": operation_id},
    )
    return store.get_operation(operation_id)


def finish_cancelled(store: Cancelling, operation_id: int, exc: OperationCancelled) -> None:
    """End ``operation_id`` as CANCELLED once its engine stopped at a safe point."""
    op = store.get_operation(operation_id)
    store.interrupt_revisions(op.app, operation_id=operation_id, status=CANCELLED_REVISION)
    for state in op.services:
        if state.step.terminal:
            continue
        if state.step in (Step.PENDING, Step.PLANNED):
            step, why = Step.SKIPPED, "not started: the operation was cancelled"
        else:
            step, why = (
                Step.CANCELLED,
                f"stopped while {state.step.value}: the operation was cancelled",
            )
        store.set_service_state(operation_id, state.service, step, why, state.revision)
    store.record_event(operation_id, status=Step.CANCELLED.value, message=str(exc))
    store.finish_operation(operation_id, Step.CANCELLED, str(exc))
