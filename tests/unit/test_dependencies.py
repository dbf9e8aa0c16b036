"""Dependencies are declared as imported: pyproject lists what the code imports, and no more.

The top-level third-party imports of ``kapstan/`` (read with ``ast``, so imports inside
functions and ``TYPE_CHECKING`` blocks count) are mapped to the installed distributions
that provide them (``importlib.metadata.packages_distributions``) and compared with
``[project].dependencies``; the tests' imports must be declared there or in the ``dev``
extra. A distribution that is declared but never imported is named with the reason below.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"kapstan", "tests", "bench"}

# Declared for what loads them by name, not by import.
NOT_IMPORTED = {
    "psycopg": "SQLAlchemy loads it for postgresql+psycopg:// store URLs",
    "python-multipart": "FastAPI loads it to parse the console's form posts",
    "httptools": "uvicorn loads it for `kapstan server` (http='auto': its C HTTP parser)",
    "uvloop": "uvicorn loads it for `kapstan server` (loop='auto': its event loop)",
}


def normalized(name: str) -> str:
    """PEP 503: ``Ruamel.YAML`` and ``ruamel-yaml`` are one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    """``psycopg[binary]>=3.1`` -> ``psycopg``."""
    found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
    assert found, f"pyproject: cannot read the requirement {spec!r}"
    return normalized(found[1])


@cache
def pyproject() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def declared(extra: str | None = None) -> set[str]:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    specs = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return {requirement_name(spec) for spec in specs}


def top_level_imports(source: str) -> set[str]:
    """Top-level names of the absolute imports in ``source`` (relative ones are first-party)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


@cache
def third_party_imports(folder: str) -> dict[str, set[Path]]:
    """Import name -> the files under ``folder`` importing it (stdlib and first-party left out)."""
    found: dict[str, set[Path]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        for name in top_level_imports(path.read_text(encoding="utf-8")):
            if name not in sys.stdlib_module_names and name not in FIRST_PARTY:
                found.setdefault(name, set()).add(path.relative_to(ROOT))
    return found


@cache
def installed() -> dict[str, list[str]]:
    """Import name -> distributions (it scans every installed distribution: once)."""
    return dict(packages_distributions())


def distributions_of(name: str) -> set[str]:
    dists = installed().get(name)
    assert dists, f"{name!r} is imported but no installed distribution provides it"
    return {normalized(d) for d in dists}


def undeclared(folder: str, allowed: set[str]) -> list[str]:
    return [
        f"{name} (distribution {' or '.join(sorted(dists))}), imported by "
        f"{', '.join(str(p) for p in sorted(files)[:3])}"
        for name, files in sorted(third_party_imports(folder).items())
        if not (dists := distributions_of(name)) & allowed
    ]


def test_top_level_imports_are_read_from_the_source() -> None:
    source = "import yaml.nodes\nfrom httpx2 import Client\nfrom . import sibling\n"
    source += "def f():\n    import ruamel.yaml\n"
    assert top_level_imports(source) == {"yaml", "httpx2", "ruamel"}
    assert requirement_name("psycopg[binary]>=3.1") == "psycopg"
    assert requirement_name("Ruamel.YAML>=0.18") == "ruamel-yaml"


def test_every_distribution_kapstan_imports_is_a_declared_dependency() -> None:
    missing = undeclared("kapstan", declared())
    assert not missing, "add to [project].dependencies in pyproject.toml:\n" + "\n".join(missing)


def test_every_declared_dependency_is_imported_by_kapstan() -> None:
    used = set().union(*(distributions_of(n) for n in third_party_imports("kapstan")))
    unused = declared() - used - set(NOT_IMPORTED)
    assert not unused, (
        f"declared in [project].dependencies but imported nowhere in kapstan/: "
        f"{', '.join(sorted(unused))}; remove them from pyproject.toml (and their mypy "
        "overrides), or say in NOT_IMPORTED what loads them"
    )
    stale = {name for name in NOT_IMPORTED if name not in declared() or name in used}
    assert not stale, f"NOT_IMPORTED names what is not declared or is imported now: {stale}"


def test_every_distribution_the_tests_import_is_declared() -> None:
    missing = undeclared("tests", declared() | declared("dev"))
    assert not missing, "add to the dev extra in pyproject.toml:\n" + "\n".join(missing)


def test_every_mypy_override_names_a_module_that_is_imported() -> None:
    mypy = pyproject()["tool"]
    assert isinstance(mypy, dict)
    imported = set(third_party_imports("kapstan")) | set(third_party_imports("tests"))
    imported |= FIRST_PARTY
    stale = [
        pattern
        for override in mypy["mypy"].get("overrides", [])
        for pattern in (
            [override["module"]] if isinstance(override["module"], str) else override["module"]
        )
        if pattern.partition(".")[0] not in imported
    ]
    assert not stale, f"[[tool.mypy.overrides]] for modules nothing imports: {stale}"
