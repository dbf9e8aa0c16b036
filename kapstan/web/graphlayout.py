"""Where the dependency-graph picture puts each box and how each edge runs (pure).

Two layouts share one shape, ``Layout``:

- Graphviz's ``dot``: ranks, crossing minimisation, and splines routed around the boxes.
  ``dot_source`` writes its input and ``read_dot_json`` reads its ``-Tjson`` answer;
  ``kapstan.web.dotlayout`` runs the binary in between (the only step with I/O).
- ``column_layout``: the boxes in a grid and straight lines between them, which is what the
  console falls back to when Graphviz is not installed (lines may then cross boxes).

Both keep one column per startup wave (``plan.graph.waves``), wave 1 on the left, and list
the edges in the same order: per service in declaration order, its dependsOn, then its calls.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kapstan.errors import LayoutError
from kapstan.plan.graph import Graph, waves

NODE_W, NODE_H = 150, 40
GAP_X, GAP_Y, MARGIN = 90, 30, 20
INCH = 72.0  # Graphviz sizes are in inches, its coordinates in points; ours are px = points
# dot draws the edges between the same two services side by side, ``nodesep`` apart, around
# the one route it found, and may push the outer ones into a neighbour's box. So dot is told
# each box is PAD taller above and below than drawn and keeps ``nodesep`` small: the boxes
# stay GAP_Y apart as drawn, and a side-by-side edge (up to three per pair: dependsOn and
# calls both ways) stays in the padding; an edge's ends are then extended to the drawn box.
PAD = 10

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    """Top-left corner of a service's box (every box is NODE_W x NODE_H)."""

    x: float
    y: float

    @property
    def mid_y(self) -> float:
        return self.y + NODE_H / 2


@dataclass(frozen=True)
class Route:
    """One edge from ``source`` to ``target`` (the arrow's head).

    ``points`` is a polyline when not ``curved``; when ``curved``, a chain of cubic Bézier
    segments: the start, then three points per segment (two controls and the segment's end).
    """

    source: str
    target: str
    kind: str  # "dependsOn" or "calls"
    points: tuple[Point, ...]
    curved: bool


@dataclass(frozen=True)
class Layout:
    boxes: Mapping[str, Box]
    routes: tuple[Route, ...]
    width: float
    height: float


def edges_of(graph: Graph) -> Iterator[tuple[str, str, str]]:
    """``(source, target, kind)`` per edge, in the order both layouts list their routes."""
    for service in graph.services:
        for target in graph.depends_on.get(service, ()):
            yield service, target, "dependsOn"
        for target in graph.calls.get(service, ()):
            yield service, target, "calls"


def column_layout(graph: Graph) -> Layout:
    """Boxes in a grid (a column per wave, stacked in declaration order), straight edges."""
    boxes: dict[str, Box] = {}
    for column, wave in enumerate(waves(graph)):
        ordered = [s for s in graph.services if s in wave]
        for row, service in enumerate(ordered):
            boxes[service] = Box(
                MARGIN + column * (NODE_W + GAP_X), MARGIN + row * (NODE_H + GAP_Y)
            )
    routes = tuple(
        Route(src, dst, kind, _straight(boxes[src], boxes[dst], kind), curved=False)
        for src, dst, kind in edges_of(graph)
    )
    width = max((b.x for b in boxes.values()), default=0) + NODE_W + MARGIN
    height = max((b.y for b in boxes.values()), default=0) + NODE_H + MARGIN
    return Layout(boxes, routes, width, height)


def _straight(src: Box, dst: Box, kind: str) -> tuple[Point, Point]:
    """From the side of ``src`` facing ``dst`` to the facing side of ``dst``."""
    if dst.x < src.x:
        x1, x2 = src.x, dst.x + NODE_W
    elif dst.x > src.x:
        x1, x2 = src.x + NODE_W, dst.x
    else:  # same column: leave from the right side, enter the right side
        x1, x2 = src.x + NODE_W, dst.x + NODE_W - 10
    # calls run 8px below: an edge that is both dependsOn and calls shows as two lines
    shift = 8 if kind == "calls" else 0
    return (x1, src.mid_y + shift), (x2, dst.mid_y + shift)


