"""An application's operations: list, one with its events, its events as a live stream,
and cancelling the running one.

The stream (Server-Sent Events) polls the operation's record in the store, so it shows
operations run by any process or replica. It sends each new event once (``id`` = its index,
so a client reconnecting with ``Last-Event-ID`` resumes), then an ``end`` event when the
operation finishes; it stops by itself after ``MAX_STREAM_SECONDS`` in any case.

With ``?states=true`` it also sends a ``state`` event (ServiceStateOut JSON, no id) each
time it sees a service's step, message or revision change: what the command line prints
as progress besides the events. Seen by polling, so a state that lasted less than a poll
may be missed; the last one of each service never is.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from kapstan import schemas
from kapstan.actions.cancelling import cancel_app
from kapstan.api import convert
from kapstan.api.auth import CallerDep
from kapstan.api.pagination import WindowDep, paged
from kapstan.api.runner import OperationRunner
from kapstan.api.state import state_of
from kapstan.model.operation import ServiceState, Step
from kapstan.store import Store

router = APIRouter(prefix="/api/v1/applications", tags=["operations"])
POLL_SECONDS = 0.5
MAX_STREAM_SECONDS = 3600.0
MAX_OPERATIONS = 500


@router.get("/{app}/operations")
def list_operations(
    caller: CallerDep, app: str, at: WindowDep, deleted: bool = False
) -> schemas.Page[schemas.OperationOut]:
    """The app's operations, newest first (the last 500), without their events.

    ``deleted``: those of the last deleted application of that name."""
    if deleted:
        caller.deleted_application(app, "view")
    else:
        caller.application(app, "view")
    found = caller.store.list_operations(app, limit=MAX_OPERATIONS, deleted=deleted)
    return paged(found, at, lambda op: convert.operation(op, events=False))


@router.post("/{app}/cancel")
def cancel(caller: CallerDep, app: str) -> schemas.OperationOut:
    """Ask the app's running operation to stop at its next safe point (audited).

    Answers at once with that operation, still running: it ends ``cancelled`` when its
    process (any replica, or a CLI) next checks, between two objects or while it waits
    for readiness. 409 when no operation runs.
    """
    caller.application(app, "deploy")
    return convert.operation(cancel_app(caller.store, app, author=caller.name), events=False)


@router.get("/{app}/operations/{operation_id}")
def get_operation(
    caller: CallerDep, app: str, operation_id: schemas.StoredInt
) -> schemas.OperationOut:
    caller.operation_of(app, operation_id)
    return convert.operation(caller.store.get_operation(operation_id))


@router.get(
    "/{app}/operations/{operation_id}/events",
    response_class=EventSourceResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "event: progress (EventOut JSON) ... then event: end",
        }
    },
)
def stream_events(
    caller: CallerDep,
    request: Request,
    app: str,
    operation_id: schemas.StoredInt,
    last_event_id: Annotated[int | None, Header()] = None,
    states: bool = False,
) -> EventSourceResponse:
    caller.operation_of(app, operation_id)
    start = 0 if last_event_id is None else last_event_id + 1
    runner = state_of(request).runner
    return EventSourceResponse(_events(caller.store, operation_id, start, states, runner), ping=15)


async def _events(
    store: Store,
    operation_id: int,
    start: int,
    states: bool,
    runner: OperationRunner | None = None,
) -> AsyncIterator[ServerSentEvent]:
    sent = start
    seen: dict[str, ServiceState] = {}
    deadline = time.monotonic() + MAX_STREAM_SECONDS
    # Run by this process: told when it ends, so the stream ends then, not at its next poll.
    ended: asyncio.Event | None = None
    if runner is not None:
        loop, over = asyncio.get_running_loop(), asyncio.Event()
        if runner.when_ended(operation_id, lambda: loop.call_soon_threadsafe(over.set)):
            ended = over
    while True:
        op = await anyio.to_thread.run_sync(store.get_operation, operation_id)
        for index, event in enumerate(op.events[sent:], start=sent):
            yield ServerSentEvent(
                data=convert.event(event).model_dump_json(by_alias=True),
                event="progress",
                id=str(index),
            )
        sent = max(sent, len(op.events))
        for state in _changed(op.services, seen) if states else []:
            yield ServerSentEvent(
                data=convert.service_state(state).model_dump_json(by_alias=True), event="state"
            )
        if op.finished_at is not None or time.monotonic() > deadline:
            summary = {
                "id": op.id,
                "status": op.status.value,
                "message": op.message,
                "finished": op.finished_at is not None,
            }
            yield ServerSentEvent(data=json.dumps(summary), event="end")
            return
        if ended is None or ended.is_set():
            await anyio.sleep(POLL_SECONDS)
        else:
            with anyio.move_on_after(POLL_SECONDS):
                await ended.wait()


def _changed(
    services: tuple[ServiceState, ...], seen: dict[str, ServiceState]
) -> list[ServiceState]:
    """The service states not sent yet (a pending service has nothing to say)."""
    fresh = [s for s in services if s.step is not Step.PENDING and seen.get(s.service) != s]
    seen.update((s.service, s) for s in fresh)
    return fresh
