"""Retrying temporary cluster failures: bounded exponential backoff that honours Retry-After.

Only ``ClusterUnavailableError`` (429, 5xx, refused/dropped/timed-out connections) is
retried; every other error means the request itself is wrong and is raised at once. All
the calls retried here are idempotent (get, list, server-side apply, delete).

A Retry-After holds back every request of the client (its ``Throttle``), not only the one
that was told: a deploy sends many at once, and each learning it from its own 429 would
keep an overloaded apiserver busy refusing them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from kapstan.errors import ClusterUnavailableError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: at most ``max_attempts`` calls within ``max_total`` seconds."""

    max_attempts: int = 5
    max_total: float = 30.0
    base_delay: float = 0.25
    max_delay: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None:
            return retry_after
        return float(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


ONCE = RetryPolicy(max_attempts=1)


class Throttle:
    """Until when the apiserver asked one client's requests to hold back (Retry-After)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0

    def hold(self, seconds: float, policy: RetryPolicy) -> None:
        with self._lock:
            self._until = max(self._until, policy.clock() + seconds)

    def wait(self, policy: RetryPolicy) -> None:
        """Sleep out what is left of the hold (once: the hold is bounded by ``max_total``)."""
        with self._lock:
            left = self._until - policy.clock()
        if left > 0:
            policy.sleep(left)


def call(fn: Callable[[], T], policy: RetryPolicy, throttle: Throttle | None = None) -> T:
    """Call ``fn`` until it succeeds, raises a permanent error, or the policy is spent.

    With a ``throttle``, each attempt first waits out its hold, and a Retry-After this
    call is told (and will wait out) holds back the throttle's other calls too.
    """
    started = policy.clock()
    attempt = 0
    while True:
        attempt += 1
        if throttle is not None:
            throttle.wait(policy)
        try:
            return fn()
        except ClusterUnavailableError as exc:
            wait = policy.delay(attempt, exc.retry_after)
            elapsed = policy.clock() - started
            if attempt >= policy.max_attempts or elapsed + wait > policy.max_total:
                raise _given_up(exc, attempt, elapsed) from exc
            if throttle is not None and exc.retry_after is not None:
                throttle.hold(wait, policy)
            policy.sleep(wait)


def _given_up(
    exc: ClusterUnavailableError, attempts: int, elapsed: float
) -> ClusterUnavailableError:
    if attempts == 1:
        return ClusterUnavailableError(exc.message, retry_after=exc.retry_after)
    return ClusterUnavailableError(
        f"{exc.message} (gave up after {attempts} attempts in {elapsed:.1f}s; "
        "the cluster may be overloaded or restarting: try again later)",
        retry_after=exc.retry_after,
    )
