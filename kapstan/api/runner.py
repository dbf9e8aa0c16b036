"""Deploys and rollbacks in background threads: a request gets its operation id at once.

``launch`` starts the work in a thread and returns as soon as the operation exists (the
action's ``on_start``), or re-raises what stopped it before that (a held lock, a policy
that rejects the services, a missing revision). The operation record in the store is the
truth for everyone else: status endpoints and the SSE stream read it, not this object.

``lease`` is how long an operation's lock outlives its last heartbeat: after that, another
server process's reaper takes the operation over (``kapstan.api.reaper``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kapstan.actions.deploying import DeployResult, OnStart
from kapstan.actions.journal import LEASE_SECONDS
from kapstan.api.metrics import Metrics
from kapstan.errors import ApprovalRequiredError, KapstanError

Work = Callable[[OnStart], DeployResult]
log = logging.getLogger("kapstan.api")


@dataclass
class Launch:
    """One background operation, as far as this process knows it."""

    kind: str
    operation_id: int | None = None
    result: DeployResult | None = None
    error: BaseException | None = None
    started: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)


class OperationRunner:
    def __init__(self, metrics: Metrics, lease: float = LEASE_SECONDS) -> None:
        self.metrics = metrics
        self.lease = lease
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()
        # Operations running in this process, each with what to call when it ends.
        self._on_end: dict[int, list[Callable[[], object]]] = {}

    def launch(self, kind: str, work: Work) -> Launch:
        """Start ``work``; return once its operation exists (or raise why it did not start)."""
        launch = Launch(kind)
        thread = threading.Thread(
            target=self._run, args=(launch, work), name=f"kapstan-{kind}", daemon=True
        )
        with self._lock:
            self._threads.add(thread)
        thread.start()
        launch.started.wait()
        if launch.operation_id is None:
            if not isinstance(launch.error, ApprovalRequiredError):  # waiting is no failure
                self.metrics.failures.labels(kind, "start").inc()
            if launch.error is not None:
                raise launch.error
            assert launch.result is not None  # a rollback split into several operations
            launch.operation_id = launch.result.operation.id
        return launch

    def _run(self, launch: Launch, work: Work) -> None:
        begun = time.monotonic()

        def on_start(operation_id: int) -> None:
            launch.operation_id = operation_id
            with self._lock:
                self._on_end[operation_id] = []
            self.metrics.started.labels(launch.kind).inc()
            launch.started.set()

        try:
            launch.result = work(on_start)
            status = launch.result.operation.status.value
        except KapstanError as exc:
            launch.error, status = exc, "failed"
        except BaseException as exc:  # a thread must not die silently
            log.exception("%s failed unexpectedly", launch.kind)
            launch.error, status = exc, "error"
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())
        if launch.started.is_set():
            self.metrics.finished.labels(launch.kind, status).inc()
            self.metrics.duration.labels(launch.kind).observe(time.monotonic() - begun)
            if status != "succeeded":
                self.metrics.failures.labels(launch.kind, "run").inc()
        self._ended(launch.operation_id)
        launch.done.set()
        launch.started.set()

    def when_ended(self, operation_id: int, callback: Callable[[], object]) -> bool:
        """Have ``callback`` called (from the operation's thread, once its record is final)
        when an operation running in this process ends; False if it runs elsewhere or is
        over. A live stream so ends as its operation does, not at its next poll."""
        with self._lock:
            callbacks = self._on_end.get(operation_id)
            if callbacks is None:
                return False
            callbacks.append(callback)
            return True

    def _ended(self, operation_id: int | None) -> None:
        with self._lock:
            callbacks = self._on_end.pop(operation_id, []) if operation_id is not None else []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a listener gone (its event loop closed) stops no other
                log.debug("a listener of operation %s failed", operation_id, exc_info=True)

    def running(self) -> int:
        with self._lock:
            return len(self._threads)

    def join(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for running operations (on shutdown)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
