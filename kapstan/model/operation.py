"""Operations: one run of the deploy engine on one application, and what happened in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# The status of the event that records an operation's request: bookkeeping, not progress.
REQUEST_EVENT = "request"
# Told of every event as it is recorded (service, resource, status, message): live progress.
Listener = Callable[[str, str, str, str], None]


class Step(StrEnum):
    """Where a service (or the whole operation) is; terminal steps end it."""

    PENDING = "pending"
    PLANNED = "planned"
    APPLYING = "applying"
    WAITING = "waiting"
    PRUNING = "pruning"
    READY = "ready"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    SKIPPED = "skipped"
    ROLLED_BACK = "rolled-back"
    REMOVED = "removed"  # a service no longer in the template: its objects were pruned
    CANCELLED = "cancelled"  # stopped at a safe point because a user asked (app cancel)
    SUCCEEDED = "succeeded"
    RUNNING = "running"

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset(
    {
        Step.READY,
        Step.UNCHANGED,
        Step.FAILED,
        Step.SKIPPED,
        Step.ROLLED_BACK,
        Step.REMOVED,
        Step.SUCCEEDED,
        Step.CANCELLED,
    }
)


@dataclass(frozen=True)
class OperationEvent:
    """One line of an operation's log: about the operation, a service, or one resource."""

    at: datetime
    status: str
    message: str
    service: str = ""
    resource: str = ""


@dataclass(frozen=True)
class ServiceState:
    service: str
    step: Step
    message: str = ""
    revision: int | None = None


@dataclass(frozen=True)
class LogLine:
    """A line to append to a running operation's log (the store stamps its time)."""

    status: str
    message: str
    service: str = ""
    resource: str = ""


# One write to a running operation's record: a line of its log, or a service's new state.
JournalEntry = LogLine | ServiceState


@dataclass(frozen=True)
class Operation:
    """A deploy or rollback: who asked, what it touched, how each service ended."""

    id: int
    app: str
    kind: str
    status: Step
    author: str
    started_at: datetime
    finished_at: datetime | None = None
    message: str = ""
    services: tuple[ServiceState, ...] = ()
    events: tuple[OperationEvent, ...] = field(default=(), repr=False)
