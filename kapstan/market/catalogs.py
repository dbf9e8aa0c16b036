"""Catalogs and the templates they hold: the built-in one and those registered by users.

A catalog is a directory; each subdirectory holding a ``kapstan.yaml`` is a template, named
after its directory. The index (``market.yaml``) adds descriptions and secret keys. Nothing
is read through a symbolic link that leaves the catalog (``kapstan.templates.folders``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kapstan.errors import InputError, NotFoundError
from kapstan.market.index import INDEX_FILE, README_FILE, IndexEntry, parse_index, readme_summary
from kapstan.model.template import TEMPLATE_FILE
from kapstan.templates.folders import resolve_inside

BUILTIN = "kapstan"
BUILTIN_DIR = Path(__file__).parent / "catalog"


@dataclass(frozen=True)
class Catalog:
    """A directory of templates; ``source`` is where it came from (a path or a git URL)."""

    name: str
    path: Path
    source: str


@dataclass(frozen=True)
class MarketTemplate:
    """One template of a catalog, as the market lists it."""

    catalog: str
    name: str
    path: Path
    description: str
    secrets: tuple[str, ...] = ()

    @property
    def qualified(self) -> str:
        """``CATALOG/NAME``: names a template unambiguously across catalogs."""
        return f"{self.catalog}/{self.name}"

    @property
    def readme(self) -> Path:
        return self.path / README_FILE


def builtin_catalog() -> Catalog:
    return Catalog(BUILTIN, BUILTIN_DIR, "built-in")


def templates_of(catalog: Catalog) -> list[MarketTemplate]:
    """The catalog's templates, sorted by name; index entries must name a template directory."""
    if not catalog.path.is_dir():
        raise NotFoundError(
            f"catalog {catalog.name!r}: directory {catalog.path} is missing; "
            f"remove it (`kapstan market remove {catalog.name}`) and add it again"
        )
    index = _read_index(catalog)
    names = sorted(
        d.name
        for d in catalog.path.iterdir()
        if d.is_dir() and not d.name.startswith(".") and (d / TEMPLATE_FILE).is_file()
    )
    for name in names:  # a template folder may be a link, but only to a folder of the catalog
        resolve_inside(catalog.path, catalog.path / name)
    missing = sorted(set(index) - set(names))
    if missing:
        raise InputError(
            f"{catalog.path / INDEX_FILE}: template {missing[0]!r} has no directory with a "
            f"{TEMPLATE_FILE} in catalog {catalog.name!r}"
        )
    return [_template(catalog, name, index.get(name)) for name in names]


def _read_index(catalog: Catalog) -> dict[str, IndexEntry]:
    path = catalog.path / INDEX_FILE
    if not path.is_file():
        return {}
    return parse_index(resolve_inside(catalog.path, path).read_text(encoding="utf-8"), str(path))


def _template(catalog: Catalog, name: str, entry: IndexEntry | None) -> MarketTemplate:
    path = catalog.path / name
    description = entry.description if entry else ""
    if not description:
        description = readme_summary(read_readme(path))
    return MarketTemplate(catalog.name, name, path, description, entry.secrets if entry else ())


def read_readme(template_dir: Path) -> str:
    """A template's README.md ("" if it has none); a link leaving its folder is refused."""
    path = template_dir / README_FILE
    if not path.is_file():
        return ""
    return resolve_inside(template_dir, path).read_text(encoding="utf-8")


def find_template(name: str, catalogs: Sequence[Catalog]) -> MarketTemplate:
    """``NAME`` or ``CATALOG/NAME``; NotFoundError (with close names) or InputError if ambiguous."""
    catalog_name, _, template = name.rpartition("/")
    chosen = [c for c in catalogs if c.name == catalog_name] if catalog_name else list(catalogs)
    if catalog_name and not chosen:
        known = ", ".join(c.name for c in catalogs)
        raise NotFoundError(f"no market catalog {catalog_name!r}; known catalogs: {known}")
    found = [t for c in chosen for t in templates_of(c) if t.name == template]
    if len(found) > 1:
        choices = ", ".join(t.qualified for t in found)
        raise InputError(f"template {template!r} is in several catalogs; name one of: {choices}")
    if not found:
        raise NotFoundError(_unknown(name, [t for c in chosen for t in templates_of(c)]))
    return found[0]


def _unknown(name: str, available: Iterable[MarketTemplate]) -> str:
    names = sorted({t.name for t in available})
    close = difflib.get_close_matches(name.rpartition("/")[2], names, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"available: {', '.join(names) or 'none'}"
    return f"no template {name!r} in the market; {hint} (see `kapstan market list`)"
