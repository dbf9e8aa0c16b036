"""The config trigger: applications whose config says ``kapstan.autoDeploy: true`` deploy the
services a new config version changes, as soon as the version is saved through the API.

The opt-in lives in the config (so it is versioned, audited and per environment like any
key); it authorises the deploy, which still goes through the approval gate (the action's,
``kapstan.actions.gates``: a user saving the config gets an approval request; a webhook,
no user, gets a message saying so and nothing runs). An app pinned
to a config version is moved to the new one first; the template version never moves.
"""

from __future__ import annotations

from dataclasses import dataclass

from kapstan.actions.gates import requires_approval
from kapstan.actions.rendering import render_at
from kapstan.api.flows import deploys
from kapstan.api.keys import AUTO_DEPLOY_KEY
from kapstan.api.runner import OperationRunner
from kapstan.engine.deploy import DeployOptions
from kapstan.errors import KapstanError
from kapstan.model.values import Value
from kapstan.plan.changes import detect_changes
from kapstan.store import Application, ConfigVersion, Store


@dataclass(frozen=True)
class Triggered:
    app: str
    services: tuple[str, ...]
    started: deploys.Started | None = None
    message: str = ""


def auto_deploy(values: dict[str, Value] | object) -> bool:
    value = values.get(AUTO_DEPLOY_KEY) if isinstance(values, dict) else None
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def after_config_change(
    store: Store, runner: OperationRunner, version: ConfigVersion, *, author: str
) -> list[Triggered]:
    """Deploy what ``version`` changed in every opted-in application using its config."""
    if version.version < 2 or not auto_deploy(dict(version.values)):
        return []
    apps = [a for a in store.list_applications() if a.config == version.name]
    return [_trigger(store, runner, a, version, author) for a in apps]


def _trigger(
    store: Store, runner: OperationRunner, app: Application, version: ConfigVersion, author: str
) -> Triggered:
    previous = app.config_version or version.version - 1
    try:
        if app.config_version is not None:
            store.update_application(app.name, config_version=version.version)
        old = render_at(store, app.name, app.template_version, previous)
        new = render_at(store, app.name, app.template_version, version.version)
        changed = tuple(
            c.service for c in detect_changes(old.rendered, new.rendered) if c.kind != "removed"
        )
        if not changed:
            return Triggered(app.name, (), message="no service's rendered output changed")
        if author.startswith("webhook:") and requires_approval(store, app.environment):
            return Triggered(
                app.name,
                changed,
                message=(
                    f"environment {app.environment!r} requires approval, which a webhook cannot ask "
                    "for: request the deploy with a user's token"
                ),
            )
        started = deploys.request_deploy(
            store,
            runner,
            app=app.name,
            author=author,
            services=changed,
            trigger="config",
            options=DeployOptions(message=f"config {version.name}@{version.version}"),
        )
        return Triggered(app.name, changed, started)
    except KapstanError as exc:  # the config is saved; say why the deploy did not start
        return Triggered(app.name, (), message=f"auto-deploy did not start: {exc.message}")
