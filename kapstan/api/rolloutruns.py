"""Rollouts run in background threads; readers wait for their next change (a long poll).

A rollout runs for minutes (each environment's deploy, the canary's soak), so the request
that starts or resumes one answers at once and ``RolloutRuns.launch`` goes on in a thread.
Every step it records wakes the readers waiting in ``wait_change``, which re-read the store:
the store is the truth, so a reader on another replica still sees each change, at the
latest when its wait ends.

On shutdown (``RolloutLifespan``, before the store closes) every run is told to start no
new environment (``halt``); the environments in flight get up to ``wait`` seconds to
finish, and each run then lets go of its rollout, which reads interrupted at once and
resumes elsewhere (``kapstan rollout resume``). A run still deploying when the wait ends
dies with the process: its lease expires within ``journal.LEASE_SECONDS`` and the same
resume picks it up (its deploy's own operation is taken over by the engine). Nothing is
resumed automatically when a server starts: a rollout goes on only when someone asks (it
may have been stopped on purpose, and its approvals belong to people), while the reaper
(``api.reaper``) already finishes any half-done deploy operation.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import anyio
from fastapi import Request
from starlette.datastructures import State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kapstan.errors import KapstanError

log = logging.getLogger("kapstan.api")
# work(progress, halt): a run that starts nothing new once ``halt`` is set.
Work = Callable[[Callable[[str, str, str], None], threading.Event], object]
SHUTDOWN_WAIT = 30.0  # seconds a stopping server gives the environments in flight


class RolloutRuns:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._generation = 0
        self._threads: set[threading.Thread] = set()
        self.halt = threading.Event()  # set on shutdown: no new environment starts

    def launch(self, rollout_id: int, work: Work) -> None:
        """Run ``work(progress, halt)`` in a thread; each ``progress`` call wakes the readers."""

        def run() -> None:
            try:
                work(lambda *_: self.changed(), self.halt)
            except KapstanError as exc:  # recorded on the rollout by the action
                log.info("rollout %s stopped: %s", rollout_id, exc)
            except BaseException:  # a thread must not die silently
                log.exception("rollout %s failed unexpectedly", rollout_id)
            finally:
                with self._changed:
                    self._threads.discard(threading.current_thread())
                self.changed()

        thread = threading.Thread(target=run, name=f"kapstan-rollout-{rollout_id}", daemon=True)
        with self._changed:
            self._threads.add(thread)
        thread.start()

    def changed(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def wait_change(self, timeout: float) -> None:
        """Return at the next change, or after ``timeout`` seconds."""
        with self._changed:
            seen = self._generation
            self._changed.wait_for(lambda: self._generation != seen, timeout=timeout)

    def running(self) -> int:
        with self._changed:
            return len(self._threads)

    def stop(self, wait: float = SHUTDOWN_WAIT) -> None:
        """Halt every run and wait up to ``wait`` seconds for them to let go."""
        self.halt.set()
        deadline = time.monotonic() + wait
        with self._changed:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self.running():
            log.warning("%s rollout run(s) still deploying at shutdown", self.running())


_CREATE = threading.Lock()


def rollout_runs(request: Request) -> RolloutRuns:
    """The app's one RolloutRuns, made on first use."""
    return _runs_of(request.app.state)


def _runs_of(state: State) -> RolloutRuns:
    with _CREATE:
        runs = getattr(state, "kapstan_rollouts", None)
        if runs is None:
            runs = RolloutRuns()
            state.kapstan_rollouts = runs
    assert isinstance(runs, RolloutRuns)
    return runs


class RolloutLifespan:
    """On the server's shutdown, before the store closes: ``RolloutRuns.stop(wait)``."""

    def __init__(self, app: ASGIApp, wait: float = SHUTDOWN_WAIT) -> None:
        self.app = app
        self.wait = wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        runs = _runs_of(scope["app"].state)

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await anyio.to_thread.run_sync(lambda: runs.stop(self.wait))
            return message

        await self.app(scope, receiving, send)
