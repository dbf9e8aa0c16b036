"""An application's dependency graph drawn as SVG text: pure, deterministic, golden-tested.

Layout: one column per startup wave (``plan.graph.waves``: services with no ``dependsOn``
on the left), services stacked in each column in declaration order. ``dependsOn`` edges are
solid arrows from a service to what it depends on; ``calls`` edges are dashed arrows.
Presentation attributes are written inline (the console's CSP forbids inline ``<style>``)
and every node carries ``class="node health-<status>"`` so the stylesheet can colour it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from kapstan.plan.graph import Graph, waves

NODE_W, NODE_H = 150, 40
GAP_X, GAP_Y, MARGIN = 90, 30, 20
FILLS = {"healthy": "#d9f2dc", "progressing": "#fff3c4", "failed": "#f8d0cc",
         "missing": "#e6e6e6", "unknown": "#eeeeee"}  # fmt: skip


@dataclass(frozen=True)
class Box:
    x: int
    y: int

    @property
    def mid_y(self) -> int:
        return self.y + NODE_H // 2


def layout(graph: Graph) -> dict[str, Box]:
    """Top-left corner of each service's box."""
    boxes: dict[str, Box] = {}
    for column, wave in enumerate(waves(graph)):
        ordered = [s for s in graph.services if s in wave]
        for row, service in enumerate(ordered):
            boxes[service] = Box(
                MARGIN + column * (NODE_W + GAP_X), MARGIN + row * (NODE_H + GAP_Y)
            )
    return boxes


def _edge(src: Box, dst: Box, kind: str) -> str:
    """A line from the side of ``src`` facing ``dst`` to the facing side of ``dst``."""
    if dst.x < src.x:
        x1, x2 = src.x, dst.x + NODE_W
    elif dst.x > src.x:
        x1, x2 = src.x + NODE_W, dst.x
    else:  # same column: leave from the right side, enter the right side
        x1, x2 = src.x + NODE_W, dst.x + NODE_W - 10
    # calls run 8px below: an edge that is both dependsOn and calls shows as two lines
    shift, dash = (8, ' stroke-dasharray="6 4"') if kind == "calls" else (0, "")
    y1, y2 = src.mid_y + shift, dst.mid_y + shift
    return (f'<line class="edge {kind}" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" '
            f'stroke="#555" stroke-width="1.5"{dash} marker-end="url(#arrow)"/>')  # fmt: skip


def _node(name: str, box: Box, health: str | None) -> str:
    status = health or "unknown"
    fill = FILLS.get(status, FILLS["unknown"])
    label = escape(name)
    title = escape(f"{name}: {status}")
    return (
        f'<g class="node health-{escape(status)}"><title>{title}</title>'
        f'<rect x="{box.x}" y="{box.y}" width="{NODE_W}" height="{NODE_H}" rx="6" '
        f'fill="{fill}" stroke="#333"/>'
        f'<text x="{box.x + NODE_W // 2}" y="{box.mid_y + 5}" text-anchor="middle" '
        f'font-family="sans-serif" font-size="14">{label}</text></g>'
    )


def graph_svg(graph: Graph, health: Mapping[str, str] | None = None) -> str:
    """The SVG document for ``graph``; ``health`` maps services to a health status word."""
    boxes = layout(graph)
    width = max((b.x for b in boxes.values()), default=0) + NODE_W + MARGIN
    height = max((b.y for b in boxes.values()), default=0) + NODE_H + MARGIN
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(f"dependency graph of {graph.name}")}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#555"/></marker></defs>',
    ]
    for service in graph.services:
        for target in graph.depends_on.get(service, ()):
            lines.append(_edge(boxes[service], boxes[target], "dependsOn"))
        for target in graph.calls.get(service, ()):
            lines.append(_edge(boxes[service], boxes[target], "calls"))
    for service in graph.services:
        lines.append(_node(service, boxes[service], (health or {}).get(service)))
    lines.append("</svg>")
    return "\n".join(lines) + "\n"
