"""The compose translator's modules import each other in one direction only (no circle).

Read from their syntax trees, so imports made only for type checking count too: a rule
module that imports ``composeservice`` back (to mutate its translator) is a circle even
when Python never runs that import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import kapstan.importers

PACKAGE = "kapstan.importers"
FOLDER = Path(kapstan.importers.__file__).parent


def compose_imports() -> dict[str, set[str]]:
    """compose module -> the compose modules it imports (any import, anywhere in it)."""
    modules = {f"{PACKAGE}.{f.stem}": f for f in FOLDER.glob("compose*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, file in modules.items():
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                base = node.module
                targets = [base, *(f"{base}.{a.name}" for a in node.names)]
            else:
                continue
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def circle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle of ``graph`` (its modules in order), or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return []


def test_the_compose_modules_form_no_import_circle() -> None:
    graph = compose_imports()
    assert len(graph) >= 9 and graph[f"{PACKAGE}.compose"], graph
    assert circle(graph) == []


def test_the_rule_modules_never_import_the_translator() -> None:
    service = f"{PACKAGE}.composeservice"
    back = sorted(m for m, targets in compose_imports().items() if service in targets)
    assert back == [f"{PACKAGE}.compose"]


def test_the_circle_finder_finds_one() -> None:
    assert circle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert circle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []
