"""Config verbs: set, unset, import, roll back, diff and history. Every change is one new version."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kapstan.actions.configfiles import read_config_file
from kapstan.errors import InputError, NotFoundError
from kapstan.model.values import Value
from kapstan.plan.changes import same_value
from kapstan.plan.configdiff import ConfigDiff, diff_configs
from kapstan.store import ConfigVersion, Store


@dataclass(frozen=True)
class ConfigWrite:
    """The version now current; ``created`` False when the values did not change."""

    version: ConfigVersion
    created: bool


@dataclass(frozen=True)
class ConfigHistoryEntry:
    """One version and what it changed from the previous one."""

    version: ConfigVersion
    changes: ConfigDiff


def set_values(
    store: Store, name: str, values: Mapping[str, Value], *, author: str, message: str = ""
) -> ConfigWrite:
    """Set keys of ``name`` (creating the config if it does not exist)."""
    try:
        current = store.get_config(name)
    except NotFoundError:
        return ConfigWrite(store.create_config(name, values, author=author, message=message), True)
    return _write(store, current, {**current.values, **values}, author, message)


def unset_keys(
    store: Store, name: str, keys: Sequence[str], *, author: str, message: str = ""
) -> ConfigWrite:
    """Remove ``keys`` from ``name``; every key must exist."""
    current = store.get_config(name)
    missing = [k for k in keys if k not in current.values]
    if missing:
        raise InputError(
            f"config {name!r} version {current.version} has no key "
            f"{', '.join(map(repr, missing))}; nothing changed"
        )
    values = {k: v for k, v in current.values.items() if k not in keys}
    return _write(store, current, values, author, message)


def import_config(
    store: Store,
    name: str,
    path: str | os.PathLike[str],
    *,
    author: str,
    message: str = "",
    replace: bool = False,
) -> ConfigWrite:
    """Set the keys of a flat YAML file; with ``replace`` the file becomes the whole config."""
    values: dict[str, Value] = dict(read_config_file(path))
    if not replace:
        return set_values(store, name, values, author=author, message=message)
    return replace_values(store, name, values, author=author, message=message)


def replace_values(
    store: Store, name: str, values: Mapping[str, Value], *, author: str, message: str = ""
) -> ConfigWrite:
    """``values`` become the whole of ``name`` (creating it if it does not exist)."""
    try:
        current = store.get_config(name)
    except NotFoundError:
        return ConfigWrite(store.create_config(name, values, author=author, message=message), True)
    return _write(store, current, values, author, message)


def rollback_config(
    store: Store, name: str, version: int, *, author: str, message: str = ""
) -> ConfigWrite:
    """A new version of ``name`` equal to ``version`` (nothing if the latest already is)."""
    old = store.get_config(name, version)
    current = store.get_config(name)
    return _write(store, current, old.values, author, message or f"rollback to version {version}")


def diff_config_versions(store: Store, name: str, old: int, new: int) -> ConfigDiff:
    return diff_configs(store.get_config(name, old).values, store.get_config(name, new).values)


def config_history(store: Store, name: str) -> list[ConfigHistoryEntry]:
    """Every version, oldest first, each with its changes from the one before."""
    out: list[ConfigHistoryEntry] = []
    previous: Mapping[str, Value] = {}
    for version in store.config_history(name):
        out.append(ConfigHistoryEntry(version, diff_configs(previous, version.values)))
        previous = version.values
    return out


def _write(
    store: Store,
    current: ConfigVersion,
    values: Mapping[str, Value],
    author: str,
    message: str,
) -> ConfigWrite:
    if _same(current.values, values):
        return ConfigWrite(current, False)
    version = store.add_config_version(
        current.name, values, author=author, message=message, expected_version=current.version
    )
    return ConfigWrite(version, True)


def _same(a: Mapping[str, Value], b: Mapping[str, Value]) -> bool:
    return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
