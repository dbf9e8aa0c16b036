"""``/api/v1/applications``: list (search, health), create, get, update, webhook secret."""

from __future__ import annotations

from fastapi import APIRouter

from kapstan.actions import applications
from kapstan.actions.refs import Ref
from kapstan.actions.status import app_status
from kapstan.api import auditing, convert, schemas
from kapstan.api.auth import Caller, CallerDep
from kapstan.api.flows.hooks import new_secret
from kapstan.api.flows.triggers import auto_deploy
from kapstan.api.keys import WEBHOOK_SECRET_KEY
from kapstan.api.pagination import WindowDep, paged
from kapstan.errors import KapstanError
from kapstan.model.values import SecretValue
from kapstan.store import Application

router = APIRouter(prefix="/api/v1/applications", tags=["applications"])


def _matches(app: Application, q: str) -> bool:
    text = q.lower()
    return any(
        text in field.lower() for field in (app.name, app.template, app.environment, app.config)
    )


def _health(caller: Caller, app: str) -> dict[str, str]:
    try:
        return {s.service: s.health.status.value for s in app_status(caller.store, app)}
    except KapstanError as exc:
        return {"(cluster)": f"unknown: {exc.message}"}


def _out(
    caller: Caller, app: Application, *, health: bool = False, services: bool = False
) -> schemas.ApplicationOut:
    config = caller.store.get_config(app.config, app.config_version)
    names = list(applications.app_details(caller.store, app.name).services) if services else None
    return convert.application(
        app, auto_deploy=auto_deploy(dict(config.values)), services=names,
        health=_health(caller, app.name) if health else None,
        effective_config_version=config.version,
    )  # fmt: skip


@router.get("")
def list_applications(
    caller: CallerDep, at: WindowDep, q: str | None = None, health: bool = False
) -> schemas.Page[schemas.ApplicationOut]:
    """Applications the caller may view; ``q`` searches names, templates, environments,
    configs; ``health`` reads each service's health from the cluster (slower)."""
    allowed = {e.name for e in caller.store.list_environments() if caller.can(e.name, "view")}
    found = [a for a in caller.store.list_applications()
             if a.environment in allowed and (not q or _matches(a, q))]  # fmt: skip
    return paged(found, at, lambda a: _out(caller, a, health=health))


@router.post("", status_code=201)
def create_application(
    caller: CallerDep, body: schemas.ApplicationCreate
) -> schemas.ApplicationOut:
    caller.require(body.environment, "deploy")
    if body.config is not None:
        caller.config(body.config, "view")
    created = applications.create_app(
        caller.store, body.name, template=Ref(body.template, body.template_version),
        environment=body.environment,
        config=Ref(body.config, body.config_version) if body.config else None, author=caller.name,
    )  # fmt: skip
    auditing.record(
        caller.store, caller.name, "app.create", kind="application", name=created.name,
        environment=created.environment, to_version=created.template_version,
        details={"template": f"{created.template}@{created.template_version}",
                 "config": created.config, "configVersion": created.config_version},
    )  # fmt: skip
    return _out(caller, created, services=True)


@router.get("/{app}")
def get_application(caller: CallerDep, app: str, health: bool = False) -> schemas.ApplicationOut:
    return _out(caller, caller.application(app, "view"), health=health, services=True)


@router.patch("/{app}")
def update_application(
    caller: CallerDep, app: str, body: schemas.ApplicationUpdate
) -> schemas.ApplicationUpdateOut:
    """Point the app at template/config versions (default: the latest); renders first, no deploy."""
    before = caller.application(app, "deploy")
    update = applications.update_app(
        caller.store,
        app,
        template_version=body.template_version,
        config_version=body.config_version,
    )
    after = update.application
    auditing.record(
        caller.store, caller.name, "app.update", kind="application", name=app, environment=after.environment,
        from_version=before.template_version, to_version=after.template_version,
        details={"configFrom": before.config_version, "configTo": after.config_version,
                 "changed": [c.service for c in update.changes.changes]},
    )  # fmt: skip
    out = _out(caller, after, services=True)
    return schemas.ApplicationUpdateOut(**out.model_dump(), changes=convert.changes(update.changes))


@router.post("/{app}/webhook", status_code=201)
def create_webhook_secret(caller: CallerDep, app: str) -> schemas.WebhookSecretOut:
    """A new webhook secret for ``app`` (kept as a secret key of its config); shown once."""
    application = caller.application(app, "config.edit")
    caller.config(application.config, "config.edit")
    secret = new_secret()
    before = caller.store.get_config(application.config).version
    version = caller.store.add_config_version(
        application.config,
        {**caller.store.get_config(application.config).values, WEBHOOK_SECRET_KEY: SecretValue(secret)},
        author=caller.name, message=f"new webhook secret for {app}", expected_version=before,
    )  # fmt: skip
    auditing.record(
        caller.store, caller.name, "webhook.secret", kind="config", name=application.config,
        environment=application.environment, from_version=before, to_version=version.version,
        details={"app": app, "keys": [WEBHOOK_SECRET_KEY], "secret": True},
    )  # fmt: skip
    return schemas.WebhookSecretOut(app=app, secret=secret, config_version=version.version)
