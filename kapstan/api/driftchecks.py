"""The server's periodic drift check: every application, checked by one process per interval.

Every ``interval`` seconds each server process (``--workers N``, replicas on one store)
walks the applications and claims each one's next check in the store
(``store.drift``): whichever process claims an application first checks it, the others
skip it until the interval has passed again. A check records each service's drift and,
where the environment has self-heal on, heals it (``actions.drift.check_and_heal``: a
deploy operation by ``kapstan:self-heal``, audited). One application failing (its cluster
unreachable) is logged and the round goes on.

    KAPSTAN_DRIFT_INTERVAL   seconds between two rounds (0: no check)   (default 0;
                             ``kapstan server --drift-interval`` sets it, 60 s by default)

``DriftLifespan`` (an ASGI middleware) starts the checker once the app's store is open and
stops it before the store closes. ``wake`` starts a round at once (a test need not wait).
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kapstan.actions.drift import DriftReport, check_and_heal
from kapstan.actions.status import Connector
from kapstan.api.reaper import _seconds
from kapstan.api.state import ApiState
from kapstan.errors import KapstanError
from kapstan.store import Store

INTERVAL_VARIABLE = "KAPSTAN_DRIFT_INTERVAL"
# A round that starts a little early (the last one ran long) still finds its claims due.
SLACK = 0.1
log = logging.getLogger("kapstan.api.drift")


class DriftChecker:
    """A daemon thread that checks every application for drift every ``interval`` seconds."""

    def __init__(self, store: Store, interval: float, clients: Connector) -> None:
        self.store = store
        self.interval = interval
        self.clients = clients
        self.rounds = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._done = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="kapstan-drift", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def wake(self) -> None:
        """Start a round now rather than at the end of the interval."""
        self._wake.set()

    def wait_rounds(self, count: int, timeout: float) -> bool:
        """Block until ``count`` rounds have finished (False when ``timeout`` ran out)."""
        with self._done:
            return self._done.wait_for(lambda: self.rounds >= count, timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.round()
            except Exception:  # the loop must outlive any one round (the store away...)
                log.exception("drift round failed; trying again in %s s", self.interval)
            with self._done:
                self.rounds += 1
                self._done.notify_all()

    def round(self) -> list[DriftReport]:
        """Check each application this process claims; the reports of those it checked."""
        since = self.store.now() - timedelta(seconds=self.interval * (1 - SLACK))
        reports = []
        # An application no deploy ever wrote has nothing live to compare: it is neither
        # claimed nor checked. Claiming (a write) and checking it (seven reads) cost 14 s of
        # CPU per round at 1,000 such applications, taken from the server's requests.
        revised = self.store.revised_applications()
        for application in self.store.list_applications():
            if self._stop.is_set():
                break
            if application.name not in revised:
                continue
            try:
                if not self.store.claim_drift_check(application.name, since=since):
                    continue  # another process checks it this interval
                reports.append(check_and_heal(self.store, application.name, clients=self.clients))
            except KapstanError as exc:
                log.warning("drift check of %s failed: %s", application.name, exc)
        return reports


class DriftLifespan:
    """Starts a ``DriftChecker`` after the app's lifespan opened the store; stops it before."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        state: ApiState = scope["app"].state.kapstan

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown" and state.drift is not None:
                checker, state.drift = state.drift, None
                await anyio.to_thread.run_sync(checker.stop)
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                _start(state)
            await send(message)

        await self.app(scope, receiving, sending)


def _start(state: ApiState) -> None:
    environ = os.environ if state.environ is None else state.environ
    interval = _seconds(environ, INTERVAL_VARIABLE, 0.0, zero=True)
    if interval > 0 and state.store is not None:
        state.drift = DriftChecker(state.store, interval, state.clusters.connect)
        state.drift.start()
