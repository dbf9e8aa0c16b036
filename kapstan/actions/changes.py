"""Which services of an app change between its current versions and others, and why.

Both sides are rendered from immutable versions; no cluster is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from kapstan.actions.rendering import render_at
from kapstan.actions.storeports import RenderInputs
from kapstan.model.changes import ServiceChange
from kapstan.plan.changes import detect_changes


@dataclass(frozen=True)
class AppChanges:
    """``changes`` from (``from_template``, ``from_config``) to (``to_template``, ``to_config``)."""

    app: str
    template: str
    config: str
    from_template: int
    to_template: int
    from_config: int
    to_config: int
    changes: tuple[ServiceChange, ...]


def app_changes(
    store: RenderInputs,
    app: str,
    *,
    template_version: int | None = None,
    config_version: int | None = None,
) -> AppChanges:
    """Services whose rendered output differs at the given versions (default: the latest)."""
    application = store.get_application(app)
    current_config = application.config_version or store.get_config(application.config).version
    to_template = template_version or store.get_template(application.template).version
    to_config = config_version or store.get_config(application.config).version
    old = render_at(store, app, application.template_version, current_config)
    new = render_at(store, app, to_template, to_config)
    return AppChanges(
        app,
        application.template,
        application.config,
        application.template_version,
        to_template,
        current_config,
        to_config,
        tuple(detect_changes(old.rendered, new.rendered)),
    )
