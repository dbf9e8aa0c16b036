"""Graphviz's layout of the dependency-graph picture (#16): on random graphs no edge runs
through a box, each edge joins its own services, columns stay startup waves; and every way
running dot can fail is a LayoutError that says so (the console page then falls back).
The 17-service page itself is measured in test_graph_page.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kapstan.errors import LayoutError
from kapstan.plan.graph import Graph, waves
from kapstan.web.dotlayout import dot_layout
from kapstan.web.graphlayout import edges_of, read_dot_json
from kapstan.web.svg import graph_svg
from tests.web import mesh
from tests.web.graphgeometry import read_svg, through_boxes


def test_dot_failures_are_layout_errors_that_say_what_failed() -> None:
    with pytest.raises(LayoutError, match="'no-such-dot' is not on PATH"):
        dot_layout(mesh.GRAPH, binary="no-such-dot")
    with pytest.raises(LayoutError, match="could not lay out 'mesh': exit code 1"):
        dot_layout(mesh.GRAPH, binary="false")
    with pytest.raises(LayoutError, match="took over"):
        dot_layout(mesh.GRAPH, timeout=1e-9)  # no process starts and answers within that
    with pytest.raises(LayoutError, match="cannot read"):
        read_dot_json(mesh.GRAPH, '{"objects": []}')
    with pytest.raises(LayoutError, match="no box for service 'postgres'"):
        read_dot_json(mesh.GRAPH, '{"bb": "0,0,10,10", "objects": []}')


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    """Up to 14 services: dependsOn on earlier ones (no cycle), calls anywhere, both ways."""
    names = [f"s{i}" for i in range(draw(st.integers(2, 14)))]
    depends = {
        s: tuple(draw(st.lists(st.sampled_from(names[:i]), max_size=3, unique=True))) if i else ()
        for i, s in enumerate(names)
    }
    calls = {
        s: tuple(
            draw(st.lists(st.sampled_from([t for t in names if t != s]), max_size=2, unique=True))
        )
        for s in names
    }
    return Graph("random", tuple(draw(st.permutations(names))), depends, calls)


@settings(max_examples=25, deadline=None)
@given(graphs())
def test_routed_edges_never_pass_through_a_box(graph: Graph) -> None:
    layout = dot_layout(graph)
    picture = read_svg(graph_svg(graph, layout))
    assert through_boxes(picture) == []
    assert picture.drawn_edges() == sorted(edges_of(graph))
    for wave in waves(graph):  # a column per startup wave, left to right
        assert len({layout.boxes[s].x for s in wave}) == 1
    columns = [layout.boxes[wave[0]].x for wave in waves(graph)]
    assert columns == sorted(set(columns))
