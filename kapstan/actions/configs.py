"""Config verbs: set, unset, import, roll back, diff and history. Every change is one new version.

A secret key stays secret: a plain value written over a secret key (``config set`` without
``--secret``, a webhook, an import, the console) is stored encrypted, as that value's text,
unless the write says ``plain=True`` (``--plain``; the API's ``"plain": true``), which turns
the key plain and is audited (``config.plain``). Every front door calls these verbs, so
none can skip the rule; ``rollback_config`` restores an old version as it was.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kapstan.actions.configfiles import read_config_file
from kapstan.actions.storeports import ConfigEdits, ConfigReads
from kapstan.errors import InputError, NotFoundError
from kapstan.model.values import SecretValue, Value, display
from kapstan.plan.changes import same_value
from kapstan.plan.configdiff import ConfigDiff, diff_configs
from kapstan.store import ConfigVersion


@dataclass(frozen=True)
class ConfigWrite:
    """The version now current; ``created`` False when the values did not change."""

    version: ConfigVersion
    created: bool
    kept_secret: tuple[str, ...] = ()  # secret keys given a plain value: stored encrypted
    made_plain: tuple[str, ...] = ()  # secret keys turned plain on request


@dataclass(frozen=True)
class ConfigHistoryEntry:
    """One version and what it changed from the previous one."""

    version: ConfigVersion
    changes: ConfigDiff


def set_values(
    store: ConfigEdits,
    name: str,
    values: Mapping[str, Value],
    *,
    author: str,
    message: str = "",
    plain: bool = False,
) -> ConfigWrite:
    """Set keys of ``name`` (creating the config if it does not exist).

    A key that is secret stays secret unless ``plain`` (see the module's docstring).
    """
    try:
        current = store.get_config(name)
    except NotFoundError:
        return ConfigWrite(store.create_config(name, values, author=author, message=message), True)
    guarded = guard_secrets(current, values, plain=plain)
    return _write(store, current, {**current.values, **guarded.values}, author, message, guarded)


def unset_keys(
    store: ConfigEdits, name: str, keys: Sequence[str], *, author: str, message: str = ""
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
    store: ConfigEdits,
    name: str,
    path: str | os.PathLike[str],
    *,
    author: str,
    message: str = "",
    replace: bool = False,
) -> ConfigWrite:
    """Set the keys of a flat YAML file; with ``replace`` the file becomes the whole config.

    A file holds plain values: a key that is secret in the config stays secret.
    """
    values: dict[str, Value] = dict(read_config_file(path))
    if not replace:
        return set_values(store, name, values, author=author, message=message)
    return replace_values(store, name, values, author=author, message=message)


def replace_values(
    store: ConfigEdits,
    name: str,
    values: Mapping[str, Value],
    *,
    author: str,
    message: str = "",
    plain: bool = False,
) -> ConfigWrite:
    """``values`` become the whole of ``name`` (creating it if it does not exist).

    A key left out is removed; a secret key given a plain value stays secret unless ``plain``.
    """
    try:
        current = store.get_config(name)
    except NotFoundError:
        return ConfigWrite(store.create_config(name, values, author=author, message=message), True)
    guarded = guard_secrets(current, values, plain=plain)
    return _write(store, current, guarded.values, author, message, guarded)


@dataclass(frozen=True)
class GuardedValues:
    """Values to write, with the secret keys kept secret and those made plain."""

    values: Mapping[str, Value]
    kept_secret: tuple[str, ...] = ()
    made_plain: tuple[str, ...] = ()


def guard_secrets(
    current: ConfigVersion, values: Mapping[str, Value], *, plain: bool
) -> GuardedValues:
    """``values`` with every plain value given to a key secret in ``current`` made a secret
    of that value's text (``true``, ``3``), or, with ``plain``, left plain and reported."""
    out, kept, made = dict(values), [], []
    for key, value in sorted(values.items()):
        if isinstance(value, SecretValue) or not isinstance(current.values.get(key), SecretValue):
            continue
        if plain:
            made.append(key)
            continue
        if value is None:
            raise InputError(
                f"config {current.name!r} key {key!r} is secret and a secret needs a text value, "
                'not null; give a text, or make the key plain with --plain (API: "plain": true)'
            )
        out[key] = SecretValue(display(value))
        kept.append(key)
    return GuardedValues(out, tuple(kept), tuple(made))


def rollback_config(
    store: ConfigEdits, name: str, version: int, *, author: str, message: str = ""
) -> ConfigWrite:
    """A new version of ``name`` equal to ``version`` (nothing if the latest already is)."""
    old = store.get_config(name, version)
    current = store.get_config(name)
    # The old version is restored as it was: a key plain then turns plain again (audited).
    made = tuple(
        sorted(
            k
            for k, v in old.values.items()
            if isinstance(current.values.get(k), SecretValue) and not isinstance(v, SecretValue)
        )
    )
    message = message or f"rollback to version {version}"
    return _write(store, current, old.values, author, message, GuardedValues(old.values, (), made))


def diff_config_versions(store: ConfigReads, name: str, old: int, new: int) -> ConfigDiff:
    return diff_configs(store.get_config(name, old).values, store.get_config(name, new).values)


def config_history(store: ConfigReads, name: str) -> list[ConfigHistoryEntry]:
    """Every version, oldest first, each with its changes from the one before."""
    out: list[ConfigHistoryEntry] = []
    previous: Mapping[str, Value] = {}
    for version in store.config_history(name):
        out.append(ConfigHistoryEntry(version, diff_configs(previous, version.values)))
        previous = version.values
    return out


def _write(
    store: ConfigEdits,
    current: ConfigVersion,
    values: Mapping[str, Value],
    author: str,
    message: str,
    guarded: GuardedValues | None = None,
) -> ConfigWrite:
    if _same(current.values, values):
        return ConfigWrite(current, False)
    kept, made = (guarded.kept_secret, guarded.made_plain) if guarded else ((), ())
    version = store.add_config_version(
        current.name,
        values,
        author=author,
        message=message,
        expected_version=current.version,
        made_plain=made,
    )
    if made:
        store.audit(
            author,
            "config.plain",
            kind="config",
            name=current.name,
            from_version=str(current.version),
            to_version=str(version.version),
            details={"keys": list(made)},
        )
    return ConfigWrite(version, True, kept, made)


def _same(a: Mapping[str, Value], b: Mapping[str, Value]) -> bool:
    return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
