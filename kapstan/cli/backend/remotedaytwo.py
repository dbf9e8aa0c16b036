"""An application read live (events, logs, usage) on a Kapstan server: its answers decoded back into the local side's records.

Apart from ``kapstan.cli.backend.daytwo`` so that the local commands load neither the API's
schemas nor the HTTP client.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any
from urllib.parse import urlencode

from kapstan import errors
from kapstan.actions.diagnose import EventRow
from kapstan.actions.podlogs import LogItem, LogLine, LogNotice, LogQuery
from kapstan.actions.usage import PodUsage, ServiceUsage
from kapstan.client import decode
from kapstan.client.http import ApiClient, path
from kapstan.schemas.diagnosis import EventOut, LogLineOut, LogNoticeOut, ServiceUsageOut

# A follow may be quiet for long; the server pings every 15 s, so this only catches a
# server that went away without closing the stream.
# A follow may be quiet for long; the server pings every 15 s, so this only catches a
# server that went away without closing the stream.
READ_TIMEOUT = 60.0


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
