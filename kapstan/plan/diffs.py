"""Diffs of rendered output: unified text and a structured, per-field list. Secrets redacted.

``unified_diff`` works on YAML text (revisions store redacted YAML, see
``kapstan.render.hashing.service_yaml``); ``structured_diff`` works on objects: it
compares the real values, so a changed Secret value is still reported, but shows
``<redacted>`` for every value under a Secret's ``data``/``stringData``.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from kapstan.model.rendered import KubeObject
from kapstan.model.values import REDACTED
from kapstan.render.hashing import objects_yaml
from kapstan.render.redaction import SECRET_FIELDS, is_secret, redact_objects
from kapstan.render.resources import ResourceKey, key_of

__all__ = [
    "FieldChange",
    "ResourceChange",
    "redact_objects",
    "structured_diff",
    "unified_diff",
    "unified_diff_objects",
]


@dataclass(frozen=True)
class FieldChange:
    """``path`` like ``spec.template.spec.containers[name=web].image``; None = absent."""

    path: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ResourceChange:
    key: ResourceKey
    action: Literal["added", "removed", "changed"]
    fields: tuple[FieldChange, ...] = ()


def unified_diff(
    old_yaml: str,
    new_yaml: str,
    *,
    old_label: str = "old",
    new_label: str = "new",
    context: int = 3,
) -> str:
    """A unified diff of two texts; empty string when equal."""
    lines = difflib.unified_diff(
        _lines(old_yaml), _lines(new_yaml), fromfile=old_label, tofile=new_label, n=context
    )
    return "".join(lines)


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def unified_diff_objects(
    old: Sequence[KubeObject],
    new: Sequence[KubeObject],
    *,
    old_label: str = "old",
    new_label: str = "new",
) -> str:
    """Unified diff of the redacted YAML of two object lists."""
    return unified_diff(
        objects_yaml(old, redact=True),
        objects_yaml(new, redact=True),
        old_label=old_label,
        new_label=new_label,
    )


def structured_diff(old: Sequence[KubeObject], new: Sequence[KubeObject]) -> list[ResourceChange]:
    """Per-resource changes, resources matched by (group, kind, namespace, name).

    Order: resources of ``new`` in order (changed or added), then removed ones.
    """
    before = {key_of(o): o for o in old}
    after = {key_of(o): o for o in new}
    out: list[ResourceChange] = []
    for key, obj in after.items():
        if key not in before:
            out.append(ResourceChange(key, "added"))
        elif before[key] != obj:
            fields = tuple(
                _redact_field(f) if is_secret(obj) else f for f in _walk(before[key], obj, "")
            )
            out.append(ResourceChange(key, "changed", fields))
    out.extend(ResourceChange(key, "removed") for key in before if key not in after)
    return out


def _walk(old: Any, new: Any, path: str) -> list[FieldChange]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[FieldChange] = []
        for key in [*old, *(k for k in new if k not in old)]:
            if old.get(key) != new.get(key) or (key in old) != (key in new):
                out.extend(_walk(old.get(key), new.get(key), f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(old, list) and isinstance(new, list):
        return _walk_list(old, new, path)
    return [FieldChange(path, old, new)] if old != new else []


def _walk_list(old: list[Any], new: list[Any], path: str) -> list[FieldChange]:
    old_named, new_named = _by_name(old), _by_name(new)
    if old_named is not None and new_named is not None:
        keys = [*old_named, *(k for k in new_named if k not in old_named)]
        return [
            c for k in keys for c in _walk(old_named.get(k), new_named.get(k), f"{path}[name={k}]")
        ]
    out = [c for i in range(min(len(old), len(new))) for c in _walk(old[i], new[i], f"{path}[{i}]")]
    out += [FieldChange(f"{path}[{i}]", old[i], None) for i in range(len(new), len(old))]
    out += [FieldChange(f"{path}[{i}]", None, new[i]) for i in range(len(old), len(new))]
    return out


def _by_name(items: list[Any]) -> dict[str, Any] | None:
    """Items keyed by ``name`` when all are mappings with distinct names, else None."""
    if not items or not all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items):
        return None
    named = {i["name"]: i for i in items}
    return named if len(named) == len(items) else None


def _redact_field(change: FieldChange) -> FieldChange:
    if change.path.split(".")[0] not in SECRET_FIELDS:
        return change
    return FieldChange(change.path, _redact_value(change.old), _redact_value(change.new))


def _redact_value(value: Any) -> Any:
    if isinstance(value, dict):
        return dict.fromkeys(value, REDACTED)
    return None if value is None else REDACTED


def format_structured(changes: Sequence[ResourceChange]) -> str:
    """Text form: one line per resource, indented field lines ``path: old -> new``."""
    lines = []
    for change in changes:
        lines.append(f"{change.action} {change.key}")
        lines.extend(f"  {f.path}: {_show(f.old)} -> {_show(f.new)}" for f in change.fields)
    return "\n".join(lines) + ("\n" if lines else "")


def _show(value: Any) -> str:
    return "(absent)" if value is None else repr(value) if isinstance(value, str) else str(value)
