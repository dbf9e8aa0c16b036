"""Where a command reads and writes: the local store, or a Kapstan server over HTTP.

Every command that works on templates, configs, environments or applications goes
through ``open_backend(ctx)`` and one of its ports (``backend.environments`` ...). Each
port has a local implementation (the actions on the store) and a remote one (the
server's API, its answers decoded back into the same records), so a command prints
the same output either way. The remote side never opens the store and needs no secret
key: the server holds both.

    --server URL / $KAPSTAN_SERVER      the server (else: the local store, --db)
    --token T / $KAPSTAN_TOKEN          its API token (else: the one `kapstan login` saved)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import typer

from kapstan.cli.common import Settings, settings_of
from kapstan.errors import InputError

# Each port imports its implementations when first used: a command loads only the actions
# (and the store or the HTTP client) it calls, not all of Kapstan (start-up time).
if TYPE_CHECKING:
    from kapstan.cli.backend.apps import AppsPort
    from kapstan.cli.backend.configs import ConfigsPort
    from kapstan.cli.backend.daytwo import DayTwoPort
    from kapstan.cli.backend.deletes import DeletesPort
    from kapstan.cli.backend.deploys import DeploysPort
    from kapstan.cli.backend.environments import EnvironmentsPort
    from kapstan.cli.backend.logrules import LogRulesPort
    from kapstan.cli.backend.market import MarketPort
    from kapstan.cli.backend.quotas import QuotasPort
    from kapstan.cli.backend.rollouts import RolloutsPort
    from kapstan.cli.backend.templates import TemplatesPort
    from kapstan.client.http import ApiClient
    from kapstan.store import Store


@dataclass
class Backend:
    """One of ``store`` (local) or ``client`` (remote) is set."""

    store: Store | None = None
    client: ApiClient | None = None

    @property
    def remote(self) -> bool:
        return self.client is not None

    def local_store(self, what: str) -> Store:
        """The store, for a command that only works on this machine's store."""
        if self.store is None:
            raise InputError(
                f"{what} works on the local store only; run it without --server / $KAPSTAN_SERVER"
            )
        return self.store

    def api(self, what: str) -> ApiClient:
        """The client, for a command that only makes sense against a server."""
        if self.client is None:
            raise InputError(
                f"{what} needs a Kapstan server: pass --server URL or set $KAPSTAN_SERVER"
            )
        return self.client

    @cached_property
    def environments(self) -> EnvironmentsPort:
        if self.client is not None:
            from kapstan.cli.backend.remoteenvironments import RemoteEnvironments  # HTTP client

            return RemoteEnvironments(self.client)
        from kapstan.cli.backend.environments import LocalEnvironments

        return LocalEnvironments(self.local_store("environments"))

    @cached_property
    def templates(self) -> TemplatesPort:
        if self.client is not None:
            from kapstan.cli.backend.remotetemplates import RemoteTemplates  # the API's schemas

            return RemoteTemplates(self.client)
        from kapstan.cli.backend.templates import LocalTemplates

        return LocalTemplates(self.local_store("templates"))

    @cached_property
    def configs(self) -> ConfigsPort:
        if self.client is not None:
            from kapstan.cli.backend.remoteconfigs import RemoteConfigs  # the API's schemas

            return RemoteConfigs(self.client)
        from kapstan.cli.backend.configs import LocalConfigs

        return LocalConfigs(self.local_store("configs"))

    @cached_property
    def apps(self) -> AppsPort:
        if self.client is not None:
            from kapstan.cli.backend.remoteapps import RemoteApps  # the API's schemas

            return RemoteApps(self.client)
        from kapstan.cli.backend.apps import LocalApps

        return LocalApps(self.local_store("applications"))

    @cached_property
    def deletes(self) -> DeletesPort:
        if self.client is not None:
            from kapstan.cli.backend.remotedeletes import RemoteDeletes  # the API's schemas

            return RemoteDeletes(self.client)
        from kapstan.cli.backend.deletes import LocalDeletes

        return LocalDeletes(self.local_store("deletes"))

    @cached_property
    def market(self) -> MarketPort:
        if self.client is not None:
            from kapstan.cli.backend.remotemarket import RemoteMarket  # the API's schemas

            return RemoteMarket(self.client)
        from kapstan.cli.backend.market import LocalMarket

        return LocalMarket(self.local_store("market install"))

    @cached_property
    def logrules(self) -> LogRulesPort:
        if self.client is not None:
            from kapstan.cli.backend.remotelogrules import RemoteLogRules  # the API's schemas

            return RemoteLogRules(self.client)
        from kapstan.cli.backend.logrules import LocalLogRules

        return LocalLogRules(self.local_store("environment log rules"))

    @cached_property
    def quotas(self) -> QuotasPort:
        if self.client is not None:
            from kapstan.cli.backend.remotequotas import RemoteQuotas  # the API's schemas

            return RemoteQuotas(self.client)
        from kapstan.cli.backend.quotas import LocalQuotas

        return LocalQuotas(self.local_store("environment quotas"))

    @cached_property
    def daytwo(self) -> DayTwoPort:
        # Imported here: only `app events|logs|top` need the live-read actions.
        if self.client is not None:
            from kapstan.cli.backend.remotedaytwo import RemoteDayTwo  # the API's schemas

            return RemoteDayTwo(self.client)
        from kapstan.cli.backend.daytwo import LocalDayTwo

        return LocalDayTwo(self.local_store("live reads"))

    @cached_property
    def rollouts(self) -> RolloutsPort:
        from kapstan.cli.backend.rollouts import LocalRollouts, RemoteRollouts

        if self.client is not None:
            return RemoteRollouts(self.client)
        return LocalRollouts(self.local_store("rollouts"))

    @cached_property
    def deploys(self) -> DeploysPort:
        if self.client is not None:
            from kapstan.cli.backend.remotedeploys import RemoteDeploys  # the API's schemas

            return RemoteDeploys(self.client)
        from kapstan.cli.backend.deploys import LocalDeploys

        return LocalDeploys(self.local_store("deploys"))


@contextmanager
def open_backend(ctx: typer.Context) -> Iterator[Backend]:
    """The server named by ``--server``/``$KAPSTAN_SERVER``, else the local store."""
    settings = settings_of(ctx)
    if settings.server:
        from kapstan.client.http import ApiClient

        with ApiClient(settings.server, settings.token) as client:
            yield Backend(client=client)
        return
    from kapstan.store import Store

    with Store.open(settings.db) as store:
        yield Backend(store=store)


__all__ = ["Backend", "Settings", "open_backend"]
