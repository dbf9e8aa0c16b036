"""Durations as people type them: ``90``, ``90s``, ``5m``, ``1h``, ``1h30m``, ``1.5s``.

Plain numbers are seconds (what ``--timeout`` always took). Units are those of Go's and
kubectl's durations that make sense for a wait: ``ms``, ``s``, ``m``, ``h``; parts add up,
largest unit first, each unit once. Pure: the CLI turns the error into a usage error.
"""

from __future__ import annotations

import math
import re

from kapstan.errors import InputError

UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_ORDER = ("h", "m", "s", "ms")
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
EXAMPLES = "90, 90s, 5m, 1h, 1h30m"


def parse_duration(text: str) -> float:
    """Seconds in ``text``; InputError saying what is wrong and what would do."""
    given = text.strip()
    if _NUMBER.fullmatch(given):
        return _finite(float(given), text)
    position, total, seen = 0, 0.0, -1
    for match in _PART.finditer(given):
        if match.start() != position:
            break
        rank = _ORDER.index(match.group(2))
        if rank <= seen:
            raise InputError(
                f"{text!r}: units must go from largest to smallest, each once (e.g. 1h30m)"
            )
        seen, position = rank, match.end()
        total += float(match.group(1)) * UNITS[match.group(2)]
    if not given or position != len(given):
        raise InputError(f"{text!r} is not a duration; give seconds or e.g. {EXAMPLES}")
    return _finite(total, text)


def _finite(seconds: float, text: str) -> float:
    if not math.isfinite(seconds):
        raise InputError(f"{text!r} is too long a duration")
    return seconds
