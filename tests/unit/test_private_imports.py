"""No package imports another package's private names (``_find_go``, ``_health``...).

import-linter sees modules, not names: this test sees the names. A helper another package
needs is made public where it belongs (as ``kapstan.gobuild`` was for the sandbox's Go
build helpers) instead of being reached into.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def package_of(module: str) -> str:
    """``kapstan.api.routers.users`` -> ``kapstan.api``; ``kapstan.errors`` -> itself."""
    return ".".join(module.split(".")[:2])


def private_imports(module: str, source: str) -> list[str]:
    """``module imports package.name`` for each private name taken from another package."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
            continue
        if not node.module.startswith("kapstan") or package_of(node.module) == package_of(module):
            continue
        found += [
            f"{module} imports {node.module}.{alias.name}"
            for alias in node.names
            if alias.name.startswith("_") and not alias.name.startswith("__")
        ]
    return found


def test_private_names_are_told_apart() -> None:
    source = (
        "from kapstan.sandbox.build import Progress, _find_go\nfrom kapstan.importers import _x\n"
    )
    assert private_imports("kapstan.importers.helmbin", source) == [
        "kapstan.importers.helmbin imports kapstan.sandbox.build._find_go"
    ]


def test_no_package_imports_another_packages_private_names() -> None:
    found = []
    for path in sorted((ROOT / "kapstan").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found += private_imports(module, path.read_text(encoding="utf-8"))
    assert not found, "make these public where they belong, or move them:\n" + "\n".join(found)
