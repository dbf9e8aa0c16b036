"""Promote an application: the same template@version as an application in the next
environment, with that environment's own config.

The target application (default ``<app>-<environment>``) is created there, or, if it exists
there already, pointed at the source's template version. Into an environment that requires
approval nothing is created or changed until a second user approves (``gates``); the
Clearance it returns lets the caller deploy it without asking again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapstan.actions.applications import create_app, update_app
from kapstan.actions.gates import Clearance, gated, require_gate
from kapstan.actions.refs import Ref
from kapstan.actions.storeports import ApplicationReads, Promoting, StateReads
from kapstan.engine.deploy import DeployOptions
from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.store import Application

DEFAULT_TIMEOUT = DeployOptions().timeout


@dataclass(frozen=True)
class Promotion:
    source: str
    target: str
    environment: str
    template: str
    template_version: int

    def payload(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "template": self.template,
            "templateVersion": self.template_version,
        }


@dataclass(frozen=True)
class Promoted:
    application: Application
    created: bool
    previous_template_version: int | None
    clearance: Clearance  # lets the promoted app's deploy through the gate once


def find_application(store: ApplicationReads, name: str) -> Application | None:
    try:
        return store.get_application(name)
    except NotFoundError:
        return None


def plan_promotion(
    store: StateReads, source: str, environment: str, app_name: str | None
) -> Promotion:
    """Check a promotion and say what it will do; nothing is written."""
    app = store.get_application(source)
    store.get_environment(environment)
    if environment == app.environment:
        raise InputError(
            f"application {source!r} is in environment {environment!r} already; "
            "promote it to another environment"
        )
    target = app_name or f"{source}-{environment}"
    existing = find_application(store, target)
    if existing is not None and existing.environment != environment:
        raise ConflictError(
            f"application {target!r} exists in environment {existing.environment!r}, not "
            f"{environment!r}; choose another name for it"
        )
    if existing is not None and existing.template != app.template:
        raise ConflictError(
            f"application {target!r} uses template {existing.template!r}, not {app.template!r}; "
            "choose another name for it"
        )
    return Promotion(source, target, environment, app.template, app.template_version)


@gated("promote")
def promote(
    store: Promoting,
    promotion: Promotion,
    *,
    author: str,
    deploy: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    approval: int | None = None,
) -> Promoted:
    """Create the target application, or point it at the source's template version.

    ``deploy`` and ``timeout`` are what an approval request keeps, so the approved
    change is the one asked for; the deploy itself is the caller's.
    """
    clearance = require_gate(
        store,
        kind="promote",
        app=promotion.target,
        environment=promotion.environment,
        actor=author,
        payload={**promotion.payload(), "deploy": deploy, "timeout": timeout},
        approval=approval,
    )
    existing = find_application(store, promotion.target)
    if existing is None:
        app = create_app(
            store,
            promotion.target,
            environment=promotion.environment,
            author=author,
            template=Ref(promotion.template, promotion.template_version),
        )
        return Promoted(app, True, None, clearance)
    updated = update_app(store, promotion.target, template_version=promotion.template_version)
    return Promoted(updated.application, False, existing.template_version, clearance)
