"""The dependency graph of a template's services: validation, cycles, waves.

``dependsOn`` edges order startup and must form no cycle; ``calls`` edges are runtime
relations, drawn but free to form cycles (two services may call each other).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field

from kapstan.errors import GraphError
from kapstan.model.template import Template


@dataclass(frozen=True)
class Graph:
    """Services in declaration order with their edges; ``lines`` locate them in kapstan.yaml."""

    name: str
    services: tuple[str, ...]
    depends_on: Mapping[str, tuple[str, ...]] = field(hash=False)
    calls: Mapping[str, tuple[str, ...]] = field(hash=False)
    lines: Mapping[str, int] = field(default_factory=dict, hash=False)


def graph_of(template: Template) -> Graph:
    """The graph of a parsed template (already validated by the parser)."""
    specs = template.services.values()
    return Graph(
        template.name,
        tuple(template.services),
        {s.name: s.depends_on for s in specs},
        {s.name: s.calls for s in specs},
        {s.name: s.line for s in specs},
    )


def check_graph(graph: Graph, file: str = "kapstan.yaml") -> None:
    """Raise GraphError for an unknown service reference or a dependsOn cycle."""
    known = set(graph.services)
    for service in graph.services:
        for relation, edges in (("dependsOn", graph.depends_on), ("calls", graph.calls)):
            for target in edges.get(service, ()):
                if target not in known:
                    raise GraphError(_unknown(graph, file, service, relation, target))
    cycle = find_cycle(graph)
    if cycle:
        raise GraphError(f"{file}: dependency cycle: {' -> '.join(cycle)}; remove one dependsOn")


def _unknown(graph: Graph, file: str, service: str, relation: str, target: str) -> str:
    line = graph.lines.get(service)
    where = f"{file}:{line}" if line else file
    close = difflib.get_close_matches(target, graph.services, n=1)
    hint = (
        f"; did you mean {close[0]!r}?"
        if close
        else f"; known services: {', '.join(graph.services)}"
    )
    return f"{where}: service {service!r}: {relation} names unknown service {target!r}{hint}"


def find_cycle(graph: Graph) -> list[str] | None:
    """A dependsOn cycle as ``[a, b, c, a]``, or None. Deterministic (declaration order)."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in graph.depends_on.get(node, ()):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for service in graph.services:
        if service not in state and (found := visit(service)):
            return found
    return None


def waves(graph: Graph) -> list[list[str]]:
    """Services in dependency order: each wave depends only on earlier waves; sorted names.

    Levels for display and ordering: a deploy does not wait for a whole wave, it starts a
    service once its own dependencies are ready (``kapstan.engine.deploy``). Raises
    GraphError on a cycle.
    """
    cycle = find_cycle(graph)
    if cycle:
        raise GraphError(f"dependency cycle: {' -> '.join(cycle)}")
    level: dict[str, int] = {}

    def depth(node: str) -> int:
        if node not in level:
            deps = [d for d in graph.depends_on.get(node, ()) if d in graph.services]
            level[node] = 1 + max((depth(d) for d in deps), default=-1)
        return level[node]

    out: list[list[str]] = []
    for service in graph.services:
        index = depth(service)
        while len(out) <= index:
            out.append([])
        out[index].append(service)
    return [sorted(wave) for wave in out]


def dependents(graph: Graph, service: str) -> list[str]:
    """Services that depend on ``service``, directly or not, sorted."""
    found: set[str] = set()
    todo = [service]
    while todo:
        current = todo.pop()
        for other in graph.services:
            if current in graph.depends_on.get(other, ()) and other not in found:
                found.add(other)
                todo.append(other)
    return sorted(found)
