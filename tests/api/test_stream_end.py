"""An operation's live stream ends when the operation does, not at its next poll.

The stream polls the store (it shows operations any replica runs); for one this process
runs, the runner tells it the moment the operation's record is final. The poll here is an
hour long: only that word can end the stream.
"""

from __future__ import annotations

import threading

import anyio
import pytest

from kapstan.actions.deploying import DeployResult, OnStart
from kapstan.api.routers import operations
from kapstan.api.runner import OperationRunner, Work
from kapstan.errors import KapstanError
from kapstan.model.operation import Step
from kapstan.store import Store
from tests.api.conftest import Api

BOUND = 60.0  # seconds the test waits at most; the poll is 3,600


def _held_operation(store: Store, release: threading.Event) -> Work:
    """A background operation that starts, logs one line and ends once released."""

    def work(on_start: OnStart) -> DeployResult:
        op = store.start_operation("shop", "deploy", author="dana", services=["api"])
        store.record_event(op.id, status="running", message="started")
        on_start(op.id)
        if not release.wait(BOUND):
            raise KapstanError("never released")
        store.finish_operation(op.id, Step.FAILED, "released")
        raise KapstanError("released")  # the runner records a failed run; the row says so

    return work


def test_a_stream_ends_when_the_operation_it_follows_ends(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(operations, "POLL_SECONDS", 3600.0)
    runner = api.state.runner
    assert isinstance(runner, OperationRunner)
    release = threading.Event()
    launch = runner.launch("deploy", _held_operation(api.store, release))
    assert launch.operation_id is not None
    seen: list[str] = []

    async def follow() -> None:
        with anyio.fail_after(BOUND):
            stream = operations._events(api.store, launch.operation_id or 0, 0, False, runner)
            async for event in stream:
                seen.append(event.event or "")
                if len(seen) == 1:  # the first poll saw it running: now it may end
                    release.set()

    try:
        anyio.run(follow)
    finally:
        release.set()
    assert seen == ["progress", "end"]
    assert launch.done.wait(BOUND)


def test_the_runner_tells_of_the_end_once_and_only_while_the_operation_runs(api: Api) -> None:
    runner = api.state.runner
    assert isinstance(runner, OperationRunner)
    release = threading.Event()
    launch = runner.launch("deploy", _held_operation(api.store, release))
    op = launch.operation_id or 0
    told: list[int] = []
    assert runner.when_ended(op, lambda: told.append(op))
    assert told == []  # still running
    release.set()
    assert launch.done.wait(BOUND)
    assert told == [op]
    assert not runner.when_ended(op, lambda: told.append(op))  # over: the store says so
    assert api.store.get_operation(op).status is Step.FAILED
