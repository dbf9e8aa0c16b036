"""Manifest patterns in kapstan.yaml: ``*`` and ``?`` within one path part, ``**`` across."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?")


def match(pattern: str, paths: Iterable[str]) -> list[str]:
    """The paths matching ``pattern``, sorted."""
    regex = _compile(pattern.removeprefix("./"))
    return sorted(p for p in paths if regex.match(p))
