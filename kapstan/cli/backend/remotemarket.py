"""The app market on a Kapstan server: its answers decoded back into the local side's records.

Apart from ``kapstan.cli.backend.market`` so that the local commands load neither the API's
schemas nor the HTTP client.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from pathlib import Path

from kapstan.actions.install import InstallResult
from kapstan.client import decode
from kapstan.client.http import ApiClient, path
from kapstan.market.catalogs import Catalog, MarketTemplate
from kapstan.model.values import SecretValue, Value
from kapstan.schemas import market as ms
from kapstan.store import ConfigVersion


class RemoteMarket:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def list(self) -> list[MarketTemplate]:
        found = [decode.parse(ms.MarketTemplateOut, t) for t in self.client.pages(path("market"))]
        return [
            MarketTemplate(
                catalog=t.catalog,
                name=t.name,
                path=Path(),
                description=t.description,
                secrets=tuple(t.secrets),
            )
            for t in found
        ]

    def catalogs(self) -> builtins.list[Catalog]:
        found = self.client.pages(path("market", "catalogs"))
        return [_catalog(decode.parse(ms.CatalogOut, c)) for c in found]

    def add_catalog(self, name: str, source: str) -> tuple[Catalog, int]:
        body = {"name": name, "source": source}
        added = decode.parse(ms.CatalogOut, self.client.post(path("market", "catalogs"), body))
        return _catalog(added), added.templates or 0

    def remove_catalog(self, name: str) -> Catalog:
        gone = self.client.delete(path("market", "catalogs", name))
        return _catalog(decode.parse(ms.CatalogOut, gone))

    def install(
        self, name: str, *, env: str, app: str | None, author: str, values: Mapping[str, Value]
    ) -> InstallResult:
        # The server records its caller as the author.
        plain = {k: v.reveal() if isinstance(v, SecretValue) else v for k, v in values.items()}
        body = {"template": name, "environment": env, "app": app, "values": plain}
        done = decode.parse(ms.MarketInstallOut, self.client.post(path("market", "install"), body))
        entry = MarketTemplate(catalog=done.catalog, name=done.name, path=Path(), description="")
        return InstallResult(
            entry=entry,
            template=decode.template_version(done.template.model_dump()),
            template_created=done.template_created,
            config=self._config(done.config.name, done.config.version),
            config_created=done.config_created,
            application=decode.application(done.application.model_dump()),
            environment=decode.environment(done.environment.model_dump()),
            generated=tuple(done.generated),
        )

    def _config(self, name: str, version: int) -> ConfigVersion:
        answer = self.client.get(path("configs", name), version=version)
        return decode.config_version(answer)


def _catalog(c: ms.CatalogOut) -> Catalog:
    # The path is on the server's machine: shown, never opened here.
    return Catalog(name=c.name, path=Path(c.path), source=c.source)
