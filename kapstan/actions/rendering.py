"""Render an application at its current versions, or at any template/config version pair."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from kapstan.actions.storeports import RenderInputs
from kapstan.actions.templates import parsed
from kapstan.errors import InputError
from kapstan.model.rendered import RenderedApp
from kapstan.model.template import Template
from kapstan.model.values import Value
from kapstan.render.render import render_app


@dataclass(frozen=True)
class RenderedAppVersion:
    """An application rendered, with the exact versions that produced it.

    ``service_versions``: (template, config) version per service when services come from
    different versions (``render_services_at``); empty when all come from the pair above.
    """

    app: str
    environment: str
    template: Template
    template_version: int
    config_name: str
    config_version: int
    rendered: RenderedApp
    values: Mapping[str, Value] = field(default_factory=dict)
    service_versions: Mapping[str, tuple[int, int]] = field(default_factory=dict)


def render_at(
    store: RenderInputs, app: str, template_version: int, config_version: int
) -> RenderedAppVersion:
    """Render ``app`` from the given (immutable) template and config versions."""
    application = store.get_application(app)
    env = store.get_environment(application.environment)
    stored = store.get_template(application.template, template_version)
    template = parsed(stored)
    config = store.get_config(application.config, config_version)
    rendered = render_app(
        template, config.values, app=app, namespace=env.namespace, hash_key=store.checksum_key()
    )
    effective = {**template.config, **config.values}
    return RenderedAppVersion(
        app, env.name, template, stored.version, config.name, config.version, rendered, effective
    )


def render_application(store: RenderInputs, app: str) -> RenderedAppVersion:
    """Render ``app`` at its current versions (a config that follows the latest uses it)."""
    application = store.get_application(app)
    config_version = application.config_version or store.get_config(application.config).version
    return render_at(store, app, application.template_version, config_version)


def render_services_at(
    store: RenderInputs, app: str, versions: Mapping[str, tuple[int, int]]
) -> RenderedAppVersion:
    """``app`` with only the services of ``versions``, each rendered at its own pair.

    Each distinct (template, config) pair is rendered once. The result is stamped with the
    newest pair, whose values (the resource policy) apply; each service keeps its own
    versions in ``service_versions``.
    """
    pairs = sorted(set(versions.values()))
    rendered = {pair: render_at(store, app, *pair) for pair in pairs}
    newest = rendered[pairs[-1]]
    # Template order, so that waves and listings read as a deploy of the newest would.
    order = [s for s in newest.template.services if s in versions]
    order += [s for s in versions if s not in order]
    services, specs = {}, dict(newest.template.services)
    for service in order:
        found = rendered[versions[service]]
        if service not in found.rendered.services:
            raise InputError(
                f"service {service!r} is not in template {found.template.name}@"
                f"{found.template_version}; see `kapstan app history {app} -s {service}`"
            )
        services[service] = found.rendered.services[service]
        specs[service] = found.template.services[service]
    return replace(
        newest,
        template=replace(newest.template, services=specs),
        rendered=replace(newest.rendered, services=services),
        service_versions=dict(versions) if len(pairs) > 1 else {},
    )
