"""Installing a market template: from this machine's catalogs, or a server's.

Through a server, the template comes from the server's catalogs (``/api/v1/market``):
the server reads the environment's config, secrets included, to build the app's config,
and the caller never sees those values (``kapstan.cli.backend.remotemarket``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from kapstan.actions import install as installing
from kapstan.actions.install import InstallResult
from kapstan.market import catalog as market
from kapstan.market.catalogs import Catalog, MarketTemplate
from kapstan.model.values import Value
from kapstan.store import Store


class CatalogsPort(Protocol):
    """The catalogs themselves (``kapstan market add|catalogs|remove``)."""

    def catalogs(self) -> list[Catalog]: ...

    def add_catalog(self, name: str, source: str) -> tuple[Catalog, int]:
        """The catalog registered, and how many templates it holds."""
        ...

    def remove_catalog(self, name: str) -> Catalog: ...


class MarketPort(CatalogsPort, Protocol):
    def list(self) -> list[MarketTemplate]: ...

    def install(
        self, name: str, *, env: str, app: str | None, author: str, values: Mapping[str, Value]
    ) -> InstallResult: ...


class LocalCatalogs:
    """This machine's catalogs: registered in its markets file, no store needed."""

    def catalogs(self) -> list[Catalog]:
        return market.all_catalogs()

    def add_catalog(self, name: str, source: str) -> tuple[Catalog, int]:
        catalog = market.add_catalog(name, source)
        return catalog, len(market.templates_of(catalog))

    def remove_catalog(self, name: str) -> Catalog:
        return market.remove_catalog(name)


class LocalMarket(LocalCatalogs):
    def __init__(self, store: Store) -> None:
        self.store = store

    def list(self) -> list[MarketTemplate]:
        return market.list_templates()

    def install(
        self, name: str, *, env: str, app: str | None, author: str, values: Mapping[str, Value]
    ) -> InstallResult:
        return installing.install(self.store, name, env=env, app=app, author=author, values=values)
