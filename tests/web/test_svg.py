"""The graph picture: golden SVG text (on the column layout, which needs no Graphviz), and
the layout rules both layouts follow."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kapstan.plan.graph import Graph
from kapstan.web.dotlayout import dot_layout
from kapstan.web.graphlayout import Layout, column_layout
from kapstan.web.sidebyside import Row, side_by_side
from kapstan.web.svg import graph_svg

GOLDEN = Path(__file__).parent / "golden"
SHOP = Graph(
    "shop",
    ("db", "api", "web", "cache", "worker"),
    {"db": (), "api": ("db", "cache"), "web": ("api",), "cache": (), "worker": ("db",)},
    {"db": (), "api": ("db",), "web": ("api", "worker"), "cache": (), "worker": ("api",)},
)


@pytest.mark.parametrize(
    ("name", "graph", "health"),
    [
        ("shop", SHOP, {"db": "healthy", "api": "progressing", "web": "failed"}),
        ("empty", Graph("empty", (), {}, {}), {}),
        ("escaped", Graph("<x>", ("a&b",), {"a&b": ()}, {"a&b": ()}), {}),
    ],
)
def test_svg_matches_golden(name: str, graph: Graph, health: dict[str, str]) -> None:
    text = graph_svg(graph, column_layout(graph), health)
    path = GOLDEN / f"{name}.svg"
    if os.environ.get("KAPSTAN_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"regenerate with KAPSTAN_UPDATE_GOLDEN=1 if intended: {path}"


@pytest.mark.parametrize("lay_out", [column_layout, dot_layout])
def test_columns_follow_startup_waves(lay_out: Callable[[Graph], Layout]) -> None:
    boxes = lay_out(SHOP).boxes
    assert boxes["db"].x == boxes["cache"].x < boxes["api"].x == boxes["worker"].x < boxes["web"].x
    assert column_layout(SHOP).boxes["db"].y < column_layout(SHOP).boxes["cache"].y


@pytest.mark.parametrize("lay_out", [column_layout, dot_layout])
def test_edges_solid_for_depends_on_dashed_for_calls(lay_out: Callable[[Graph], Layout]) -> None:
    text = graph_svg(SHOP, lay_out(SHOP))
    depends = [line for line in text.splitlines() if 'class="edge dependsOn"' in line]
    calls = [line for line in text.splitlines() if 'class="edge calls"' in line]
    assert len(depends) == 4 and not any("dasharray" in line for line in depends)
    assert len(calls) == 4 and all('stroke-dasharray="6 4"' in line for line in calls)
    escaped = graph_svg(Graph("<x>", (), {}, {}), lay_out(Graph("<x>", (), {}, {})))
    assert "&lt;x&gt;" in escaped and "<x>" not in escaped


def test_side_by_side_pairs_changed_lines() -> None:
    rows = side_by_side("a\nb\nc\n", "a\nB\nc\nd\n")
    assert rows == [
        Row("equal", 1, "a", 1, "a"),
        Row("replace", 2, "b", 2, "B"),
        Row("equal", 3, "c", 3, "c"),
        Row("insert", None, None, 4, "d"),
    ]
