"""Failpoints: named places in the engine where a crash test can stop a real process.

The idea of etcd's gofail, in a few lines. Inert unless ``$KAPSTAN_FAILPOINTS`` is set
when the process starts; then ``hit(name)`` looks the name up and acts:

    KAPSTAN_FAILPOINTS="after-apply:db:0=pause;wait:api=exit"

    pause   tell the test (below), then sleep until the process is killed (kill -9), or
            end it as ``exit`` does after PAUSE_LIMIT seconds, so a test that failed
            to kill it leaves nothing running
    exit    tell the test, then end the process at once (exit code 137, as kill -9 would)

Telling the test: the name is appended as a line to the file named by
``$KAPSTAN_FAILPOINT_MARKER`` (if set) and printed to stderr, so a test waits for it and
then kills the process at exactly that point.

The points (``SERVICE`` a service name, ``I`` the index of an object in apply order,
``N`` the index of the wave about to start):

    planning                 the plan is made, nothing applied yet
    before-apply:SERVICE:I   before the I-th object of SERVICE is applied
    after-apply:SERVICE:I    after it was applied
    wait:SERVICE             SERVICE is applied; its readiness wait starts
    wave:N                   wave N starts (N > 0: the waves before it have ended)
    rollout-deploying:ENV    a rollout's deploy in environment ENV has its operation
                             (running, its lock held), before the engine starts
                             (``actions.rolloutrun``)
"""

from __future__ import annotations

import os
import sys
import time

VARIABLE = "KAPSTAN_FAILPOINTS"
MARKER_VARIABLE = "KAPSTAN_FAILPOINT_MARKER"
ACTIONS = frozenset({"pause", "exit"})
PAUSE_LIMIT = 600.0


def _parse(text: str) -> dict[str, str]:
    points: dict[str, str] = {}
    for part in text.replace(",", ";").split(";"):
        name, _, action = part.strip().partition("=")
        if not name:
            continue
        action = action.strip() or "pause"
        if action not in ACTIONS:
            raise ValueError(
                f"${VARIABLE}: failpoint {name!r} has unknown action {action!r} "
                f"(known: {', '.join(sorted(ACTIONS))})"
            )
        points[name.strip()] = action
    return points


# Read once: with the variable unset, every hit() is one dict truthiness test.
_POINTS: dict[str, str] = _parse(os.environ.get(VARIABLE, ""))


def hit(name: str) -> None:
    """Act if failpoint ``name`` is armed; nothing otherwise."""
    if not _POINTS:
        return
    action = _POINTS.get(name)
    if action is None:
        return
    _announce(name)
    if action == "pause":
        time.sleep(PAUSE_LIMIT)  # the test kills us here
    os._exit(137)


def _announce(name: str) -> None:
    marker = os.environ.get(MARKER_VARIABLE)
    if marker:
        with open(marker, "a", encoding="utf-8") as out:
            out.write(name + "\n")
    print(f"failpoint {name} reached", file=sys.stderr, flush=True)
