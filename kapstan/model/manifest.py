"""Compiled manifests: a manifest document parsed once, with its placeholder slots.

A template version is parsed once (``kapstan.templates.parser``); rendering then only
fills slots. A ``Document`` keeps its body as a JSON *skeleton* (slots set to null) plus
the list of ``SlotSite`` that say where each placeholder-bearing string sits. Rendering
is ``json.loads(skeleton)`` followed by one assignment per slot, which is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kapstan.model.values import Scalar

PathItem = str | int
Path = tuple[PathItem, ...]
Expect = Literal["int", "int-or-name", "bool"]


@dataclass(frozen=True)
class Placeholder:
    """``${key}`` or ``${key:-default}`` at a 1-based line and column of its file."""

    key: str
    default: str | None
    line: int
    column: int


@dataclass(frozen=True)
class Slot:
    """A YAML string scalar that contains placeholders.

    ``whole`` is true when the scalar is exactly one placeholder written plain (unquoted):
    the value then keeps its type. Otherwise the parts are joined as text.
    ``typed_default`` is the default text read as a YAML scalar (used when ``whole``).
    """

    parts: tuple[str | Placeholder, ...]
    whole: bool
    typed_default: Scalar = None

    @property
    def placeholders(self) -> tuple[Placeholder, ...]:
        return tuple(p for p in self.parts if isinstance(p, Placeholder))


@dataclass(frozen=True)
class SlotSite:
    """Where a slot sits in its document: the JSON path, its dotted text, the expected type."""

    path: Path
    field: str
    slot: Slot
    expect: Expect | None


@dataclass(frozen=True)
class Document:
    """One YAML document of a manifest file (``index`` 1-based, ``line`` 1-based)."""

    file: str
    index: int
    line: int
    api_version: str
    kind: str
    skeleton: str
    slots: tuple[SlotSite, ...]

    @property
    def where(self) -> str:
        return f"{self.file}: document {self.index} (line {self.line})"
