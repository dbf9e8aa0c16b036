"""An application read live, for ``app events|logs|top``; on the local store or a server.

Locally the actions read the environment's cluster with its kubeconfig; remotely the
server does, and its answers are decoded back into the same records (``EventRow``,
``ServiceUsage``, ``LogLine``/``LogNotice``), so the commands print both alike. Remote logs
are the server's event stream (``GET /applications/{app}/logs``), never reconnected (a
reconnect would show the lines again). The server's side is ``remotedaytwo``.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Protocol

from kapstan.actions import podlogs, usage
from kapstan.actions.diagnose import EventRow, app_events
from kapstan.actions.podlogs import LogItem, LogQuery
from kapstan.actions.usage import ServiceUsage
from kapstan.store import Store


class DayTwoPort(Protocol):
    def events(self, app: str, services: Sequence[str]) -> list[EventRow]: ...

    def usage(self, app: str, services: Sequence[str]) -> list[ServiceUsage]: ...

    def logs(self, app: str, query: LogQuery) -> Generator[LogItem, None, None]: ...


class LocalDayTwo:
    def __init__(self, store: Store) -> None:
        self.store = store

    def events(self, app: str, services: Sequence[str]) -> list[EventRow]:
        return app_events(self.store, app, services)

    def usage(self, app: str, services: Sequence[str]) -> list[ServiceUsage]:
        return usage.app_usage(self.store, app, services)

    def logs(self, app: str, query: LogQuery) -> Generator[LogItem, None, None]:
        return podlogs.app_logs(self.store, app, query)
