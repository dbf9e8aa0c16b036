"""Promote an application: the same template@version as an application in the next
environment, with that environment's own config.

The target application (default ``<app>-<environment>``) is created there, or, if it exists
there already, pointed at the source's template version. Into an environment that requires
approval nothing is created or changed until a second user approves (``gates``); the
Clearance it returns lets the caller deploy it without asking again.

What was tested travels with it: the template's promoted keys (``promote:``, by default the
keys of its image references, ``kapstan.render.promotion``) are set in the target's config
to the source's values, in a new config version the target is then pinned to, so prod runs
the image dev ran. The plan lists them (``Promotion.carried``, before -> after); the
approval's payload, the config version's message and its ``config.set`` audit entry record
them. Secret values never travel (each environment keeps its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapstan.actions.applications import create_app, update_app
from kapstan.actions.configs import set_values
from kapstan.actions.gates import Clearance, gated, require_gate
from kapstan.actions.refs import Ref
from kapstan.actions.storeports import ApplicationReads, Promoting, StateReads
from kapstan.actions.templates import load_template
from kapstan.engine.deploy import DeployOptions
from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.model.values import Scalar, SecretValue, Value
from kapstan.render.promotion import promoted_keys
from kapstan.render.substitute import as_text
from kapstan.render.variables import default_config
from kapstan.store import Application

DEFAULT_TIMEOUT = DeployOptions().timeout


@dataclass(frozen=True)
class Carried:
    """A promoted key whose value changes in the target: ``before`` (None: unset) -> ``after``."""

    key: str
    before: Scalar
    after: Scalar

    def record(self) -> dict[str, Any]:
        return {"key": self.key, "from": self.before, "to": self.after}

    @property
    def text(self) -> str:
        return f"{self.key}: {_shown(self.before)} -> {_shown(self.after)}"


@dataclass(frozen=True)
class Promotion:
    source: str
    target: str
    environment: str
    template: str
    template_version: int
    carried: tuple[Carried, ...] = ()

    def payload(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "template": self.template,
            "templateVersion": self.template_version,
            "carried": [c.record() for c in self.carried],
        }


@dataclass(frozen=True)
class Promoted:
    application: Application
    created: bool
    previous_template_version: int | None
    clearance: Clearance  # lets the promoted app's deploy through the gate once
    carried: tuple[Carried, ...] = ()


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
    carried = _carried(store, app, environment, existing)
    return Promotion(source, target, environment, app.template, app.template_version, carried)


def _carried(
    store: StateReads, app: Application, environment: str, existing: Application | None
) -> tuple[Carried, ...]:
    """The promoted keys whose value in the target differs from the source's."""
    template = load_template(store, Ref(app.template, app.template_version)).template
    keys = promoted_keys(template)
    if not keys:
        return ()
    defaults: dict[str, Value] = dict(default_config(template))
    source = {**defaults, **store.get_config(app.config, app.config_version).values}
    if existing is not None:
        own = store.get_config(existing.config, existing.config_version).values
    else:  # the config create_app will pick: the environment's, else the defaults
        config = store.get_environment(environment).config
        own = store.get_config(config).values if config else {}
    target = {**defaults, **own}
    out = []
    for key in keys:
        after, before = source.get(key), target.get(key)
        if isinstance(after, SecretValue) or isinstance(before, SecretValue) or after is None:
            continue  # a secret is each environment's own; an unset key has nothing to carry
        # 1.0 set on the command line is a number, the template's default 1.0 is text: both
        # render as the same image tag, so the value has nothing to carry
        if before is None or as_text(before) != as_text(after):
            out.append(Carried(key, before, after))
    return tuple(out)


def _shown(value: Scalar) -> str:
    return "(unset)" if value is None else str(value)


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
    else:
        app = update_app(
            store, promotion.target, template_version=promotion.template_version
        ).application
    app = _carry(store, promotion, app, author)
    before = None if existing is None else existing.template_version
    return Promoted(app, existing is None, before, clearance, promotion.carried)


def _carry(store: Promoting, promotion: Promotion, app: Application, author: str) -> Application:
    """Set the carried keys in ``app``'s config (a new version it is pinned to), audited."""
    if not promotion.carried:
        return app
    current = store.get_config(app.config, app.config_version)
    changes = "; ".join(c.text for c in promotion.carried)
    written = set_values(
        store,
        app.config,
        {c.key: c.after for c in promotion.carried},
        author=author,
        message=f"promoted {promotion.source} to {promotion.target}: carries {changes}",
    ).version
    store.audit(
        author,
        "config.set",
        kind="config",
        name=app.config,
        environment=app.environment,
        from_version=str(current.version),
        to_version=str(written.version),
        details={
            "promotedFrom": promotion.source,
            "application": app.name,
            "carried": [c.record() for c in promotion.carried],
        },
    )
    if app.config_version is None:  # it follows the config's latest version: this one
        return app
    return update_app(store, app.name, config_version=written.version).application
