"""Formatting config versions, histories and diffs; every value goes through ``display``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kapstan.cli.common import iso, shown
from kapstan.cli.output import Format, print_data, print_rows
from kapstan.errors import NotFoundError
from kapstan.model.values import SecretValue, display
from kapstan.store import ConfigVersion

# The config ports (actions, store, HTTP client) load when a command opens its backend:
# `delete_cmd` imports this module for any `kapstan app ...` (tests/cli/test_startup.py).
if TYPE_CHECKING:
    from kapstan.cli.backend.configs import ConfigSummary, Written
    from kapstan.plan.configdiff import ConfigDiff, KeyChange


def report_write(result: Written, output: Format = Format.table) -> None:
    """What a write made: a sentence for people, the version as JSON/YAML for programs."""
    v = result.version
    lines = [
        f"config {v.name}: version {v.version} saved"
        if result.created
        else f"config {v.name}: unchanged, still version {v.version}"
    ]
    if result.kept_secret:
        keys = ", ".join(result.kept_secret)
        lines.append(f"kept secret (encrypted): {keys}; `config set --plain` makes a key plain")
    if result.made_plain:
        lines.append(f"made plain (audited): {', '.join(result.made_plain)}")
    record = {
        **_version_record(v),
        "saved": result.created,
        "keptSecret": list(result.kept_secret),
        "madePlain": list(result.made_plain),
    }
    print_data(record, output, "\n".join(lines))


def print_config(version: ConfigVersion, key: str | None, output: Format) -> None:
    if key is not None:
        if key not in version.values:
            raise NotFoundError(
                f"config {version.name!r} version {version.version} has no key {key!r}"
            )
        value = version.values[key]
        print_data({"key": key, "value": shown(value)}, output, display(value))
        return
    values = version.values
    rows = [(k, display(v), "yes" if isinstance(v, SecretValue) else "") for k, v in values.items()]
    if output is Format.table:
        print(f"config {version.name} version {version.version}")
        print_rows(("key", "value", "secret"), rows, output)
        return
    from kapstan.cli.backend.configs import ConfigSummary

    record = {
        **_version_record(ConfigSummary.of(version)),
        "values": {k: shown(v) for k, v in values.items()},
    }
    print_data(record, output)


def print_versions(
    entries: list[tuple[ConfigSummary, ConfigDiff | None]], output: Format, *, with_name: bool
) -> None:
    records = []
    for version, changes in entries:
        record = _version_record(version)
        record["keys"] = version.keys
        if changes is not None:
            record["changes"] = format_changes(changes)
        if not with_name:
            del record["name"]
        records.append(record)
    columns = ("name",) * with_name + ("version", "author", "created", "message", "keys")
    columns += ("changes",) * any(changes is not None for _, changes in entries)
    rows = [tuple(r[c] for c in columns) for r in records]
    print_rows(columns, rows, output, records)


def format_changes(changes: ConfigDiff) -> str:
    """Keys only: ``+new ~changed -removed``."""
    parts = [f"+{c.key}" for c in changes.added]
    parts += [f"~{c.key}" for c in changes.changed]
    parts += [f"-{c.key}" for c in changes.removed]
    return " ".join(parts)


def diff_record(changes: ConfigDiff) -> dict[str, Any]:
    return {
        "added": [_change_record(c) for c in changes.added],
        "removed": [_change_record(c) for c in changes.removed],
        "changed": [_change_record(c) for c in changes.changed],
    }


def _change_record(change: KeyChange) -> dict[str, Any]:
    return {
        "key": change.key,
        "old": shown(change.old),
        "new": shown(change.new),
        "secret": change.secret,
    }


def _version_record(version: ConfigSummary) -> dict[str, Any]:
    return {
        "name": version.name,
        "version": version.version,
        "author": version.author,
        "created": iso(version.created_at),
        "message": version.message,
    }
