"""The real clock the engine runs on: wall time, read here at the edge, never in the engine."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class SystemClock:
    """``kapstan.engine.ports.Clock`` over ``time`` and ``datetime``."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()
