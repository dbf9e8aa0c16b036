"""Config values as the core sees them: plain scalars, and secrets that never print."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

REDACTED = "<redacted>"


@dataclass(frozen=True, eq=False)
class SecretValue:
    """A secret config value. It prints as ``<redacted>``; only ``reveal()`` gives the text.

    Rendering calls ``reveal()`` when it writes a Kubernetes Secret; every other path
    (tables, diffs, logs, errors, exports) sees ``<redacted>``. The store hands out a
    function that decrypts instead of the text, run on the first ``reveal()``: a read that
    shows no secret (``config list``, ``env show``) then needs no secret key.
    """

    _plain: str | Callable[[], str] = field(repr=False)

    def reveal(self) -> str:
        if not isinstance(self._plain, str):
            object.__setattr__(self, "_plain", self._plain())  # decrypted once, when needed
        assert isinstance(self._plain, str)
        return self._plain

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretValue):
            return NotImplemented
        return self is other or self.reveal() == other.reveal()

    def __hash__(self) -> int:
        return hash(self.reveal())

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
