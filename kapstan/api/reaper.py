"""The reaper: each server process takes over operations whose process died, and resumes them.

Every ``interval`` seconds it asks the store for RUNNING operations whose application lock
lease has expired (their process stopped renewing it: killed, or cut off from the store),
and re-runs each one's recorded request as a new operation through this process's runner
(``deploying.resume_operation``). Taking the lock over records the takeover and ends the
old operation as FAILED ("abandoned") in one transaction (``kapstan.store.locks``); two
reapers racing for one operation are served one after the other: the loser's new
operation, refused the lock, is discarded (it never started), or, finding the lock free
once the winner is done, ends "not started". A resumed operation is not asked for approval
again: it goes on under the clearance it started with (``gates.continuing``). Unchanged services are skipped by the plan, so re-running
a half-done deploy finishes it.

Settings, read from the server's environment (``create_app(environ=...)`` in tests):

    KAPSTAN_LOCK_LEASE       seconds a lock outlives its last heartbeat   (default 30)
    KAPSTAN_REAPER_INTERVAL  seconds between two sweeps (0: no reaper)    (default 5)

``ReaperLifespan`` (an ASGI middleware) starts the reaper once the app's store is open and
stops it before the store closes.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kapstan.actions.deploying import resume_operation
from kapstan.actions.journal import LEASE_SECONDS
from kapstan.api.runner import OperationRunner
from kapstan.api.state import ApiState
from kapstan.errors import ConflictError, InputError, KapstanError
from kapstan.model.operation import Step
from kapstan.store import Store

LEASE_VARIABLE = "KAPSTAN_LOCK_LEASE"
INTERVAL_VARIABLE = "KAPSTAN_REAPER_INTERVAL"
DEFAULT_INTERVAL = 5.0
log = logging.getLogger("kapstan.api.reaper")


@dataclass(frozen=True)
class ReaperSettings:
    lease: float = LEASE_SECONDS
    interval: float = DEFAULT_INTERVAL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ReaperSettings:
        return cls(
            lease=_seconds(environ, LEASE_VARIABLE, LEASE_SECONDS, zero=False),
            interval=_seconds(environ, INTERVAL_VARIABLE, DEFAULT_INTERVAL, zero=True),
        )


def _seconds(environ: Mapping[str, str], name: str, default: float, *, zero: bool) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        least = "0 or more" if zero else "more than 0"
        raise InputError(f"${name} must be a number of seconds, {least}; it is {text!r}")
    return value


class Reaper:
    """A daemon thread that sweeps for stalled operations every ``interval`` seconds."""

    def __init__(self, store: Store, runner: OperationRunner, interval: float) -> None:
        self.store = store
        self.runner = runner
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kapstan-reaper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sweep()
            except Exception:  # the loop must outlive any one sweep
                log.exception("reaper sweep failed; trying again in %s s", self.interval)

    def sweep(self) -> list[int]:
        """Resume every stalled operation; the ids of the new operations started."""
        started = []
        for app, operation_id in self.store.stalled_operations():
            if self._stop.is_set():
                break
            new = self._resume(app, operation_id)
            if new is not None:
                started.append(new)
        return started

    def _resume(self, app: str, operation_id: int) -> int | None:
        try:
            launch = self.runner.launch(
                "resume",
                lambda on_start: resume_operation(
                    self.store, operation_id, lease=self.runner.lease, on_start=on_start
                ),
            )
        except ConflictError as exc:  # another process was first
            log.info("operation %s of %s not resumed here: %s", operation_id, app, exc)
            return None
        except KapstanError as exc:  # nothing to re-run (no request, template gone...)
            reason = f"abandoned: its process stopped renewing the lock; not resumed: {exc}"
            self.store.finish_operation(operation_id, Step.FAILED, reason)
            log.warning("operation %s of %s %s", operation_id, app, reason)
            return None
        log.info("operation %s of %s taken over as %s", operation_id, app, launch.operation_id)
        return launch.operation_id


class ReaperLifespan:
    """Starts a ``Reaper`` after the app's lifespan opened the store; stops it before close."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.reaper: Reaper | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await anyio.to_thread.run_sync(self._stop)
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                self._start(scope["app"].state.kapstan)
            await send(message)

        await self.app(scope, receiving, sending)

    def _start(self, state: ApiState) -> None:
        settings = ReaperSettings.from_environ(
            os.environ if state.environ is None else state.environ
        )
        if state.runner is None or state.store is None:
            return
        state.runner.lease = settings.lease
        if settings.interval > 0:
            self.reaper = Reaper(state.store, state.runner, settings.interval)
            self.reaper.start()

    def _stop(self) -> None:
        if self.reaper is not None:
            self.reaper.stop()
            self.reaper = None
