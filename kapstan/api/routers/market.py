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
from kapstan.model.values import Value
from kapstan.schemas import Page
from kapstan.schemas import market as ms

router = APIRouter(prefix="/api/v1/market", tags=["market"])


@router.get("")
def list_market(caller: CallerDep, at: WindowDep) -> Page[ms.MarketTemplateOut]:
    return paged(
        market.list_templates(), at,
        lambda t: ms.MarketTemplateOut(catalog=t.catalog, name=t.name,
                                       description=t.description, secrets=list(t.secrets)),
    )  # fmt: skip


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
    done = installing.install(caller.store, body.template, env=body.environment, app=body.app,
                          author=caller.name, values=values)  # fmt: skip
    a = done.application
    auditing.record(
        caller.store, caller.name, "market.install", kind="application", name=a.name,
        environment=a.environment, to_version=a.template_version,
        details={"template": f"{a.template}@{a.template_version}", "catalog": done.entry.catalog,
                 "config": f"{done.config.name}@{done.config.version}",
                 "keys": sorted(body.values), "generated": list(done.generated)},
    )  # fmt: skip
    return ms.MarketInstallOut(
        catalog=done.entry.catalog, name=done.entry.name,
        template=convert.template_version(done.template), template_created=done.template_created,
        config=convert.config_version(done.config), config_created=done.config_created,
        application=convert.application(a), environment=convert.environment(done.environment),
        generated=list(done.generated),
    )  # fmt: skip
