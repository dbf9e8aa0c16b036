"""Config versions: numbered, immutable sets of key/value pairs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from kapstan.model.values import Value


@dataclass(frozen=True)
class ConfigVersion:
    """One immutable version of a named config. ``values`` may hold ``SecretValue``s."""

    name: str
    version: int
    values: Mapping[str, Value] = field(hash=False)
    author: str
    created_at: datetime
    message: str = ""
