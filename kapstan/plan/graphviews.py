"""Printing a dependency graph: text (waves), Graphviz DOT and Mermaid."""

from __future__ import annotations

import re

from kapstan.plan.graph import Graph, waves


def format_text(graph: Graph) -> str:
    """Waves, one service per line with its relations::

    bookstore: 2 services in 2 waves
    wave 1
      postgres
    wave 2
      catalog  (depends on: postgres; calls: postgres)
    """
    order = waves(graph)
    count = len(graph.services)
    lines = [
        f"{graph.name}: {count} service{'s' * (count != 1)} in {len(order)} wave{'s' * (len(order) != 1)}"
    ]
    width = max((len(s) for s in graph.services), default=0)
    for number, wave in enumerate(order, start=1):
        lines.append(f"wave {number}")
        for service in wave:
            lines.append(f"  {service.ljust(width)}{_relations(graph, service)}".rstrip())
    return "\n".join(lines) + "\n"


def _relations(graph: Graph, service: str) -> str:
    parts = []
    if graph.depends_on.get(service):
        parts.append("depends on: " + ", ".join(graph.depends_on[service]))
    if graph.calls.get(service):
        parts.append("calls: " + ", ".join(graph.calls[service]))
    return f"  ({'; '.join(parts)})" if parts else ""


def format_dot(graph: Graph) -> str:
    """Graphviz DOT: solid edges for dependsOn, dashed for calls; one rank per wave."""
    lines = [f"digraph {_quote(graph.name)} {{", "  rankdir=LR;", "  node [shape=box];"]
    for wave in waves(graph):
        names = " ".join(_quote(s) for s in wave)
        lines.append(f"  {{ rank=same; {names} }}")
    for service in graph.services:
        for target in graph.depends_on.get(service, ()):
            lines.append(f"  {_quote(service)} -> {_quote(target)};")
        for target in graph.calls.get(service, ()):
            lines.append(f'  {_quote(service)} -> {_quote(target)} [style=dashed, label="calls"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_mermaid(graph: Graph) -> str:
    """Mermaid flowchart: ``-->`` for dependsOn, ``-.->|calls|`` for calls."""
    lines = ["graph LR"]
    for service in graph.services:
        lines.append(f'  {_node_id(service)}["{service}"]')
    for service in graph.services:
        for target in graph.depends_on.get(service, ()):
            lines.append(f"  {_node_id(service)} --> {_node_id(target)}")
        for target in graph.calls.get(service, ()):
            lines.append(f"  {_node_id(service)} -.->|calls| {_node_id(target)}")
    return "\n".join(lines) + "\n"


def _node_id(name: str) -> str:
    return "s_" + re.sub(r"[^A-Za-z0-9_]", "_", name)
