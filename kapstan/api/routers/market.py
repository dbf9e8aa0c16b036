"""``/api/v1/market``: the server's catalogs, and installing a template from them.

Install makes a template version, the app's config and the application in one call, as
``kapstan market install`` does locally; it reads the server's catalogs (the built-in
one and any registered on the server's machine), never the caller's.
"""

from __future__ import annotations

import contextlib

from fastapi import APIRouter

from kapstan.actions import install as installing
from kapstan.api import auditing, convert
from kapstan.api.auth import CallerDep
from kapstan.api.pagination import WindowDep, paged
from kapstan.errors import NotFoundError
from kapstan.market import catalog as market
from kapstan.market.catalogs import Catalog
from kapstan.model.values import Value
from kapstan.schemas import Page
from kapstan.schemas import market as ms

router = APIRouter(prefix="/api/v1/market", tags=["market"])


def _catalog_out(c: Catalog, templates: int | None = None) -> ms.CatalogOut:
    return ms.CatalogOut(name=c.name, source=c.source, path=str(c.path), templates=templates)


@router.get("/catalogs")
def list_catalogs(caller: CallerDep, at: WindowDep) -> Page[ms.CatalogOut]:
    """The server's catalogs: the built-in one, then those added, in order."""
    return paged(market.all_catalogs(), at, _catalog_out)


@router.post("/catalogs", status_code=201)
def add_catalog(caller: CallerDep, body: ms.CatalogIn) -> ms.CatalogOut:
    """Register a directory of the server's machine, or clone a git URL there (admins)."""
    caller.require_admin("adding a market catalog")
    catalog = market.add_catalog(body.name, body.source)
    count = len(market.templates_of(catalog))
    details = {"source": catalog.source, "templates": count}
    auditing.record(
        caller.store,
        caller.name,
        "market.catalog.add",
        kind="catalog",
        name=catalog.name,
        details=details,
    )
    return _catalog_out(catalog, count)


@router.delete("/catalogs/{name}")
def remove_catalog(caller: CallerDep, name: str) -> ms.CatalogOut:
    """Forget a catalog (a clone is deleted; a directory is left alone) (admins)."""
    caller.require_admin("removing a market catalog")
    catalog = market.remove_catalog(name)
    details = {"source": catalog.source}
    auditing.record(
        caller.store,
        caller.name,
        "market.catalog.remove",
        kind="catalog",
        name=catalog.name,
        details=details,
    )
    return _catalog_out(catalog)


@router.get("")
def list_market(caller: CallerDep, at: WindowDep) -> Page[ms.MarketTemplateOut]:
    return paged(
        market.list_templates(),
        at,
        lambda t: ms.MarketTemplateOut(
            catalog=t.catalog, name=t.name, description=t.description, secrets=list(t.secrets)
        ),
    )


@router.post("/install", status_code=201)
def install(caller: CallerDep, body: ms.MarketInstall) -> ms.MarketInstallOut:
    """Template version, config and application; every check runs before the first write."""
    caller.template_writer()
    caller.require(body.environment, "deploy")
    # An existing config named like the app is reused and changed: that needs config.edit.
    config_name = body.app or body.template.rpartition("/")[2]
    with contextlib.suppress(NotFoundError):
        caller.config(config_name, "config.edit")
    values: dict[str, Value] = dict(body.values)
    done = installing.install(
        caller.store,
        body.template,
        env=body.environment,
        app=body.app,
        author=caller.name,
        values=values,
    )
    a = done.application
    auditing.record(
        caller.store,
        caller.name,
        "market.install",
        kind="application",
        name=a.name,
        environment=a.environment,
        to_version=a.template_version,
        details={
            "template": f"{a.template}@{a.template_version}",
            "catalog": done.entry.catalog,
            "config": f"{done.config.name}@{done.config.version}",
            "keys": sorted(body.values),
            "generated": list(done.generated),
        },
    )
    return ms.MarketInstallOut(
        catalog=done.entry.catalog,
        name=done.entry.name,
        template=convert.template_version(done.template),
        template_created=done.template_created,
        config=convert.config_version(done.config),
        config_created=done.config_created,
        application=convert.application(a),
        environment=convert.environment(done.environment),
        generated=list(done.generated),
    )
