"""Installing a market template: template version -> config -> application, in one step.

An action (it writes the store through the other actions), so it lives here rather than in
``kapstan.market``, which only reads catalogs.

resolve the template -> check the environment and the app name -> read and parse it ->
build the app's config (template defaults, the environment's values for its keys, generated
secrets, the user's values) -> render once -> save the template version -> save the config
-> create the application. Every check runs before the first write.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from kapstan.actions.applications import create_app
from kapstan.actions.configs import guard_secrets
from kapstan.actions.refs import Ref
from kapstan.actions.storeports import ApplicationReads, ConfigReads, ConfigWrites, Installing
from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.market.catalog import all_catalogs
from kapstan.market.catalogs import MarketTemplate, find_template
from kapstan.market.registry import MarketPaths
from kapstan.model.settings import OVERRIDE_KEYS
from kapstan.model.template import Template
from kapstan.model.values import SecretValue, Value
from kapstan.plan.changes import same_value
from kapstan.render.render import render_app
from kapstan.render.variables import default_config, extract_variables
from kapstan.store import Application, ConfigVersion, Environment, TemplateVersion
from kapstan.templates.loader import parse_template, read_template_dir

SECRET_BYTES = 24
KAPSTAN_KEYS = "kapstan."  # keys Kapstan itself reads (kapstan.resourcePolicy), always allowed


@dataclass(frozen=True)
class InstallResult:
    """What install did: each object, and whether it was made now or already there."""

    entry: MarketTemplate
    template: TemplateVersion
    template_created: bool
    config: ConfigVersion
    config_created: bool
    application: Application
    environment: Environment
    generated: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Plan:
    values: dict[str, Value]
    current: ConfigVersion | None
    generated: tuple[str, ...]


def install(
    store: Installing,
    name: str,
    *,
    env: str,
    app: str | None = None,
    author: str,
    values: Mapping[str, Value] | None = None,
    paths: MarketPaths | None = None,
) -> InstallResult:
    """Install market template ``name`` as application ``app`` (default: the template's name).

    ``name`` is ``NAME`` or ``CATALOG/NAME`` of the built-in or a registered catalog
    (``paths``, default: from the environment, says where registrations live).

    A config named like the app is reused when it exists (with ``values`` laid over it);
    otherwise it is made from the template's defaults. Secret keys of the catalog's index
    are stored encrypted, with a random value unless ``values`` sets them.
    """
    entry = find_template(name, all_catalogs(paths))
    environment = store.get_environment(env)
    app_name = app or entry.name
    _check_free(store, app_name)
    files = read_template_dir(entry.path)
    template = parse_template(files)
    _check_template_name(entry, template)
    given = _as_secrets(dict(values or {}), entry.secrets)
    _check_keys(template, given, entry)
    plan = _plan_config(store, app_name, template, entry, environment, given)
    render_app(
        template,
        plan.values,
        app=app_name,
        namespace=environment.namespace,
        hash_key=store.checksum_key(),
    )
    version, template_created = store.save_template_version(
        entry.name,
        files,
        template.digest,
        author=author,
        message=f"from market catalog {entry.catalog}",
    )
    config, config_created = _save_config(store, app_name, plan, entry, author)
    application = create_app(
        store,
        app_name,
        template=Ref(version.name, version.version),
        environment=environment.name,
        config=Ref(config.name, config.version),
        author=author,
    )
    return InstallResult(
        entry,
        version,
        template_created,
        config,
        config_created,
        application,
        environment,
        plan.generated,
    )


def _check_free(store: ApplicationReads, app: str) -> None:
    try:
        store.get_application(app)
    except NotFoundError:
        return
    raise ConflictError(f"application {app!r} exists already; install under another name (--app)")


def _check_template_name(entry: MarketTemplate, template: Template) -> None:
    """The version is saved under the folder's name: kapstan.yaml must say the same."""
    if template.name != entry.name:
        raise InputError(
            f"market template {entry.qualified}: its kapstan.yaml names it {template.name!r}; "
            f"a catalog's template folder must be named like its template ({entry.name!r})"
        )


def _as_secrets(values: dict[str, Value], secret_keys: tuple[str, ...]) -> dict[str, Value]:
    """Values the user gives for the template's secret keys are stored as secrets."""
    return {
        k: SecretValue(str(v)) if k in secret_keys and not isinstance(v, SecretValue) else v
        for k, v in values.items()
    }


def _allowed(template: Template) -> set[str]:
    keys = {v.key for v in extract_variables(template)}
    overrides = {f"{s}.{k}" for s in template.services for k in OVERRIDE_KEYS}
    return keys | overrides


def _check_keys(template: Template, given: Mapping[str, Value], entry: MarketTemplate) -> None:
    allowed = _allowed(template)
    unknown = sorted(k for k in given if k not in allowed and not k.startswith(KAPSTAN_KEYS))
    if unknown:
        raise InputError(
            f"template {entry.qualified} has no config key {', '.join(map(repr, unknown))}; "
            f"see its keys with `kapstan market show {entry.name}`"
        )


def _plan_config(
    store: ConfigReads,
    app: str,
    template: Template,
    entry: MarketTemplate,
    environment: Environment,
    given: dict[str, Value],
) -> _Plan:
    try:
        current = store.get_config(app)
    except NotFoundError:
        current = None
    if current is not None:
        # A key secret in the config stays secret whatever --set gives it.
        kept = guard_secrets(current, given, plain=False).values
        return _Plan({**current.values, **kept}, current, ())
    seed: dict[str, Value] = dict(default_config(template))
    seed.update(_environment_values(store, environment, _allowed(template)))
    generated = tuple(k for k in entry.secrets if k not in given)
    seed.update({k: SecretValue(secrets.token_urlsafe(SECRET_BYTES)) for k in generated})
    seed.update(given)
    return _Plan(seed, None, generated)


def _environment_values(
    store: ConfigReads, environment: Environment, allowed: set[str]
) -> dict[str, Value]:
    """The environment config's values for this template's keys, and Kapstan's own keys."""
    if environment.config is None:
        return {}
    values = store.get_config(environment.config).values
    return {k: v for k, v in values.items() if k in allowed or k.startswith(KAPSTAN_KEYS)}


def _save_config(
    store: ConfigWrites, app: str, plan: _Plan, entry: MarketTemplate, author: str
) -> tuple[ConfigVersion, bool]:
    message = f"market install of {entry.qualified}"
    if plan.current is None:
        return store.create_config(app, plan.values, author=author, message=message), True
    if plan.values.keys() == plan.current.values.keys() and all(
        same_value(plan.values[k], plan.current.values[k]) for k in plan.values
    ):
        return plan.current, False
    version = store.add_config_version(
        app, plan.values, author=author, message=message, expected_version=plan.current.version
    )
    return version, True
