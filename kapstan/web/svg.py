"""An application's dependency graph drawn as SVG text: pure, deterministic, golden-tested.

Where the boxes go and how the edges run comes in a ``graphlayout.Layout`` (Graphviz's
routed layout in the console, the straight-line column layout where Graphviz is missing).
``dependsOn`` edges are solid arrows from a service to what it depends on; ``calls`` edges
are dashed arrows. Presentation attributes are written inline (the console's CSP forbids
inline ``<style>``) and every node carries ``class="node health-<status>"`` so the
stylesheet can colour it.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from kapstan.plan.graph import Graph
from kapstan.web.graphlayout import NODE_H, NODE_W, Box, Layout, Route

FILLS = {
    "healthy": "#d9f2dc",
    "progressing": "#fff3c4",
    "failed": "#f8d0cc",
    "missing": "#e6e6e6",
    "unknown": "#eeeeee",
}


def _num(value: float) -> str:
    """A coordinate to one decimal, without trailing zeros: stable text for golden tests."""
    return f"{round(value, 1):g}"


def _edge(route: Route) -> str:
    (x0, y0), rest = route.points[0], route.points[1:]
    command = "C" if route.curved else "L"
    steps = " ".join(f"{_num(x)} {_num(y)}" for x, y in rest)
    dash = ' stroke-dasharray="6 4"' if route.kind == "calls" else ""
    return (
        f'<path class="edge {route.kind}" d="M {_num(x0)} {_num(y0)} {command} {steps}" '
        f'fill="none" stroke="#555" stroke-width="1.5"{dash} marker-end="url(#arrow)"/>'
    )


def _node(name: str, box: Box, health: str | None) -> str:
    status = health or "unknown"
    fill = FILLS.get(status, FILLS["unknown"])
    label = escape(name)
    title = escape(f"{name}: {status}")
    return (
        f'<g class="node health-{escape(status)}"><title>{title}</title>'
        f'<rect x="{_num(box.x)}" y="{_num(box.y)}" width="{NODE_W}" height="{NODE_H}" '
        f'rx="6" fill="{fill}" stroke="#333"/>'
        f'<text x="{_num(box.x + NODE_W / 2)}" y="{_num(box.mid_y + 5)}" text-anchor="middle" '
        f'font-family="sans-serif" font-size="14">{label}</text></g>'
    )


def graph_svg(graph: Graph, layout: Layout, health: Mapping[str, str] | None = None) -> str:
    """The SVG document for ``graph`` as ``layout`` places it; ``health`` maps services to a
    health status word (the box's colour)."""
    width, height = _num(layout.width), _num(layout.height)
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(f"dependency graph of {graph.name}")}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#555"/></marker></defs>',
    ]
    lines += [_edge(route) for route in layout.routes]
    for service in graph.services:
        lines.append(_node(service, layout.boxes[service], (health or {}).get(service)))
    lines.append("</svg>")
    return "\n".join(lines) + "\n"
