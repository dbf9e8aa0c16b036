"""Plain JSON data for audit details and approval payloads: secret values are refused.

Callers pass data they have already redacted (``kapstan.model.values.REDACTED`` in place
of a secret). As a guard, a ``SecretValue`` found anywhere inside is an InputError naming
its path, so a secret cannot reach the audit log or an approval by mistake.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from kapstan.errors import InputError
from kapstan.model.values import REDACTED, SecretValue


def plain_json(what: str, data: Mapping[str, Any] | None) -> dict[str, Any]:
    """A JSON-ready copy of ``data`` (tuples become lists); ``what`` names it in errors."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise InputError(f"{what} must be a mapping, not {type(data).__name__}")
    copied = _copy(what, "", data)
    assert isinstance(copied, dict)
    return copied


def _copy(what: str, path: str, value: object) -> Any:
    if isinstance(value, SecretValue):
        raise InputError(
            f"{what}: {path or 'the top'} is a secret value; pass redacted data "
            f"({REDACTED!r} in its place), never a secret"
        )
    if isinstance(value, Mapping):
        copied: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputError(f"{what}: key {key!r} at {path or 'the top'} is not a string")
            copied[key] = _copy(what, f"{path}.{key}" if path else key, item)
        return copied
    if isinstance(value, list | tuple):
        return [_copy(what, f"{path}[{index}]", item) for index, item in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{what}: {path} is {value}, not a finite number")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise InputError(
        f"{what}: {path} is a {type(value).__name__}; use strings, numbers, booleans, "
        "null, lists and mappings"
    )
