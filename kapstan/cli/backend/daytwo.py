"""An application read live, for ``app events|logs|top``; on the local store or a server.

Locally the actions read the environment's cluster with its kubeconfig; remotely the
server does, and its answers are decoded back into the same records (``EventRow``,
``ServiceUsage``, ``LogLine``/``LogNotice``), so the commands print both alike. Remote logs
are the server's event stream (``GET /applications/{app}/logs``), never reconnected (a
reconnect would show the lines again).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any, Protocol
from urllib.parse import urlencode

from kapstan import errors
from kapstan.actions import podlogs, usage
from kapstan.actions.diagnose import EventRow, app_events
from kapstan.actions.podlogs import LogItem, LogLine, LogNotice, LogQuery
from kapstan.actions.usage import PodUsage, ServiceUsage
from kapstan.client import decode
from kapstan.client.http import ApiClient, path
from kapstan.schemas.diagnosis import EventOut, LogLineOut, LogNoticeOut, ServiceUsageOut
from kapstan.store import Store

# A follow may be quiet for long; the server pings every 15 s, so this only catches a
# server that went away without closing the stream.
READ_TIMEOUT = 60.0


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


class RemoteDayTwo:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def events(self, app: str, services: Sequence[str]) -> list[EventRow]:
        data = self.client.get(path("applications", app, "events"), service=list(services))
        return [_event(decode.parse(EventOut, x)) for x in data]

    def usage(self, app: str, services: Sequence[str]) -> list[ServiceUsage]:
        data = self.client.get(path("applications", app, "top"), service=list(services))
        return [_usage(decode.parse(ServiceUsageOut, x)) for x in data]

    def logs(self, app: str, query: LogQuery) -> Generator[LogItem, None, None]:
        params: list[tuple[str, Any]] = [("service", s) for s in query.services]
        params += [("follow", str(query.follow).lower()), ("previous", str(query.previous).lower())]
        if query.since_seconds is not None:
            params.append(("since", f"{query.since_seconds}s"))
        if query.tail is not None:
            params.append(("tail", query.tail))
        url = f"{path('applications', app, 'logs')}?{urlencode(params)}"
        for event in self.client.events(url, timeout=READ_TIMEOUT, reconnects=0):
            if event.name == "line":
                yield LogLine(**decode.parse(LogLineOut, event.data).model_dump())
            elif event.name == "notice":
                yield LogNotice(**decode.parse(LogNoticeOut, event.data).model_dump())
            elif event.name == "error":
                detail = event.data if isinstance(event.data, dict) else {}
                raise errors.ClusterError(str(detail.get("message") or event.data))


def _event(x: EventOut) -> EventRow:
    return EventRow(x.type, x.reason, x.object, x.message, x.count, x.when, x.service)


def _usage(x: ServiceUsageOut) -> ServiceUsage:
    pods = [PodUsage(p.pod, p.cpu_millicores, p.memory_bytes, p.window) for p in x.pods]
    return ServiceUsage(x.service, pods)
