"""Rollouts run in background threads; readers wait for their next change (a long poll).

A rollout runs for minutes (each environment's deploy, the canary's soak), so the request
that starts or resumes one answers at once and ``RolloutRuns.launch`` goes on in a thread.
Every step it records wakes the readers waiting in ``wait_change``, which re-read the store:
the store is the truth, so a reader on another replica still sees each change, at the
latest when its wait ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from fastapi import Request

from kapstan.errors import KapstanError

log = logging.getLogger("kapstan.api")
Work = Callable[[Callable[[str, str, str], None]], object]


class RolloutRuns:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._generation = 0
        self._threads: set[threading.Thread] = set()

    def launch(self, rollout_id: int, work: Work) -> None:
        """Run ``work(progress)`` in a thread; each ``progress`` call wakes the readers."""

        def run() -> None:
            try:
                work(lambda *_: self.changed())
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


_CREATE = threading.Lock()


def rollout_runs(request: Request) -> RolloutRuns:
    """The app's one RolloutRuns, made on first use."""
    state = request.app.state
    with _CREATE:
        runs = getattr(state, "kapstan_rollouts", None)
        if runs is None:
            runs = RolloutRuns()
            state.kapstan_rollouts = runs
    assert isinstance(runs, RolloutRuns)
    return runs
