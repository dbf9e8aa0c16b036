"""Diffing two config versions: added, removed, changed keys; secrets never shown."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kapstan.model.values import SecretValue, Value, display
from kapstan.plan.changes import same_value


@dataclass(frozen=True)
class KeyChange:
    """One key's change; ``old``/``new`` are None on the side where it is absent."""

    key: str
    old: Value
    new: Value

    @property
    def secret(self) -> bool:
        return isinstance(self.old, SecretValue) or isinstance(self.new, SecretValue)


@dataclass(frozen=True)
class ConfigDiff:
    added: tuple[KeyChange, ...]
    removed: tuple[KeyChange, ...]
    changed: tuple[KeyChange, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_configs(old: Mapping[str, Value], new: Mapping[str, Value]) -> ConfigDiff:
    """Keys sorted within each group. A secret whose value changed is ``changed``."""
    added = tuple(KeyChange(k, None, new[k]) for k in sorted(new.keys() - old.keys()))
    removed = tuple(KeyChange(k, old[k], None) for k in sorted(old.keys() - new.keys()))
    changed = tuple(
        KeyChange(k, old[k], new[k])
        for k in sorted(old.keys() & new.keys())
        if not same_value(old[k], new[k])
    )
    return ConfigDiff(added, removed, changed)


def format_config_diff(diff: ConfigDiff) -> str:
    """Lines ``+ key = value``, ``- key = value``, ``~ key: old -> new``; secrets redacted."""
    if diff.empty:
        return "no changes\n"
    lines = [f"+ {c.key} = {display(c.new)}" for c in diff.added]
    lines += [f"- {c.key} = {display(c.old)}" for c in diff.removed]
    for c in diff.changed:
        tail = "  (secret changed)" if c.secret else ""
        lines.append(f"~ {c.key}: {display(c.old)} -> {display(c.new)}{tail}")
    return "\n".join(lines) + "\n"