def dot_source(graph: Graph) -> str:
    """The graph in DOT for ``dot -Tjson``: fixed-size boxes, one rank per wave, left to right.

    dependsOn edges are written from the dependency to its dependent so that dot ranks the
    dependency first (wave 1 on the left); calls edges do not constrain ranks. A node is
    named ``n<index in graph.services>`` and an edge's ``id`` is its index in ``edges_of``:
    that is how ``read_dot_json`` finds them again, and no service name needs DOT quoting.
    """
    node = {service: f"n{index}" for index, service in enumerate(graph.services)}
    lines = [
        "digraph kapstan {",
        f"  graph [rankdir=LR, splines=true, nodesep={(GAP_Y - 2 * PAD) / INCH:.4f}, "
        f"ranksep={GAP_X / INCH:.4f}, margin=0];",
        f"  node [shape=box, fixedsize=true, width={NODE_W / INCH:.4f}, "
        f'height={(NODE_H + 2 * PAD) / INCH:.4f}, label=""];',
        "  edge [dir=none];",  # we draw our own arrowheads: the spline reaches the box
    ]
    lines += [f"  {node[service]};" for service in graph.services]
    for wave in waves(graph):
        ordered = [s for s in graph.services if s in wave]
        lines.append(f"  {{ rank=same; {' '.join(node[s] + ';' for s in ordered)} }}")
    for index, (src, dst, kind) in enumerate(edges_of(graph)):
        if kind == "dependsOn":
            lines.append(f'  {node[dst]} -> {node[src]} [id="{index}"];')
        else:
            lines.append(f'  {node[src]} -> {node[dst]} [id="{index}", constraint=false];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def read_dot_json(graph: Graph, text: str) -> Layout:
    """The layout in dot's ``-Tjson`` answer to ``dot_source(graph)``, in SVG coordinates.

    dot's y axis points up; ours points down, and everything moves by MARGIN.
    """
    try:
        answer = json.loads(text)
        left, bottom, right, top = (float(v) for v in str(answer["bb"]).split(","))
        objects: list[dict[str, Any]] = answer.get("objects", [])
        centres = {o["name"]: _point(o["pos"]) for o in objects if "pos" in o}
        splines = {int(e["id"]): _spline(e["pos"]) for e in answer.get("edges", [])}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LayoutError(
            f"Graphviz (dot) answered with a layout Kapstan cannot read: {exc}"
        ) from exc

    def place(point: Point) -> Point:
        return point[0] - left + MARGIN, top - point[1] + MARGIN

    boxes: dict[str, Box] = {}
    for index, service in enumerate(graph.services):
        if f"n{index}" not in centres:
            raise LayoutError(f"Graphviz (dot) placed no box for service {service!r}")
        x, y = place(centres[f"n{index}"])
        boxes[service] = Box(x - NODE_W / 2, y - NODE_H / 2)
    routes = []
    for index, (src, dst, kind) in enumerate(edges_of(graph)):
        points = [place(p) for p in splines.get(index, ())]
        if len(points) < 4 or len(points) % 3 != 1:
            raise LayoutError(f"Graphviz (dot) drew no usable edge {src} -> {dst} ({kind})")
        if kind == "dependsOn":  # drawn from the dependency (see dot_source): turn it round
            points.reverse()
        points = _onto(boxes[src], points[::-1])[::-1]
        routes.append(Route(src, dst, kind, tuple(_onto(boxes[dst], points)), curved=True))
    width, height = right - left + 2 * MARGIN, top - bottom + 2 * MARGIN
    return Layout(boxes, tuple(routes), width, height)


def _onto(box: Box, points: list[Point]) -> list[Point]:
    """``points`` extended by a straight Bézier segment from its last point, which dot put
    on the padded box (see PAD), to the nearest point of the drawn ``box``."""
    x, y = points[-1]
    near = (min(max(x, box.x), box.x + NODE_W), min(max(y, box.y), box.y + NODE_H))
    return points if near == (x, y) else [*points, (x, y), near, near]


def _point(text: str) -> Point:
    x, y = text.split(",")[:2]
    return float(x), float(y)


def _spline(pos: str) -> list[Point]:
    """dot's edge ``pos``: control points, after optional ``s,x,y``/``e,x,y`` arrow tips
    (none here: ``dir=none``). With several splines (``;``), the first is the edge."""
    first = pos.split(";")[0]
    return [_point(p) for p in first.split() if not p.startswith(("s,", "e,"))]
