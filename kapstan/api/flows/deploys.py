"""Starting deploys and rollbacks from the API: the runner, the audit, the answer.

The approval gate is the actions' (``kapstan.actions.gates``): a deploy or rollback into
an environment that requires approval raises ApprovalPending before it starts anything,
which this module turns into ``Started(approval_id=...)``; once a second user approves,
the same call with ``approval=ID`` runs it (once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kapstan.actions.deploying import deploy_app, rollback_app
from kapstan.actions.gates import ApprovalPending, Clearance
from kapstan.api import auditing
from kapstan.api.runner import Launch, OperationRunner
from kapstan.engine.deploy import DeployOptions
from kapstan.store import Store

DEFAULT_OPTIONS = DeployOptions()


@dataclass(frozen=True)
class Started:
    """Either an operation started (``launch``) or an approval asked for (``approval_id``)."""

    launch: Launch | None = None
    approval_id: int | None = None
    created: bool | None = None  # a promotion: whether it created the target application

    @property
    def operation_id(self) -> int | None:
        return self.launch.operation_id if self.launch else None


def request_deploy(
    store: Store,
    runner: OperationRunner,
    *,
    app: str,
    author: str,
    services: Sequence[str] = (),
    options: DeployOptions = DEFAULT_OPTIONS,
    trigger: str = "api",
) -> Started:
    """Deploy now, or (the action's gate) ask for approval if the environment requires it."""
    try:
        return Started(
            launch=deploy(
                store,
                runner,
                app=app,
                author=author,
                services=services,
                options=options,
                details={"trigger": trigger},
            )
        )
    except ApprovalPending as asked:
        return Started(approval_id=asked.approval_id)


def deploy(
    store: Store,
    runner: OperationRunner,
    *,
    app: str,
    author: str,
    services: Sequence[str],
    options: DeployOptions,
    details: Mapping[str, Any],
    approval: int | None = None,
    clearance: Clearance | None = None,
) -> Launch:
    """Launch ``deploy_app`` (its gate refuses before the launch returns), then audit it."""
    application = store.get_application(app)
    trigger = str(details.get("trigger", "api"))
    launch = runner.launch(
        "deploy",
        lambda on_start: deploy_app(
            store,
            app,
            author=author,
            services=services,
            options=options,
            on_start=on_start,
            lease=runner.lease,
            approval=approval,
            clearance=clearance,
            trigger=trigger,
        ),
    )
    auditing.record(
        store,
        author,
        "app.deploy",
        kind="application",
        name=app,
        environment=application.environment,
        to_version=application.template_version,
        details={
            "operation": launch.operation_id,
            "services": list(services),
            "template": f"{application.template}@{application.template_version}",
            "config": f"{application.config}@{application.config_version or 'latest'}",
            "adopt": True if options.adopt else None,
            **dict(details),
        },
    )
    return launch


def request_rollback(
    store: Store,
    runner: OperationRunner,
    *,
    app: str,
    author: str,
    service: str | None,
    to: int | None,
    options: DeployOptions,
    approval: int | None = None,
) -> Started:
    """Roll back now, or (the action's gate) ask for approval if the environment requires it."""
    try:
        return Started(
            launch=rollback(
                store,
                runner,
                app=app,
                author=author,
                service=service,
                to=to,
                options=options,
                approval=approval,
            )
        )
    except ApprovalPending as asked:
        return Started(approval_id=asked.approval_id)


def rollback(
    store: Store,
    runner: OperationRunner,
    *,
    app: str,
    author: str,
    service: str | None,
    to: int | None,
    options: DeployOptions,
    approval: int | None = None,
) -> Launch:
    application = store.get_application(app)
    launch = runner.launch(
        "rollback",
        lambda on_start: rollback_app(
            store,
            app,
            author=author,
            service=service,
            to=to,
            options=options,
            on_start=on_start,
            lease=runner.lease,
            approval=approval,
        ),
    )
    auditing.record(
        store,
        author,
        "app.rollback",
        kind="application",
        name=app,
        environment=application.environment,
        to_version=to,
        details={"operation": launch.operation_id, "service": service, "approval": approval},
    )
    return launch
