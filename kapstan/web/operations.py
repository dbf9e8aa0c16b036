"""An operation's page and its live progress: Server-Sent Events carrying HTML rows.

The stream polls the operation's record in the store (as the API's stream does), so it
shows operations run by any process. Each ``progress`` event is one ``<tr>`` that htmx's
sse extension appends to the events table; ``services`` replaces the per-service table
(level, step, ready/desired, elapsed, reason: the CLI's live table) when it changed; ``end``
carries the final status line and closes the stream (``sse-close="end"``). ``after`` (or
``Last-Event-ID``) skips the events the page already shows. Without JavaScript the page
shows what has happened so far and a reload shows more.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Request, Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from kapstan.actions import appviews
from kapstan.errors import KapstanError, NotFoundError
from kapstan.model.operation import Operation
from kapstan.plan.progress import ServiceRow, board_of, elapsed_text, levels_of, moment
from kapstan.store import Store
from kapstan.web.common import PageRoute, ViewerDep, render, web_of

router = APIRouter(route_class=PageRoute)
POLL_SECONDS = 0.5
MAX_STREAM_SECONDS = 3600.0


def service_rows(op: Operation, levels: Mapping[str, int]) -> list[tuple[ServiceRow, str]]:
    """The services table: each row and its elapsed time, as the CLI's live table shows them."""
    now = datetime.now(UTC)
    board = board_of(op, levels, now=now)
    until = moment(op.finished_at or now)
    return [(row, elapsed_text(row.elapsed(until))) for row in board.rows()]


def app_levels(store: Store, app: str) -> dict[str, int]:
    """Each service's dependency level; none for a deleted app (its template is not read)."""
    try:
        return levels_of(appviews.app_graph(store, app))
    except KapstanError:
        return {}


@router.get("/apps/{app}/operations/{operation_id}")
def operation_page(request: Request, viewer: ViewerDep, app: str, operation_id: int) -> Response:
    viewer.caller.operation_of(app, operation_id)
    try:
        application = viewer.caller.store.get_application(app)
    except NotFoundError:  # its delete operation (or an older one) of a deleted app
        application = viewer.caller.store.get_deleted_application(app)
    op = viewer.caller.store.get_operation(operation_id)
    return render(
        request,
        "operation.html",
        app=application,
        op=op,
        services=service_rows(op, app_levels(viewer.caller.store, app)),
        may_rollback=viewer.caller.can(application.environment, "rollback"),
    )


@router.get("/apps/{app}/operations/{operation_id}/stream")
def operation_stream(
    request: Request,
    viewer: ViewerDep,
    app: str,
    operation_id: int,
    after: int = 0,
    last_event_id: Annotated[int | None, Header()] = None,
) -> Response:
    viewer.caller.operation_of(app, operation_id)
    start = max(after, 0 if last_event_id is None else last_event_id + 1)
    templates = web_of(request).templates

    def row(op: Operation, index: int) -> str:
        return templates.get_template("_event.html").render(event=op.events[index])

    def end(op: Operation) -> str:
        return templates.get_template("_opstatus.html").render(op=op)

    levels = app_levels(viewer.caller.store, app)

    def services(op: Operation) -> str:
        return templates.get_template("_services.html").render(services=service_rows(op, levels))

    stream = _events(viewer.caller.store, operation_id, start, row, end, services)
    return EventSourceResponse(stream, ping=15)


async def _events(
    store: Store,
    operation_id: int,
    start: int,
    row: Callable[[Operation, int], str],
    end: Callable[[Operation], str],
    services: Callable[[Operation], str],
) -> AsyncIterator[ServerSentEvent]:
    sent = start
    shown = ""
    deadline = time.monotonic() + MAX_STREAM_SECONDS
    while True:
        op = await anyio.to_thread.run_sync(store.get_operation, operation_id)
        for index in range(sent, len(op.events)):
            yield ServerSentEvent(data=row(op, index), event="progress", id=str(index))
        sent = max(sent, len(op.events))
        # The whole table, each read (elapsed times move): sent before ``end`` closes the
        # stream, so a finished operation shows every service's final state.
        table = services(op)
        if table != shown:
            yield ServerSentEvent(data=table, event="services")
            shown = table
        if op.finished_at is not None or time.monotonic() > deadline:
            yield ServerSentEvent(data=end(op), event="end")
            return
        await anyio.sleep(POLL_SECONDS)
