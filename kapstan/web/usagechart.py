"""Per-service CPU and memory as a small SVG bar chart: plain SVG, no script, no library.

One row per service: a CPU bar and a memory bar, each scaled to the largest value of its
kind among the services shown, with the figure written next to it (as ``kapstan app top``
prints it). Names are escaped; sizes are attributes (the console's CSP forbids inline
styles).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import escape

from kapstan.actions.usage import ServiceUsage
from kapstan.model.quantities import format_cpu, format_memory

ROW = 34  # height of one service's row
LABEL = 140  # width of the service names' column
BAR = 220  # longest bar
FIGURE = 70  # width of a figure after its bar
WIDTH = LABEL + 2 * (BAR + FIGURE)


def usage_svg(services: Sequence[ServiceUsage]) -> str:
    cpu_top = max((s.cpu_millicores for s in services), default=0.0) or 1.0
    memory_top = max((s.memory_bytes for s in services), default=0) or 1
    height = ROW * (len(services) + 1)
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="usage" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-label="CPU and memory per service">',
        f'<text class="head" x="{LABEL}" y="20">CPU</text>',
        f'<text class="head" x="{LABEL + BAR + FIGURE}" y="20">memory</text>',
    ]
    for row, usage in enumerate(services, start=1):
        y = row * ROW
        name = escape(usage.service)
        cpu = usage.cpu_millicores / cpu_top * BAR
        memory = usage.memory_bytes / memory_top * BAR
        lines += [
            f'<g class="service" data-service="{name}">',
            f'<text class="name" x="0" y="{y + 16}">{name}</text>',
            _bar("cpu", LABEL, y, cpu, format_cpu(usage.cpu_millicores)),
            _bar("memory", LABEL + BAR + FIGURE, y, memory, format_memory(usage.memory_bytes)),
            "</g>",
        ]
    lines.append("</svg>")
    return "\n".join(lines)


def _bar(kind: str, x: int, y: int, length: float, figure: str) -> str:
    width = f"{max(length, 1.0):.1f}"  # a zero still shows as a sliver: measured, not missing
    return (
        f'<rect class="{kind}" x="{x}" y="{y + 4}" width="{width}" height="16">'
        f"<title>{kind} {figure}</title></rect>"
        f'<text class="figure {kind}" x="{x + max(length, 1.0) + 6:.1f}" y="{y + 16}">{figure}</text>'
    )
