"""Promotion: the same template@version as an application in the next environment.

The target application (``app_name``, default ``<app>-<environment>``) is created with the
target environment's config, or, if it exists there, pointed at the source's template
version; then it is deployed (unless ``deploy`` is false). Into an environment that
requires approval, nothing is created or changed until a second user approves (the
action's gate, ``actions.promote.promote``); the approval's payload keeps ``deploy`` and
``timeout`` so the approved change is the one asked.
"""

from __future__ import annotations

from kapstan.actions.gates import ApprovalPending
from kapstan.actions.promote import DEFAULT_TIMEOUT, Promotion, plan_promotion, promote
from kapstan.api import auditing
from kapstan.api.flows import deploys
from kapstan.api.runner import OperationRunner
from kapstan.engine.deploy import DeployOptions
from kapstan.store import Store

__all__ = [
    "DEFAULT_TIMEOUT",
    "Promotion",
    "execute",
    "plan_promotion",
    "request_promotion",
]


def request_promotion(
    store: Store,
    runner: OperationRunner,
    promotion: Promotion,
    *,
    author: str,
    deploy: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> deploys.Started:
    try:
        return execute(store, runner, promotion, author=author, deploy=deploy, timeout=timeout)
    except ApprovalPending as asked:
        return deploys.Started(approval_id=asked.approval_id)


def execute(
    store: Store,
    runner: OperationRunner,
    promotion: Promotion,
    *,
    author: str,
    approval: int | None = None,
    deploy: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> deploys.Started:
    """Create or update the target application, then (``deploy``) deploy all of it."""
    done = promote(
        store, promotion, author=author, deploy=deploy, timeout=timeout, approval=approval
    )
    app = done.application
    action = "app.create" if done.created else "app.update"
    before = done.previous_template_version
    details = {
        "promotedFrom": promotion.source,
        "approval": approval,
        "template": f"{app.template}@{app.template_version}",
        "config": app.config,
        "carried": [c.record() for c in done.carried],
    }
    auditing.record(
        store,
        author,
        action,
        kind="application",
        name=app.name,
        environment=app.environment,
        from_version=before,
        to_version=app.template_version,
        details=details,
    )
    if not deploy:
        return deploys.Started(created=done.created)
    launch = deploys.deploy(
        store,
        runner,
        app=app.name,
        author=author,
        services=(),
        options=DeployOptions(timeout=timeout, message=f"promoted from {promotion.source}"),
        details={"trigger": "promote", "promotedFrom": promotion.source, "approval": approval},
        clearance=done.clearance,
    )
    return deploys.Started(launch=launch, created=done.created)
