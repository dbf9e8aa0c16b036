"""A clock a test moves instead of waiting for wall time (``kapstan.engine.ports.Clock``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from kapstan.actions.clock import SYSTEM_CLOCK


class ShiftedClock:
    """Wall time plus what the test ``advance``d: for an engine driving a real cluster.

    Pauses really pause (the cluster needs the time to act); only the engine's sense of
    "later" moves, so a retirement mark or a deadline falls due without a test sleep.
    """

    def __init__(self) -> None:
        self.offset = 0.0

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def monotonic(self) -> float:
        return SYSTEM_CLOCK.monotonic() + self.offset

    def now(self) -> datetime:
        return SYSTEM_CLOCK.now() + timedelta(seconds=self.offset)

    def sleep(self, seconds: float) -> None:
        SYSTEM_CLOCK.sleep(seconds)
