"""``/api/v1/applications``: list (search, health), create, get, update, webhook secret."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request

from kapstan import schemas
from kapstan.actions import applications
from kapstan.actions.refs import Ref
from kapstan.actions.status import Connector, health_by_service
from kapstan.actions.templates import load_template
from kapstan.api import auditing, convert
from kapstan.api.auth import Caller, CallerDep, ReaderDep, in_thread
from kapstan.api.flows.hooks import new_secret
from kapstan.api.flows.triggers import auto_deploy
from kapstan.api.keys import AUTO_DEPLOY_KEY, WEBHOOK_SECRET_KEY
from kapstan.api.pagination import WindowDep, cut
from kapstan.api.state import clusters_of, state_of
from kapstan.model.values import SecretValue
from kapstan.store import Application, ConfigKeys

router = APIRouter(prefix="/api/v1/applications", tags=["applications"])


def _out(
    caller: Caller, app: Application, *, health: Connector | None = None, services: bool = False
) -> schemas.ApplicationOut:
    ref = _config_ref(app)
    config = caller.store.config_keys({ref}, [AUTO_DEPLOY_KEY])[ref]
    return _outs(caller, [(app, config)], health=health, services=services)[0]


def _outs(
    caller: Caller,
    views: Sequence[tuple[Application, ConfigKeys]],
    *,
    health: Connector | None = None,
    services: bool = False,
    known: Sequence[str] | None = None,
) -> list[schemas.ApplicationOut]:
    """The apps as answered, each with the key of its config the answer needs (read with
    the apps: ``store.page_application_views``, ``application_view``); ``known``: the
    services of the one app, if the caller has them."""
    out: list[schemas.ApplicationOut] = []
    for app, config in views:
        out.append(
            convert.application(
                app,
                auto_deploy=auto_deploy(dict(config.values)),
                services=(list(known) if known is not None else _services(caller, app))
                if services
                else None,
                health=(
                    health_by_service(caller.store, app.name, clients=health)
                    if health is not None
                    else None
                ),
                effective_config_version=config.version,
            )
        )
    return out


def _config_ref(app: Application) -> tuple[str, int | None]:
    return app.config, app.config_version


def _services(caller: Caller, app: Application) -> list[str]:
    """The services of the app's template version (parsed once per version: see templates)."""
    return list(
        load_template(caller.store, Ref(app.template, app.template_version)).template.services
    )


@router.get("")
async def list_applications(
    request: Request, caller: ReaderDep, at: WindowDep, q: str | None = None, health: bool = False
) -> schemas.Page[schemas.ApplicationOut]:
    """Applications the caller may view; ``q`` searches names, templates, environments,
    configs; ``health`` reads each service's health from the cluster (slower)."""

    def page() -> schemas.Page[schemas.ApplicationOut]:
        found, total = caller.store.page_application_views(
            limit=at.limit,
            offset=at.offset,
            keys=[AUTO_DEPLOY_KEY],
            environments=caller.environments_allowing("view"),
            search=q,
        )
        return cut(_outs(caller, found, health=_clients(request, health)), total, at)

    return await in_thread(caller, page)  # the hottest reads: one hand-off to a thread


def _clients(request: Request, health: bool) -> Connector | None:
    """How health reads reach the clusters: clients kept by this process; None: no health."""
    return clusters_of(request).connect if health else None


@router.post("", status_code=201)
def create_application(
    caller: CallerDep, body: schemas.ApplicationCreate
) -> schemas.ApplicationOut:
    caller.require(body.environment, "deploy")
    if body.config is not None:
        caller.config(body.config, "view")
    created = applications.create_app(
        caller.store,
        body.name,
        template=Ref(body.template, body.template_version),
        environment=body.environment,
        config=Ref(body.config, body.config_version) if body.config else None,
        author=caller.name,
    )
    auditing.record(
        caller.store,
        caller.name,
        "app.create",
        kind="application",
        name=created.name,
        environment=created.environment,
        to_version=created.template_version,
        details={
            "template": f"{created.template}@{created.template_version}",
            "config": created.config,
            "configVersion": created.config_version,
        },
    )
    return _out(caller, created, services=True)


@router.get("/{app}")
async def get_application(
    request: Request, caller: ReaderDep, app: str, health: bool = False
) -> schemas.ApplicationOut:
    def read() -> schemas.ApplicationOut:
        view, digest = caller.store.application_view(app, [AUTO_DEPLOY_KEY])  # 404 before 403
        found = view[0]
        caller.require(found.environment, "view")
        known = state_of(request).services.get(
            (found.template, found.template_version, digest),
            lambda: tuple(_services(caller, found)),
        )
        clients = _clients(request, health)
        return _outs(caller, [view], health=clients, services=True, known=known)[0]

    return await in_thread(caller, read)  # the hottest read: one hand-off to a thread


@router.patch("/{app}")
def update_application(
    caller: CallerDep, app: str, body: schemas.ApplicationUpdate
) -> schemas.ApplicationUpdateOut:
    """Point the app at template/config versions (default: the latest); renders first, no deploy."""
    caller.application(app, "deploy")
    update = applications.move_app(
        caller.store,
        app,
        author=caller.name,
        via="api",
        template_version=body.template_version,
        config_version=body.config_version,
    )
    after = update.application
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
        {
            **caller.store.get_config(application.config).values,
            WEBHOOK_SECRET_KEY: SecretValue(secret),
        },
        author=caller.name,
        message=f"new webhook secret for {app}",
        expected_version=before,
    )
    auditing.record(
        caller.store,
        caller.name,
        "webhook.secret",
        kind="config",
        name=application.config,
        environment=application.environment,
        from_version=before,
        to_version=version.version,
        details={"app": app, "keys": [WEBHOOK_SECRET_KEY], "secret": True},
    )
    return schemas.WebhookSecretOut(app=app, secret=secret, config_version=version.version)
