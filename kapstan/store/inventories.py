"""Revision inventories: the objects one deploy applied, the only ones a later one may prune.

An entry names one object exactly (apiVersion, kind, namespace, name) and the uid the
server gave it, so an object re-created by someone else is never mistaken for ours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kapstan.errors import InputError

REQUIRED = ("apiVersion", "kind", "name")
KEYS = ("apiVersion", "kind", "namespace", "name", "uid")


def check_inventory(what: str, inventory: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """JSON-ready entries (namespace and uid default to ""); InputError naming a bad one."""
    if isinstance(inventory, str | bytes | Mapping):
        raise InputError(f"{what}: the inventory must be a list of objects")
    return [_entry(what, index, entry) for index, entry in enumerate(inventory)]


def _entry(what: str, index: int, entry: Mapping[str, str]) -> dict[str, str]:
    where = f"{what}: inventory entry {index}"
    if not isinstance(entry, Mapping):
        raise InputError(f"{where} is not a mapping but {type(entry).__name__}")
    for key, value in entry.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InputError(f"{where}: {key!r} must be a string key with a string value")
    missing = [key for key in REQUIRED if not entry.get(key)]
    if missing:
        raise InputError(f"{where} has no {', '.join(missing)}")
    known = {key: entry.get(key, "") for key in KEYS}
    return known | {key: value for key, value in entry.items() if key not in known}
