"""``Lru``: a small bounded, thread-safe cache for pure work on immutable inputs.

For results that depend only on their key (a template's content digest, say): a hit is
exactly what the work would give again, so no entry ever needs invalidating. Bounded by a
number of entries and by a total weight (the caller's measure, e.g. bytes), least recently
used first out. A result heavier than the whole budget is returned but not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Lru(Generic[K, V]):
    def __init__(self, max_entries: int, max_weight: int, weigh: Callable[[V], int]) -> None:
        self._max_entries = max_entries
        self._max_weight = max_weight
        self._weigh = weigh
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: K, make: Callable[[], V]) -> V:
        """The value kept for ``key``, else ``make()`` (outside the lock), kept for next time.

        Two threads missing the same key at once both make it: the work is pure, so either
        result is right; the later one is kept.
        """
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[0]
        value = make()
        self._keep(key, value, self._weigh(value))
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._weight = 0

    def _keep(self, key: K, value: V, weight: int) -> None:
        if weight > self._max_weight:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._weight -= old[1]
            self._entries[key] = (value, weight)
            self._weight += weight
            while len(self._entries) > self._max_entries or self._weight > self._max_weight:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._weight -= dropped
