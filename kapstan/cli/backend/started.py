"""What starting a change answers, before it runs: ``Planned``, ``Pending``, ``Approval``,
``Promoted``; and what the local and the server's deploy ports share.

Values only: the commands that print them (``deploy_cmd``, ``delete_cmd``, ``progress``,
``market_cmd``) import this module, not ``kapstan.cli.backend.deploys`` (the engine, the
Kubernetes client) or ``remotedeploys`` (the API's schemas, the HTTP client). Those load
when a command opens its backend and runs the change (tests/cli/test_startup.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kapstan.errors import ApprovalRequiredError, NotFoundError

if TYPE_CHECKING:
    from kapstan.actions.gates import ApprovalPending
    from kapstan.actions.journal import Listener
    from kapstan.engine.planning import ServicePlan
    from kapstan.model.operation import Operation
    from kapstan.model.records import Application

RECENT = 20  # operations listed, as the store lists them


@dataclass(frozen=True)
class Planned:
    services: list[ServicePlan]
    warnings: list[str]
    hints: list[str] = field(default_factory=list)  # e.g. newer versions not yet used


@dataclass(frozen=True)
class Pending:
    """An operation to see through: ``wait(listener)`` -> the finished operation."""

    app: str
    wait: Callable[[Listener | None], Operation]


@dataclass(frozen=True)
class Approval:
    """The server holds the change until another user approves approval ``id``."""

    id: int
    app: str
    environment: str
    message: str


def approval_of(asked: ApprovalPending) -> Approval:
    found = asked.approval
    return Approval(found.id, found.application, found.environment, asked.message)


def see_through(started: Pending | Approval, listener: Listener | None) -> Operation | Approval:
    """The finished operation, or the approval it waits for (asked for by its action)."""
    if isinstance(started, Approval):
        return started
    try:
        return started.wait(listener)
    except ApprovalRequiredError as asked:
        # The gate's own error carries the approval it recorded; the gate is loaded by then.
        from kapstan.actions.gates import ApprovalPending

        if not isinstance(asked, ApprovalPending):
            raise
        return approval_of(asked)


@dataclass(frozen=True)
class Promoted:
    """A promotion done (``application``, then ``run`` if it deploys) or held for approval."""

    application: Application | None
    created: bool
    run: Pending | Approval | None
    carried: tuple[str, ...] = ()  # promoted keys set to the source's values: "k: a -> b"


def no_operation(app: str) -> NotFoundError:
    return NotFoundError(f"application {app!r} has no operation yet; deploy it first")
