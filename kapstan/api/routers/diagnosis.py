"""An application read live: its diagnosis, events, logs (a stream) and CPU/memory use.

``GET /logs`` is a Server-Sent Events stream: ``line`` events (``LogLineOut`` JSON, merged
by time), ``notice`` events (a container with no log, a pod followed), then ``end``; a
failure after the stream started is an ``error`` event (``{"type", "message"}``, as the
API's error body) followed by ``end``. With ``follow=true`` it lasts until the client goes
away, or ``MAX_FOLLOW_SECONDS``. Logs use a client of their own, closed with the stream
(a kept client could not be closed under its other users).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from kapstan.actions import podlogs, usage
from kapstan.actions.diagnose import MAX_APP_EVENTS, app_events, app_scope, diagnose
from kapstan.actions.podlogs import LogItem, LogLine, LogQuery, LogTail
from kapstan.api.auth import CallerDep
from kapstan.api.state import clusters_of
from kapstan.errors import KapstanError
from kapstan.schemas.diagnosis import (
    DiagnosisOut,
    EventOut,
    LogLineOut,
    LogNoticeOut,
    PodUsageOut,
    ServiceUsageOut,
)

router = APIRouter(prefix="/api/v1/applications", tags=["applications"])
ServicesQuery = Annotated[list[str] | None, Query(description="Only these services (repeatable).")]
POLL_SECONDS = 0.5


@router.get("/{app}/diagnosis")
def diagnosis(request: Request, caller: CallerDep, app: str) -> list[DiagnosisOut]:
    """Per service: its pods, its recent events (Warning first) and its failing containers'
    last log lines, as the console shows them; ``error`` when the cluster cannot be read."""
    caller.application(app, "view")
    found = diagnose(caller.store, app, clients=clusters_of(request).connect)
    return [DiagnosisOut.model_validate(asdict(d)) for d in found.values()]


@router.get("/{app}/events")
def events(
    request: Request,
    caller: CallerDep,
    app: str,
    service: ServicesQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_APP_EVENTS)] = MAX_APP_EVENTS,
) -> list[EventOut]:
    """The events of the services' objects and pods: Warning first, newest first."""
    caller.application(app, "view")
    found = app_events(
        caller.store, app, service or [], clients=clusters_of(request).connect, limit=limit
    )
    return [EventOut.model_validate(asdict(e)) for e in found]


@router.get("/{app}/top")
def top(
    request: Request, caller: CallerDep, app: str, service: ServicesQuery = None
) -> list[ServiceUsageOut]:
    """CPU (millicores) and memory (bytes) per service and pod, from the metrics API;
    502 naming the environment when its cluster serves none."""
    caller.application(app, "view")
    found = usage.app_usage(caller.store, app, service or [], clients=clusters_of(request).connect)
    return [
        ServiceUsageOut(
            service=u.service,
            cpu_millicores=u.cpu_millicores,
            memory_bytes=u.memory_bytes,
            pods=[PodUsageOut.model_validate(asdict(p)) for p in u.pods],
        )
        for u in found
    ]


@router.get(
    "/{app}/logs",
    response_class=EventSourceResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "event: line (LogLineOut JSON) | notice | error ... then event: end",
        }
    },
)
def logs(
    caller: CallerDep,
    app: str,
    service: ServicesQuery = None,
    follow: bool = False,
    since: Annotated[str | None, Query(description="A duration: 90s, 10m, 1h30m.")] = None,
    tail: Annotated[int | None, Query(ge=0, le=podlogs.MAX_TAIL)] = None,
    previous: bool = False,
) -> EventSourceResponse:
    caller.application(app, "view")
    query = LogQuery(
        services=tuple(service or ()),
        follow=follow,
        since_seconds=podlogs.since_seconds(since) if since else None,
        tail=tail,
        previous=previous,
    )
    app_scope(caller.store, app, query.services)  # an unknown service: 422 before streaming
    store = caller.store
    return EventSourceResponse(
        log_events(lambda: podlogs.open_logs(store, app, query), sse_of), ping=15
    )


def sse_of(item: LogItem) -> ServerSentEvent:
    if isinstance(item, LogLine):
        return ServerSentEvent(
            data=LogLineOut.model_validate(asdict(item)).model_dump_json(by_alias=True),
            event="line",
        )
    return ServerSentEvent(
        data=LogNoticeOut.model_validate(asdict(item)).model_dump_json(by_alias=True),
        event="notice",
    )


async def log_events(
    opener: Callable[[], LogTail], event_of: Callable[[LogItem], ServerSentEvent]
) -> AsyncIterator[ServerSentEvent]:
    """A tail's items as events, polled from a worker thread; closed when the stream ends
    or the client goes away. Shared with the console's live tail (HTML events)."""
    try:
        tail = await anyio.to_thread.run_sync(opener)
    except KapstanError as exc:
        yield _error(exc)
        yield ServerSentEvent(data="{}", event="end")
        return
    try:
        while (got := await anyio.to_thread.run_sync(tail.poll, POLL_SECONDS)) is not None:
            for item in got:
                yield event_of(item)
        yield ServerSentEvent(data="{}", event="end")
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(tail.close)


def _error(exc: KapstanError) -> ServerSentEvent:
    body = json.dumps({"type": type(exc).__name__, "message": exc.message})
    return ServerSentEvent(data=body, event="error")
