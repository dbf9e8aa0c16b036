"""Filling a compiled document's slots with values; problems are collected, not raised.

Rendering gathers every undefined key and every misfit of a whole template, then raises
one VariableError listing them all (see ``Problems.raise_if_any``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kapstan.errors import VariableError
from kapstan.model.manifest import Document, Placeholder, SlotSite
from kapstan.model.rendered import KubeObject
from kapstan.model.values import Scalar, SecretValue, Value, display
from kapstan.render.fields import coerce, needs

_MISSING = object()


@dataclass
class Problems:
    """Undefined keys as (key, file, line, service); other messages as text."""

    undefined: list[tuple[str, str, int, str]] = field(default_factory=list)
    misfits: list[str] = field(default_factory=list)

    def raise_if_any(self) -> None:
        if not self.undefined and not self.misfits:
            return
        lines: list[str] = []
        if self.undefined:
            keys = sorted({u[0] for u in self.undefined})
            lines.append(f"undefined variables ({len(keys)}): {', '.join(keys)}")
            lines.append("  set them in the config, or give a default: ${key:-default}")
            for key, file, line, service in sorted(
                set(self.undefined), key=lambda u: (u[1], u[2], u[0])
            ):
                lines.append(f"  {key}  at {file}:{line}  (service {service})")
        if self.misfits:
            lines.append(f"values that do not fit ({len(set(self.misfits))}):")
            lines.extend(f"  {m}" for m in dict.fromkeys(self.misfits))
        raise VariableError("\n".join(lines))


def as_text(value: Scalar) -> str:
    """A scalar as text inside a longer string or a ConfigMap: ``true``, ``3``, ``""`` for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def fill(
    doc: Document,
    values: Mapping[str, Value],
    service: str,
    problems: Problems,
    used: dict[str, Value],
) -> KubeObject:
    """The document's object with every slot filled (unfillable slots stay null)."""
    obj: KubeObject = json.loads(doc.skeleton)
    for site in doc.slots:
        value = _resolve(site, doc, values, service, problems, used)
        if value is not _MISSING:
            _set(obj, site, value)
    return obj


def _resolve(
    site: SlotSite,
    doc: Document,
    values: Mapping[str, Value],
    service: str,
    problems: Problems,
    used: dict[str, Value],
) -> Any:
    slot = site.slot
    # A Secret's stringData is the one place a secret may fill a placeholder: the object is
    # a Secret, masked in hashes and redacted wherever it is shown.
    secret_ok = doc.kind == "Secret" and site.path[:1] == ("stringData",)
    if slot.whole:
        holder = slot.parts[0]
        assert isinstance(holder, Placeholder)
        value = _lookup(holder, slot.typed_default, doc, values, service, problems, used)
        if secret_ok and isinstance(value, SecretValue):
            value = value.reveal()
    else:
        texts = [
            p if isinstance(p, str) else _lookup(p, p.default, doc, values, service, problems, used)
            for p in slot.parts
        ]
        texts = [t.reveal() if secret_ok and isinstance(t, SecretValue) else t for t in texts]
        if any(t is _MISSING for t in texts):
            return _MISSING
        value = "".join(t if isinstance(t, str) else as_text(t) for t in texts)
    if value is _MISSING or site.expect is None:
        return value
    fits, converted = coerce(value, site.expect)
    if not fits:
        keys = ", ".join(p.key for p in slot.placeholders)
        line = slot.placeholders[0].line
        problems.misfits.append(
            f"key {keys} = {display(value)!r} at {doc.file}:{line} field {site.field}"
            f" needs {needs(site.expect)} (service {service})"
        )
    return converted


def _lookup(
    holder: Placeholder,
    default: Scalar,
    doc: Document,
    values: Mapping[str, Value],
    service: str,
    problems: Problems,
    used: dict[str, Value],
) -> Any:
    value = values.get(holder.key, _MISSING)
    if value is _MISSING:
        if holder.default is None:
            problems.undefined.append((holder.key, doc.file, holder.line, service))
            return _MISSING
        used.setdefault(holder.key, default)
        return default
    used[holder.key] = value  # type: ignore[assignment]
    if isinstance(value, SecretValue) and not (
        doc.kind == "Secret" and holder_in_string_data(doc, holder)
    ):
        problems.misfits.append(
            f"key {holder.key} at {doc.file}:{holder.line} is secret; deliver secrets with the"
            f" service's env/files (a Secret), not a placeholder (service {service})"
        )
        return _MISSING
    return value


def holder_in_string_data(doc: Document, holder: Placeholder) -> bool:
    """Whether ``holder`` sits under the Secret's ``stringData``."""
    return any(
        holder in site.slot.placeholders and site.path[:1] == ("stringData",) for site in doc.slots
    )


def _set(obj: KubeObject, site: SlotSite, value: Any) -> None:
    target: Any = obj
    for item in site.path[:-1]:
        target = target[item]
    target[site.path[-1]] = value
