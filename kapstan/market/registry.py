"""The catalogs a user registered, kept in a small JSON file.

``$KAPSTAN_MARKETS_FILE``, else ``<user config dir>/markets.json``::

    {"catalogs": [{"name": "acme", "source": "https://git.example.com/acme/templates.git",
                   "path": "/home/me/.cache/kapstan/markets/acme"}]}

A directory is registered where it is; a git repository is cloned under
``$KAPSTAN_CACHE_DIR`` (else the user cache dir) ``/markets/NAME`` and removed with it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from kapstan.errors import ConflictError, InputError, NotFoundError, StoreError
from kapstan.market.catalogs import BUILTIN, Catalog, templates_of
from kapstan.market.sources import clone, is_git_source
from kapstan.templates.folders import check_links

MARKETS_FILE_VARIABLE = "KAPSTAN_MARKETS_FILE"
CACHE_DIR_VARIABLE = "KAPSTAN_CACHE_DIR"
_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")


@dataclass(frozen=True)
class MarketPaths:
    """Where registrations are kept and where git catalogs are cloned."""

    registry: Path
    clones: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MarketPaths:
        env = os.environ if environ is None else environ
        registry = env.get(MARKETS_FILE_VARIABLE) or str(
            Path(platformdirs.user_config_dir("kapstan")) / "markets.json"
        )
        cache = env.get(CACHE_DIR_VARIABLE) or platformdirs.user_cache_dir("kapstan")
        return cls(Path(registry), Path(cache) / "markets")


def registered_catalogs(paths: MarketPaths) -> list[Catalog]:
    """The registered catalogs, in the order they were added."""
    if not paths.registry.is_file():
        return []
    try:
        data = json.loads(paths.registry.read_text(encoding="utf-8"))
        return [Catalog(c["name"], Path(c["path"]), c["source"]) for c in data["catalogs"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError(
            f"{paths.registry}: not a markets file ({exc}); fix or delete it"
        ) from None


def add_catalog(paths: MarketPaths, name: str, source: str) -> Catalog:
    """Register ``source`` (a directory, or a git URL to clone) as catalog ``name``."""
    _check_name(name)
    existing = registered_catalogs(paths)
    if name == BUILTIN or any(c.name == name for c in existing):
        raise ConflictError(
            f"market catalog {name!r} exists already; remove it first or pick another name"
        )
    if is_git_source(source) and not _is_dir(Path(source)):
        catalog = _cloned(paths, name, source)
    else:
        folder = Path(source).expanduser()
        if not _is_dir(folder):
            raise InputError(f"catalog {name!r}: {source!r} is neither a directory nor a git URL")
        catalog = Catalog(name, folder.resolve(), str(folder.resolve()))
        check_links(catalog.path)
        _check_has_templates(catalog)
    _save(paths, [*existing, catalog])
    return catalog


def _is_dir(path: Path) -> bool:
    """False, not an OSError, for a name the system refuses (too long, say): not a directory."""
    try:
        return path.is_dir()
    except OSError:
        return False


def remove_catalog(paths: MarketPaths, name: str) -> Catalog:
    """Forget catalog ``name``; its clone (never a user's own directory) is deleted."""
    existing = registered_catalogs(paths)
    found = next((c for c in existing if c.name == name), None)
    if found is None:
        if name == BUILTIN:
            raise InputError("the built-in catalog 'kapstan' cannot be removed")
        known = ", ".join(c.name for c in existing) or "none"
        raise NotFoundError(f"no registered market catalog {name!r}; registered: {known}")
    _save(paths, [c for c in existing if c.name != name])
    if _is_clone(paths, found):
        shutil.rmtree(found.path, ignore_errors=True)
    return found


def _cloned(paths: MarketPaths, name: str, url: str) -> Catalog:
    dest = paths.clones / name
    if dest.exists():
        shutil.rmtree(dest)  # a leftover of an earlier registration: not registered any more
    clone(url, dest)
    catalog = Catalog(name, dest, url)
    try:
        check_links(dest)  # a clone holds whatever links its author committed
        _check_has_templates(catalog)
    except InputError:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return catalog


def _is_clone(paths: MarketPaths, catalog: Catalog) -> bool:
    return is_git_source(catalog.source) and catalog.path == paths.clones / catalog.name


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise InputError(
            f"catalog name {name!r} must be a DNS label (lowercase letters, digits, '-', at most 63)"
        )


def _check_has_templates(catalog: Catalog) -> None:
    if not templates_of(catalog):
        raise InputError(
            f"catalog {catalog.name!r}: {catalog.source} holds no template "
            "(a subdirectory with a kapstan.yaml)"
        )


def _save(paths: MarketPaths, catalogs: list[Catalog]) -> None:
    """Write the registrations atomically: a crash leaves the old file or the new one."""
    data = {
        "catalogs": [{"name": c.name, "source": c.source, "path": str(c.path)} for c in catalogs]
    }
    paths.registry.parent.mkdir(parents=True, exist_ok=True)
    temporary = paths.registry.with_name(paths.registry.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    temporary.replace(paths.registry)
