"""The engine reads no clock of its own: time comes through its ``Clock`` port.

A scan of kapstan/engine's syntax trees for the ways Python reads or waits on wall time
(``time``, ``asyncio.sleep``, ``datetime.now``/``utcnow``/``today``, ``date.today``). The
real clock lives at the edge (``kapstan.actions.clock``); tests move a fake one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import kapstan.engine

ENGINE = Path(kapstan.engine.__file__).parent
TIME_MODULES = frozenset({"time", "asyncio"})
NOW_METHODS = frozenset({"now", "utcnow", "today", "fromtimestamp", "utcfromtimestamp"})


def wall_clock_reads(source: str, name: str = "<source>") -> list[str]:
    """``file:line: what`` for each direct read of (or wait on) the wall clock."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [
                f"{name}:{node.lineno}: import {a.name}"
                for a in node.names
                if a.name.split(".")[0] in TIME_MODULES
            ]
        elif isinstance(node, ast.ImportFrom) and (node.module or "") in TIME_MODULES:
            found.append(f"{name}:{node.lineno}: from {node.module} import ...")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in NOW_METHODS
            and isinstance(node.value, ast.Name)
            and node.value.id in ("datetime", "date")
        ):
            found.append(f"{name}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_the_engine_reads_no_wall_clock() -> None:
    files = sorted(ENGINE.glob("*.py"))
    assert len(files) > 5
    found = [r for f in files for r in wall_clock_reads(f.read_text(), f.name)]
    assert found == [], "the engine takes time from its Clock port (engine.ports.Clock)"


def test_the_scan_finds_each_way_of_reading_the_clock() -> None:
    sample = (
        "import time\n"
        "import asyncio\n"
        "from time import monotonic\n"
        "from datetime import UTC, datetime, date\n"
        "a = datetime.now(UTC)\n"
        "b = date.today()\n"
        "c = datetime.utcnow()\n"
        "d = datetime.fromisoformat('2026-01-01')\n"  # parsing a mark reads no clock
    )
    assert [r.split(": ", 1)[1] for r in wall_clock_reads(sample)] == [
        "import time",
        "import asyncio",
        "from time import ...",
        "datetime.now",
        "date.today",
        "datetime.utcnow",
    ]
