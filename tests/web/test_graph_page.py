"""The console's dependency-graph picture of a 17-service application (#16): laid out by
Graphviz, no edge runs through a box and fewer edges cross than with the straight lines the
console drew before (``graphgeometry.straight_line_svg``, measured the same way)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web import mesh
from tests.web.conftest import Console
from tests.web.graphgeometry import crossings, read_svg, straight_line_svg, through_boxes


@pytest.fixture
def mesh_page(console: Console) -> str:
    """The console's page of application ``mesh`` (17 services) in environment dev."""
    body = {"name": mesh.NAME, "files": mesh.template_files(), "message": "17 services"}
    assert console.api.post("/api/v1/templates", body).status_code == 201
    created = console.api.post(
        "/api/v1/applications", {"name": mesh.NAME, "template": mesh.NAME, "environment": "dev"}
    )
    assert created.status_code == 201, created.text
    page = console.get(f"/ui/apps/{mesh.NAME}", "dana")
    assert page.status_code == 200, page.text
    return page.text


def test_no_edge_on_the_page_passes_through_another_box(mesh_page: str) -> None:
    picture = read_svg(mesh_page)
    assert set(picture.boxes) == set(mesh.DEPENDS)
    assert picture.drawn_edges() == mesh.edges()  # each edge between its own two boxes
    assert through_boxes(picture) == []
    assert 'id="graph-note"' not in mesh_page  # laid out by Graphviz, not the fallback
    assert through_boxes(read_svg(straight_line_svg(mesh.GRAPH)))  # the former picture's did


def test_page_crosses_fewer_edges_than_straight_lines(mesh_page: str) -> None:
    routed = crossings(read_svg(mesh_page))
    straight = crossings(read_svg(straight_line_svg(mesh.GRAPH)))
    assert routed < straight, f"{routed} crossings; straight lines have {straight}"


def test_without_graphviz_the_page_draws_straight_lines_and_says_why(
    console: Console, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no dot on it
    page = console.get("/ui/apps/shop", "dana").text
    assert 'id="graph-note"' in page and "install the Debian package graphviz" in page
    assert set(read_svg(page).boxes) == {"db", "api", "web"}
