"""Applications and their read-only views: the port, and its side on the local store.

The server's side is ``kapstan.cli.backend.remoteapps``. Each local method imports the
action it calls: `kapstan app list` reads the store and loads no other action.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from kapstan.actions.refs import Ref
from kapstan.store import Application, Revision

if TYPE_CHECKING:
    from kapstan.actions.apphistory import RevisionDiff
    from kapstan.actions.applications import AppDetails, AppUpdate
    from kapstan.actions.appviews import ServiceSummary
    from kapstan.actions.changes import AppChanges
    from kapstan.model.rendered import RenderedService
    from kapstan.plan.graph import Graph
    from kapstan.store import Store


class AppsPort(Protocol):
    def create(
        self, name: str, *, template: Ref, environment: str, config: Ref | None, author: str
    ) -> Application: ...

    def details(self, name: str) -> AppDetails: ...

    def changes(
        self, name: str, *, template_version: int | None, config_version: int | None
    ) -> AppChanges: ...

    def update(
        self, name: str, *, template_version: int | None, config_version: int | None, author: str
    ) -> AppUpdate: ...

    def render(self, name: str, services: Sequence[str]) -> tuple[RenderedService, ...]: ...

    def services(self, name: str) -> list[ServiceSummary]: ...

    def graph(self, name: str) -> Graph: ...

    def history(self, name: str, service: str | None) -> list[Revision]: ...

    def diff(
        self, name: str, service: str, old: int, new: int, *, managed: bool = False
    ) -> RevisionDiff: ...

    # Last: in a class body, ``list`` names this method from here on.
    def list(self) -> list[Application]: ...


class LocalApps:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create(
        self, name: str, *, template: Ref, environment: str, config: Ref | None, author: str
    ) -> Application:
        from kapstan.actions import applications

        return applications.create_app(
            self.store,
            name,
            template=template,
            environment=environment,
            config=config,
            author=author,
        )

    def details(self, name: str) -> AppDetails:
        from kapstan.actions import applications

        return applications.app_details(self.store, name)

    def changes(
        self, name: str, *, template_version: int | None, config_version: int | None
    ) -> AppChanges:
        from kapstan.actions.changes import app_changes

        return app_changes(
            self.store, name, template_version=template_version, config_version=config_version
        )

    def update(
        self, name: str, *, template_version: int | None, config_version: int | None, author: str
    ) -> AppUpdate:
        from kapstan.actions import applications

        return applications.move_app(
            self.store,
            name,
            author=author,
            via="cli",
            template_version=template_version,
            config_version=config_version,
        )

    def render(self, name: str, services: Sequence[str]) -> tuple[RenderedService, ...]:
        from kapstan.actions import appviews

        return appviews.render_app_for(self.store, name, services)[1]

    def services(self, name: str) -> list[ServiceSummary]:
        from kapstan.actions import appviews

        return appviews.app_services(self.store, name)

    def graph(self, name: str) -> Graph:
        from kapstan.actions import appviews

        return appviews.app_graph(self.store, name)

    def history(self, name: str, service: str | None) -> list[Revision]:
        from kapstan.actions import apphistory

        return apphistory.app_history(self.store, name, service)

    def diff(
        self, name: str, service: str, old: int, new: int, *, managed: bool = False
    ) -> RevisionDiff:
        from kapstan.actions import apphistory

        return apphistory.app_diff(self.store, name, service, old, new, managed=managed)

    def list(self) -> list[Application]:
        return self.store.list_applications()
