"""The graph picture: golden SVG text, and the layout rules it follows."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kapstan.plan.graph import Graph
from kapstan.web.sidebyside import Row, side_by_side
from kapstan.web.svg import graph_svg, layout

GOLDEN = Path(__file__).parent / "golden"
SHOP = Graph("shop", ("db", "api", "web", "cache", "worker"),
             {"db": (), "api": ("db", "cache"), "web": ("api",), "cache": (), "worker": ("db",)},
             {"db": (), "api": ("db",), "web": ("api", "worker"), "cache": (), "worker": ("api",)})  # fmt: skip


@pytest.mark.parametrize(("name", "graph", "health"), [
    ("shop", SHOP, {"db": "healthy", "api": "progressing", "web": "failed"}),
    ("empty", Graph("empty", (), {}, {}), {}),
    ("escaped", Graph("<x>", ("a&b",), {"a&b": ()}, {"a&b": ()}), {}),
])  # fmt: skip
def test_svg_matches_golden(name: str, graph: Graph, health: dict[str, str]) -> None:
    text = graph_svg(graph, health)
    path = GOLDEN / f"{name}.svg"
    if os.environ.get("KAPSTAN_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"regenerate with KAPSTAN_UPDATE_GOLDEN=1 if intended: {path}"


def test_columns_follow_startup_waves() -> None:
    boxes = layout(SHOP)
    assert boxes["db"].x == boxes["cache"].x < boxes["api"].x == boxes["worker"].x < boxes["web"].x
    assert boxes["db"].y < boxes["cache"].y


def test_edges_solid_for_depends_on_dashed_for_calls() -> None:
    text = graph_svg(SHOP)
    depends = [line for line in text.splitlines() if 'class="edge dependsOn"' in line]
    calls = [line for line in text.splitlines() if 'class="edge calls"' in line]
    assert len(depends) == 4 and not any("dasharray" in line for line in depends)
    assert len(calls) == 4 and all('stroke-dasharray="6 4"' in line for line in calls)
    escaped = graph_svg(Graph("<x>", (), {}, {}))
    assert "&lt;x&gt;" in escaped and "<x>" not in escaped


def test_side_by_side_pairs_changed_lines() -> None:
    rows = side_by_side("a\nb\nc\n", "a\nB\nc\nd\n")
    assert rows == [
        Row("equal", 1, "a", 1, "a"), Row("replace", 2, "b", 2, "B"),
        Row("equal", 3, "c", 3, "c"), Row("insert", None, None, 4, "d"),
    ]  # fmt: skip
