"""Application verbs: create (validated by rendering first), show, and point at new versions.

Nothing is written until the app renders with the versions asked for, so a missing key
or a value that does not fit leaves the store as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kapstan.actions.changes import AppChanges, app_changes
from kapstan.actions.refs import Ref
from kapstan.actions.storeports import (
    ApplicationReads,
    AppUpdating,
    AppWrites,
    ChecksumKey,
    StateReads,
)
from kapstan.actions.templates import TemplateDetails, load_template
from kapstan.errors import ConflictError, NotFoundError, VariableError
from kapstan.model.values import Value
from kapstan.render.render import render_app
from kapstan.render.variables import default_config
from kapstan.store import Application, ConfigVersion, Environment


@dataclass(frozen=True)
class AppDetails:
    application: Application
    environment: Environment
    config_version: int
    services: tuple[str, ...]


@dataclass(frozen=True)
class AppUpdate:
    application: Application
    changes: AppChanges


def create_app(
    store: AppWrites,
    name: str,
    *,
    template: Ref,
    environment: str,
    config: Ref | None = None,
    author: str,
) -> Application:
    """A new app pinned to a template version and a config version.

    The config defaults to the environment's; with none, a config ``name`` is made from
    the template's default config.
    """
    _check_free(store, name)
    env = store.get_environment(environment)
    details = load_template(store, template)
    if config is None and env.config is not None:
        config = Ref(env.config)
    if config is None:
        version = _default_config(store, name, details, env, author)
    else:
        version = store.get_config(config.name, config.version)
        _check_renders(store, details, version.values, name, env)
    return store.create_application(
        name,
        template=details.version.name,
        template_version=details.version.version,
        environment=env.name,
        config=version.name,
        config_version=version.version,
    )


def app_details(store: StateReads, name: str) -> AppDetails:
    application = store.get_application(name)
    environment = store.get_environment(application.environment)
    details = load_template(store, Ref(application.template, application.template_version))
    config_version = application.config_version or store.get_config(application.config).version
    return AppDetails(application, environment, config_version, tuple(details.template.services))


def update_app(
    store: AppWrites,
    name: str,
    *,
    template_version: int | None = None,
    config_version: int | None = None,
) -> AppUpdate:
    """Point ``name`` at the given (default: latest) versions; no deploy. Renders first."""
    changes = app_changes(
        store, name, template_version=template_version, config_version=config_version
    )
    application = store.update_application(
        name, template_version=changes.to_template, config_version=changes.to_config
    )
    return AppUpdate(application, changes)


def move_app(
    store: AppUpdating,
    name: str,
    *,
    author: str,
    via: str,
    template_version: int | None = None,
    config_version: int | None = None,
) -> AppUpdate:
    """``app update`` from any front door: move the pins, then one audit entry of the move."""
    before = store.get_application(name)
    update = update_app(
        store, name, template_version=template_version, config_version=config_version
    )
    after = update.application
    store.audit(
        author,
        "app.update",
        kind="application",
        name=name,
        environment=after.environment,
        from_version=str(before.template_version),
        to_version=str(after.template_version),
        details={
            "configFrom": before.config_version,
            "configTo": after.config_version,
            "changed": [c.service for c in update.changes.changes],
            "via": via,
        },
    )
    return update


def _check_free(store: ApplicationReads, name: str) -> None:
    try:
        store.get_application(name)
    except NotFoundError:
        return
    raise ConflictError(f"application {name!r} exists already")


def _default_config(
    store: AppWrites, name: str, details: TemplateDetails, env: Environment, author: str
) -> ConfigVersion:
    values: dict[str, Value] = dict(default_config(details.template))
    try:
        _check_renders(store, details, values, name, env)
    except VariableError as exc:
        raise VariableError(
            f"{exc}\nenvironment {env.name!r} has no config, so the template's defaults were "
            f"used: make a config with `kapstan config set CONFIG key=value ...` and pass --config"
        ) from exc
    try:
        store.get_config(name)
    except NotFoundError:
        message = f"defaults of template {details.version.name}@{details.version.version}"
        return store.create_config(name, values, author=author, message=message)
    raise ConflictError(
        f"environment {env.name!r} has no config and a config named {name!r} exists already; "
        f"pass --config {name} to use it"
    )


def _check_renders(
    store: ChecksumKey,
    details: TemplateDetails,
    values: Mapping[str, Value],
    app: str,
    env: Environment,
) -> None:
    """Render once and throw the result away: every key and value error surfaces here."""
    key = store.checksum_key()
    render_app(details.template, values, app=app, namespace=env.namespace, hash_key=key)
