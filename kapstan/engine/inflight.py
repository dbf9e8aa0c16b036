"""The bounded pool of in-flight apply requests one deploy shares across all its services.

A service holds a slot only while one of its requests is on the wire: never while it
waits for readiness, so how many services are in flight is bounded by the graph alone,
and a slow service never keeps the others from applying. Temporary refusals (429 with
Retry-After, 5xx) are retried by the cluster adapter (``kapstan.kube.retries``), which
also holds every request of the client back for the Retry-After the apiserver asked:
the pool's slots wait out an overloaded server instead of adding to its load.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from kapstan.errors import InputError

DEFAULT_SIZE = 16  # kubectl's and client-go's default burst is 10; the apiserver serves more


class ApplyPool:
    """At most ``size`` apply requests in flight at once, whoever sends them."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 1:
            raise InputError(f"max in-flight applies must be at least 1 (got {size})")
        self.size = size
        self._slots = threading.BoundedSemaphore(size)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the length of one request."""
        with self._slots:
            yield
