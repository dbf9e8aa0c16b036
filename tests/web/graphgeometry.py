"""Geometry of a drawn dependency graph, read back from its SVG text, for the layout tests.

``read_svg`` takes the boxes (``<g class="node">`` with its ``<title>`` and ``<rect>``) and
the edges (``<line>`` or ``<path>`` of class ``edge``, straight or cubic Bézier) of any
picture ``kapstan.web.svg`` has drawn, before or after the routed layout; ``through_boxes``
and ``crossings`` measure it. ``straight_line_svg`` redraws a graph as the console did before
Graphviz (a column per wave, straight lines), the reference the routed picture must beat.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from itertools import combinations, pairwise

from kapstan.plan.graph import Graph, waves

SVG = "{http://www.w3.org/2000/svg}"
Point = tuple[float, float]
SAMPLES = 24  # points per Bézier segment: enough to follow a dot spline within a pixel
INSET = 1.0  # px: an edge ending on a box's border touches it, it does not pass through


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    def holds(self, point: Point) -> bool:
        """Strictly inside, ``INSET`` away from the border."""
        px, py = point
        return (
            self.x + INSET < px < self.x + self.w - INSET
            and self.y + INSET < py < self.y + self.h - INSET
        )

    def near(self, point: Point, slack: float = 3.0) -> bool:
        px, py = point
        return (
            self.x - slack <= px <= self.x + self.w + slack
            and self.y - slack <= py <= self.y + self.h + slack
        )


@dataclass(frozen=True)
class Edge:
    kind: str
    polyline: tuple[Point, ...]  # Béziers flattened

    @property
    def ends(self) -> tuple[Point, Point]:
        return self.polyline[0], self.polyline[-1]


@dataclass(frozen=True)
class Picture:
    boxes: dict[str, Rect]
    edges: list[Edge]

    def box_at(self, point: Point) -> str:
        """The service whose box the edge end ``point`` lies on (the one nearest)."""
        touching = [n for n, r in self.boxes.items() if r.near(point)]
        assert len(touching) == 1, f"edge end {point} touches boxes {touching}"
        return touching[0]

    def drawn_edges(self) -> list[tuple[str, str, str]]:
        """``(source, target, kind)`` per drawn edge, read from the boxes its ends touch."""
        return sorted((self.box_at(e.ends[0]), self.box_at(e.ends[1]), e.kind) for e in self.edges)


def read_svg(text: str) -> Picture:
    root = ET.fromstring(text[text.index("<svg") : text.index("</svg>") + 6])
    boxes: dict[str, Rect] = {}
    for group in root.iter(f"{SVG}g"):
        if "node" not in group.get("class", "").split():
            continue
        title = group.find(f"{SVG}title")
        rect = group.find(f"{SVG}rect")
        assert title is not None and title.text and rect is not None
        name = title.text.rsplit(": ", 1)[0]
        boxes[name] = Rect(*(float(rect.get(a, "0")) for a in ("x", "y", "width", "height")))
    edges: list[Edge] = []
    for element in root.iter():
        classes = element.get("class", "").split()
        if "edge" not in classes:
            continue
        if element.tag == f"{SVG}line":
            x1, y1, x2, y2 = (float(element.get(a, "0")) for a in ("x1", "y1", "x2", "y2"))
            edges.append(Edge(classes[1], ((x1, y1), (x2, y2))))
        else:
            assert element.tag == f"{SVG}path", element.tag
            edges.append(Edge(classes[1], _flatten(element.get("d", ""))))
    return Picture(boxes, edges)


def _flatten(d: str) -> tuple[Point, ...]:
    """An SVG path of M, L and C commands (absolute) as a polyline."""
    tokens = re.findall(r"[MLC]|-?[\d.]+(?:e-?\d+)?", d)
    out: list[Point] = []
    command, numbers = "", list[float]()
    for token in [*tokens, "M"]:
        if token in "MLC":
            out += _segments(command, numbers, out)
            command, numbers = token, []
        else:
            numbers.append(float(token))
    return tuple(out)


def _segments(command: str, numbers: list[float], done: list[Point]) -> list[Point]:
    points = list(zip(numbers[0::2], numbers[1::2], strict=True))
    if command in ("M", "L"):
        return points
    if command != "C":
        return []
    out: list[Point] = []
    start = done[-1]
    for i in range(0, len(points), 3):
        c1, c2, end = points[i : i + 3]
        out += [_bezier(start, c1, c2, end, k / SAMPLES) for k in range(1, SAMPLES + 1)]
        start = end
    return out


def _bezier(p0: Point, p1: Point, p2: Point, p3: Point, t: float) -> Point:
    a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
    return (
        a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
        a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1],
    )


def through_boxes(picture: Picture) -> list[tuple[str, str, str]]:
    """``(source, target, box)`` for every edge that passes through a box not its own end.

    Edges are checked along their length: each polyline segment is sampled every pixel.
    """
    found = []
    for edge in picture.edges:
        source, target = (picture.box_at(p) for p in edge.ends)
        others = {n: r for n, r in picture.boxes.items() if n not in (source, target)}
        bounds, dense = _bounds(edge.polyline), _dense(edge.polyline)
        for name, rect in others.items():
            if not _overlap(bounds, (rect.x, rect.y, rect.x + rect.w, rect.y + rect.h)):
                continue
            if any(rect.holds(p) for p in dense):
                found.append((source, target, name))
    return found


def _dense(polyline: tuple[Point, ...]) -> list[Point]:
    out = [polyline[0]]
    for (x1, y1), (x2, y2) in pairwise(polyline):
        steps = max(1, int(max(abs(x2 - x1), abs(y2 - y1))))
        out += [
            (x1 + (x2 - x1) * k / steps, y1 + (y2 - y1) * k / steps) for k in range(1, steps + 1)
        ]
    return out


def crossings(picture: Picture) -> int:
    """How many times two edges with no service in common cross each other."""
    ends = [frozenset(picture.box_at(p) for p in e.ends) for e in picture.edges]
    count = 0
    for (i, a), (j, b) in combinations(enumerate(picture.edges), 2):
        if not ends[i] & ends[j]:
            count += _intersections(a.polyline, b.polyline)
    return count


def _intersections(a: tuple[Point, ...], b: tuple[Point, ...]) -> int:
    if not _overlap(_bounds(a), _bounds(b)):
        return 0
    near_b = [(q1, q2, _bounds((q1, q2))) for q1, q2 in pairwise(b)]
    count = 0
    for p1, p2 in pairwise(a):
        box = _bounds((p1, p2))
        count += sum(1 for q1, q2, qb in near_b if _overlap(box, qb) and _cross(p1, p2, q1, q2))
    return count


def _bounds(points: tuple[Point, ...]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """Proper intersection of segments p1p2 and q1q2 (half-open at the far end, so a
    crossing exactly on a sampled point counts once)."""

    def side(a: Point, b: Point, c: Point) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    d1, d2 = side(q1, q2, p1), side(q1, q2, p2)
    d3, d4 = side(p1, p2, q1), side(p1, p2, q2)
    return ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and d1 != 0 and d3 != 0


# The console's picture before the routed layout: boxes in a grid, straight lines.
NODE_W, NODE_H, GAP_X, GAP_Y, MARGIN = 150, 40, 90, 30, 20


def straight_line_svg(graph: Graph) -> str:
    boxes: dict[str, Point] = {}
    for column, wave in enumerate(waves(graph)):
        for row, service in enumerate(s for s in graph.services if s in wave):
            boxes[service] = (MARGIN + column * (NODE_W + GAP_X), MARGIN + row * (NODE_H + GAP_Y))
    parts = ['<svg xmlns="http://www.w3.org/2000/svg">']
    for service in graph.services:
        for kind, edges in (("dependsOn", graph.depends_on), ("calls", graph.calls)):
            for target in edges.get(service, ()):
                (x1, y1), (x2, y2) = _old_edge(boxes[service], boxes[target], kind)
                parts.append(f'<line class="edge {kind}" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"/>')
    for service, (x, y) in boxes.items():
        parts.append(
            f'<g class="node"><title>{service}: unknown</title>'
            f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}"/></g>'
        )
    return "\n".join(parts) + "</svg>"


def _old_edge(src: Point, dst: Point, kind: str) -> tuple[Point, Point]:
    if dst[0] < src[0]:
        x1, x2 = src[0], dst[0] + NODE_W
    elif dst[0] > src[0]:
        x1, x2 = src[0] + NODE_W, dst[0]
    else:
        x1, x2 = src[0] + NODE_W, dst[0] + NODE_W - 10
    shift = 8 if kind == "calls" else 0
    return (x1, src[1] + NODE_H / 2 + shift), (x2, dst[1] + NODE_H / 2 + shift)
