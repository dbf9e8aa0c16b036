"""Promotion: the same template@version as an application in the next environment.

The target application (``app_name``, default ``<app>-<environment>``) is created with the
target environment's config, or, if it exists there, pointed at the source's template
version; then it is deployed. Into an environment that requires approval, nothing is
created or changed until a second user approves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapstan.actions.applications import create_app, update_app
from kapstan.actions.refs import Ref
from kapstan.api import auditing
from kapstan.api.flows import deploys
from kapstan.api.runner import OperationRunner
from kapstan.engine.deploy import DeployOptions
from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.store import Application, Store


@dataclass(frozen=True)
class Promotion:
    source: str
    target: str
    environment: str
    template: str
    template_version: int

    def payload(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "template": self.template,
                "templateVersion": self.template_version}  # fmt: skip


def plan_promotion(store: Store, source: str, environment: str, app_name: str | None) -> Promotion:
    app = store.get_application(source)
    store.get_environment(environment)
    if environment == app.environment:
        raise InputError(
            f"application {source!r} is in environment {environment!r} already; "
            "promote it to another environment"
        )
    target = app_name or f"{source}-{environment}"
    existing = _find(store, target)
    if existing is not None and existing.environment != environment:
        raise ConflictError(
            f"application {target!r} exists in environment {existing.environment!r}, not "
            f"{environment!r}; pass another appName"
        )
    if existing is not None and existing.template != app.template:
        raise ConflictError(
            f"application {target!r} uses template {existing.template!r}, not {app.template!r}; "
            "pass another appName"
        )
    return Promotion(source, target, environment, app.template, app.template_version)


def from_payload(payload: dict[str, Any], environment: str) -> Promotion:
    return Promotion(
        str(payload["source"]), str(payload["target"]), environment, str(payload["template"]),
        int(payload["templateVersion"]),
    )  # fmt: skip


def request_promotion(
    store: Store, runner: OperationRunner, promotion: Promotion, *, author: str
) -> deploys.Started:
    if deploys.requires_approval(store, promotion.environment):
        return deploys.ask_approval(
            store, kind="promote", app=promotion.target, environment=promotion.environment,
            requester=author, payload=promotion.payload(),
        )  # fmt: skip
    return execute(store, runner, promotion, author=author)


def execute(
    store: Store, runner: OperationRunner, promotion: Promotion, *, author: str,
    approval: int | None = None,
) -> deploys.Started:  # fmt: skip
    """Create or update the target application, then deploy all of it."""
    existing = _find(store, promotion.target)
    if existing is None:
        app = create_app(
            store, promotion.target, environment=promotion.environment, author=author,
            template=Ref(promotion.template, promotion.template_version),
        )  # fmt: skip
        action, before = "app.create", None
    else:
        before = existing.template_version
        app = update_app(
            store, promotion.target, template_version=promotion.template_version
        ).application
        action = "app.update"
    details = {"promotedFrom": promotion.source, "approval": approval,
               "template": f"{app.template}@{app.template_version}", "config": app.config}  # fmt: skip
    auditing.record(
        store, author, action, kind="application", name=app.name, environment=app.environment,
        from_version=before, to_version=app.template_version, details=details,
    )  # fmt: skip
    launch = deploys.deploy(
        store, runner, app=app.name, author=author, services=(),
        options=DeployOptions(message=f"promoted from {promotion.source}"),
        details={"trigger": "promote", "promotedFrom": promotion.source, "approval": approval},
    )  # fmt: skip
    return deploys.Started(launch=launch)


def _find(store: Store, name: str) -> Application | None:
    try:
        return store.get_application(name)
    except NotFoundError:
        return None
