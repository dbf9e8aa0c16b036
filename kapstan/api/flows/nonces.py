"""Webhook nonces and body digests seen recently, in memory: a replay within the window is
refused.

Per process; the audit log (every accepted webhook records both) backs it up across
restarts and replicas — see ``flows.hooks``. Entries older than the window are dropped:
a request that old is refused by its timestamp anyway.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

WINDOW_SECONDS = 300.0


class NonceCache:
    def __init__(
        self, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.time
    ) -> None:
        self.window = window
        self._clock = clock
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, key: str) -> bool:
        """Remember ``key``; False if it was seen within the window (a replay)."""
        now = self._clock()
        with self._lock:
            for old in [k for k, at in self._seen.items() if at < now - 2 * self.window]:
                del self._seen[old]
            if key in self._seen:
                return False
            self._seen[key] = now
            return True

    def discard(self, key: str) -> None:
        """Forget ``key`` (a request that was refused after it was remembered)."""
        with self._lock:
            self._seen.pop(key, None)
