"""Config values as the core sees them: plain scalars, and secrets that never print."""

from __future__ import annotations

from dataclasses import dataclass, field

REDACTED = "<redacted>"


@dataclass(frozen=True)
class SecretValue:
    """A secret config value. It prints as ``<redacted>``; only ``reveal()`` gives the text.

    Rendering calls ``reveal()`` when it writes a Kubernetes Secret; every other path
    (tables, diffs, logs, errors, exports) sees ``<redacted>``.
    """

    _plain: str = field(repr=False)

    def reveal(self) -> str:
        return self._plain

    def __str__(self) -> str:
        return REDACTED

    def __repr__(self) -> str:
        return f"SecretValue({REDACTED})"


Scalar = str | int | float | bool | None
Value = Scalar | SecretValue


def display(value: Value) -> str:
    """The text a person may see for a value: secrets redacted."""
    if isinstance(value, SecretValue):
        return REDACTED
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
