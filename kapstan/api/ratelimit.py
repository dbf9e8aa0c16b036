"""Login failures per (user, client address): after ``limit`` in ``window`` seconds, 429.

Kept in memory, per process: a restart forgets it, and N replicas allow N times the
limit. That bounds password guessing well enough for a login form; argon2's cost does
the rest. A success clears the key's failures.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from kapstan.api.errors import TooManyAttempts

Clock = Callable[[], float]


class LoginLimiter:
    def __init__(self, limit: int = 5, window: float = 60.0, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, user: str, address: str) -> None:
        """Raise TooManyAttempts if this key has used up its failures."""
        with self._lock:
            recent = self._recent((user, address))
            if len(recent) >= self.limit:
                wait = self.window - (self._clock() - recent[0])
                raise TooManyAttempts(
                    f"too many failed logins for {user!r} from {address}; "
                    f"try again in {max(1, round(wait))} seconds",
                    retry_after=wait,
                )

    def failed(self, user: str, address: str) -> None:
        with self._lock:
            self._recent((user, address)).append(self._clock())

    def succeeded(self, user: str, address: str) -> None:
        with self._lock:
            self._failures.pop((user, address), None)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        cutoff = self._clock() - self.window
        found = self._failures.setdefault(key, deque())
        while found and found[0] <= cutoff:
            found.popleft()
        if len(self._failures) > 10_000:  # bound memory: forget keys with no recent failure
            for stale in [k for k, v in self._failures.items() if not v and k != key]:
                del self._failures[stale]
        return found
