"""Plan, deploy, roll back, promote, status and operations; on the local store or a server.

A deploy is ``Pending`` until its ``wait`` is called: locally ``wait`` runs the engine in
this process, remotely the server has started it already and ``wait`` follows its event
stream. Either way ``wait`` reports progress to the listener as it happens and returns the
finished ``Operation``, which is all the command prints, so the output is the same. Where
the environment asks for a second user's approval instead, the answer is an ``Approval``:
the server's answer remotely; locally the action's gate (``kapstan.actions.gates``) raises
ApprovalPending from ``wait`` once it has recorded the request, and ``see_through`` turns
that into the same ``Approval``. The server's side is ``kapstan.cli.backend.remotedeploys``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from kapstan.actions.cancelling import cancel_app
from kapstan.actions.deploying import (
    deploy_app,
    plan_app,
    plan_rollback,
    policy_warnings,
    rollback_app,
)
from kapstan.actions.gates import ApprovalPending
from kapstan.actions.hints import pinned_hints
from kapstan.actions.journal import Listener
from kapstan.actions.rendering import render_application

# The values a started change answers live in a light module, for the commands that print
# them without loading this one (re-exported: the ports' answers).
from kapstan.cli.backend.started import RECENT as RECENT
from kapstan.cli.backend.started import Approval as Approval
from kapstan.cli.backend.started import Pending as Pending
from kapstan.cli.backend.started import Planned as Planned
from kapstan.cli.backend.started import Promoted as Promoted
from kapstan.cli.backend.started import approval_of, no_operation
from kapstan.engine.deploy import DeployOptions
from kapstan.errors import NotFoundError
from kapstan.model.operation import Operation
from kapstan.store import Store

# Imported where used: a deploy does not load promotion (config carrying, app creation).
if TYPE_CHECKING:
    from kapstan.actions.promote import Promotion
    from kapstan.actions.status import ServiceStatus


class DeploysPort(Protocol):
    def plan(self, app: str, services: Sequence[str]) -> Planned: ...

    def deploy(
        self,
        app: str,
        *,
        services: Sequence[str],
        options: DeployOptions,
        author: str,
        shown: Planned | None = None,
    ) -> Pending | Approval:
        """``shown``: the plan just shown (``--yes``): where still current, it is the one run."""
        ...

    def rollback_plan(self, app: str, *, service: str | None, to: int | None) -> Planned: ...

    def rollback(
        self, app: str, *, service: str | None, to: int | None, timeout: float, author: str
    ) -> Pending | Approval: ...

    def promote(
        self, source: str, to: str, as_: str | None, *, deploy: bool, timeout: float, author: str
    ) -> Promoted: ...

    def status(self, app: str) -> list[ServiceStatus]: ...

    def operation(self, app: str, operation_id: int | None) -> Operation: ...

    def operations(self, app: str) -> list[Operation]: ...

    def cancel(self, app: str, *, author: str) -> Operation:
        """Ask the running operation to stop; it, as it was when asked."""
        ...


def _texts(planned: Promotion) -> tuple[str, ...]:
    return tuple(c.text for c in planned.carried)


class LocalDeploys:
    """The engine runs in this process; the actions' gates hold what needs approval."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def plan(self, app: str, services: Sequence[str]) -> Planned:
        version = render_application(self.store, app)  # once, for the warnings and the plan
        warnings = policy_warnings(self.store, app, services, version=version)
        plans = plan_app(self.store, app, services, version=version)
        return Planned(plans, warnings, pinned_hints(self.store, app))

    def deploy(
        self,
        app: str,
        *,
        services: Sequence[str],
        options: DeployOptions,
        author: str,
        shown: Planned | None = None,
    ) -> Pending:
        def run(listener: Listener | None) -> Operation:
            return deploy_app(
                self.store,
                app,
                author=author,
                services=services,
                options=options,
                listener=listener,
                shown=shown.services if shown else (),
            ).operation

        return Pending(app, run)

    def rollback_plan(self, app: str, *, service: str | None, to: int | None) -> Planned:
        plans, warnings = plan_rollback(self.store, app, service=service, to=to)
        return Planned(plans, warnings)

    def rollback(
        self, app: str, *, service: str | None, to: int | None, timeout: float, author: str
    ) -> Pending:
        def run(listener: Listener | None) -> Operation:
            return rollback_app(
                self.store,
                app,
                author=author,
                service=service,
                to=to,
                options=DeployOptions(timeout=timeout),
                listener=listener,
            ).operation

        return Pending(app, run)

    def promote(
        self, source: str, to: str, as_: str | None, *, deploy: bool, timeout: float, author: str
    ) -> Promoted:
        from kapstan.actions import promote as promoting

        planned = promoting.plan_promotion(self.store, source, to, as_)
        try:
            done = promoting.promote(
                self.store, planned, author=author, deploy=deploy, timeout=timeout
            )
        except ApprovalPending as asked:  # nothing is created until it is approved
            return Promoted(None, False, approval_of(asked), _texts(planned))
        target = done.application

        def run(listener: Listener | None) -> Operation:
            return deploy_app(
                self.store,
                target.name,
                author=author,
                options=DeployOptions(timeout=timeout),
                listener=listener,
                clearance=done.clearance,
            ).operation

        run_next = Pending(target.name, run) if deploy else None
        return Promoted(target, done.created, run_next, _texts(planned))

    def status(self, app: str) -> list[ServiceStatus]:
        from kapstan.actions.status import app_status

        return app_status(self.store, app)

    def operation(self, app: str, operation_id: int | None) -> Operation:
        self.store.get_application(app)
        op = (
            self.store.get_operation(operation_id)
            if operation_id
            else self.store.latest_operation(app)
        )
        if op is None:
            raise no_operation(app)
        if op.app != app:
            raise NotFoundError(f"operation {op.id} belongs to application {op.app!r}, not {app!r}")
        return op

    def operations(self, app: str) -> list[Operation]:
        self.store.get_application(app)
        return self.store.list_operations(app, limit=RECENT)

    def cancel(self, app: str, *, author: str) -> Operation:
        return cancel_app(self.store, app, author=author)
