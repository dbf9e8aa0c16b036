"""Render an application at its current versions, or at any template/config version pair."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kapstan.actions.templates import parsed
from kapstan.model.rendered import RenderedApp
from kapstan.model.template import Template
from kapstan.model.values import Value
from kapstan.render.render import render_app
from kapstan.store import Store


@dataclass(frozen=True)
class RenderedAppVersion:
    """An application rendered, with the exact versions that produced it."""

    app: str
    environment: str
    template: Template
    template_version: int
    config_name: str
    config_version: int
    rendered: RenderedApp
    values: Mapping[str, Value] = field(default_factory=dict)


def render_at(
    store: Store, app: str, template_version: int, config_version: int
) -> RenderedAppVersion:
    """Render ``app`` from the given (immutable) template and config versions."""
    application = store.get_application(app)
    env = store.get_environment(application.environment)
    stored = store.get_template(application.template, template_version)
    template = parsed(stored)
    config = store.get_config(application.config, config_version)
    rendered = render_app(template, config.values, app=app, namespace=env.namespace)
    effective = {**template.config, **config.values}
    return RenderedAppVersion(
        app, env.name, template, stored.version, config.name, config.version, rendered, effective
    )


def render_application(store: Store, app: str) -> RenderedAppVersion:
    """Render ``app`` at its current versions (a config that follows the latest uses it)."""
    application = store.get_application(app)
    config_version = application.config_version or store.get_config(application.config).version
    return render_at(store, app, application.template_version, config_version)
