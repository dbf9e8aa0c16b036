"""Starting deploys and rollbacks from the API: the approval gate, the runner, the audit.

A deploy into an environment that ``requires_approval`` becomes an approval request
instead; once a second user approves it, ``run_approved`` starts it (once). Rollbacks are
not gated: they return to what was already approved and running.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kapstan.actions.deploying import deploy_app, rollback_app
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


def requires_approval(store: Store, environment: str) -> bool:
    return bool(getattr(store.get_environment(environment), "requires_approval", False))


def ask_approval(
    store: Store, *, kind: str, app: str, environment: str, requester: str,
    payload: Mapping[str, Any],
) -> Started:  # fmt: skip
    approval = store.request_approval(
        kind=kind, application=app, environment=environment, requested_by=requester,
        payload=dict(payload),
    )  # fmt: skip
    auditing.record(
        store, requester, "approval.request", kind="application", name=app, environment=environment,
        details={"approval": approval.id, "request": kind, **dict(payload)},
    )  # fmt: skip
    return Started(approval_id=approval.id)


def request_deploy(
    store: Store, runner: OperationRunner, *, app: str, author: str, services: Sequence[str] = (),
    options: DeployOptions = DEFAULT_OPTIONS, trigger: str = "api",
) -> Started:  # fmt: skip
    """Deploy now, or ask for approval if the app's environment requires it."""
    environment = store.get_application(app).environment
    if requires_approval(store, environment):
        payload = {"services": list(services), "atomic": options.atomic, "timeout": options.timeout,
                   "force": options.force, "message": options.message, "trigger": trigger,
                   "adopt": options.adopt}  # fmt: skip
        return ask_approval(
            store, kind="deploy", app=app, environment=environment, requester=author,
            payload=payload,
        )  # fmt: skip
    return Started(launch=deploy(store, runner, app=app, author=author, services=services,
                                 options=options, details={"trigger": trigger}))  # fmt: skip


def deploy(
    store: Store, runner: OperationRunner, *, app: str, author: str, services: Sequence[str],
    options: DeployOptions, details: Mapping[str, Any],
) -> Launch:  # fmt: skip
    application = store.get_application(app)
    launch = runner.launch(
        "deploy",
        lambda on_start: deploy_app(
            store, app, author=author, services=services, options=options, on_start=on_start,
            lease=runner.lease,
        ),
    )  # fmt: skip
    auditing.record(
        store, author, "app.deploy", kind="application", name=app, environment=application.environment,
        to_version=application.template_version,
        details={"operation": launch.operation_id, "services": list(services),
                 "template": f"{application.template}@{application.template_version}",
                 "config": f"{application.config}@{application.config_version or 'latest'}",
                 "adopt": True if options.adopt else None, **dict(details)},
    )  # fmt: skip
    return launch


def rollback(
    store: Store, runner: OperationRunner, *, app: str, author: str, service: str | None,
    to: int | None, options: DeployOptions,
) -> Launch:  # fmt: skip
    application = store.get_application(app)
    launch = runner.launch(
        "rollback",
        lambda on_start: rollback_app(
            store, app, author=author, service=service, to=to, options=options,
            on_start=on_start, lease=runner.lease,
        ),
    )  # fmt: skip
    auditing.record(
        store, author, "app.rollback", kind="application", name=app,
        environment=application.environment, to_version=to,
        details={"operation": launch.operation_id, "service": service},
    )  # fmt: skip
    return launch


def options_from(payload: Mapping[str, Any]) -> DeployOptions:
    return DeployOptions(
        timeout=float(payload.get("timeout", 300.0)), atomic=bool(payload.get("atomic", False)),
        force=bool(payload.get("force", False)), message=str(payload.get("message", "")),
        adopt=bool(payload.get("adopt", False)),
    )  # fmt: skip
