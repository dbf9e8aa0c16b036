"""``NAME@VERSION`` references to templates and configs, parsed in one place."""

from __future__ import annotations

from dataclasses import dataclass

from kapstan.errors import InputError


@dataclass(frozen=True)
class Ref:
    """A name and an optional version (None: the latest)."""

    name: str
    version: int | None = None

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name}@{self.version}"


def parse_ref(text: str, what: str) -> Ref:
    """``bookstore`` -> Ref("bookstore"); ``bookstore@3`` -> Ref("bookstore", 3).

    ``what`` names the object in errors, e.g. "template".
    """
    name, sep, version = text.partition("@")
    if not name:
        raise InputError(f"{what} reference {text!r} has no name; write NAME or NAME@VERSION")
    if not sep:
        return Ref(name)
    if not version.isdigit() or int(version) < 1:
        raise InputError(
            f"{what} reference {text!r}: the version must be a positive whole number "
            f"(write NAME@VERSION, e.g. {name}@2)"
        )
    return Ref(name, int(version))
