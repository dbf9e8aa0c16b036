"""What translating one compose file shares across its services.

The per-service modules (``composedeps``, ``composehealth``, ``composevolumes``,
``composeobjects``, ``composefiles``, ``composeenv``) read it and return what they found, report ``Line``s included;
``composeservice`` alone records their results (here and in the service it builds).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kapstan.errors import InputError
from kapstan.importers.composevars import Variables
from kapstan.importers.result import Report
from kapstan.importers.yamlio import Lines
from kapstan.model.values import Scalar

# One report line: where (``compose.yaml:12: service 'web' ports[0]``) and what about it.
Line = tuple[str, str]


@dataclass(frozen=True)
class FileSource:
    """A top-level secret or config (``kind``: secrets, configs) as the key that holds it.

    ``key`` is None when it is not translated (external, or its file is missing); ``text``
    is a config's text (the key's default), None for a secret (it never enters the template).
    """

    kind: str
    name: str
    key: str | None
    text: str | None = None


@dataclass
class ComposeContext:
    file: Path
    lines: Lines
    report: Report
    variables: Variables
    project: str
    names: dict[str, str] = field(default_factory=dict)
    volume_owner: dict[str, str] = field(default_factory=dict)
    volumes: dict[str, Any] = field(default_factory=dict)
    jobs: set[str] = field(default_factory=set)
    config: dict[str, Scalar] = field(default_factory=dict)
    # Top-level ``secrets``/``configs`` by (kind, name), and the services left out
    # because their profiles were not chosen (name -> their profiles).
    sources: dict[tuple[str, str], FileSource] = field(default_factory=dict)
    skipped: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def where(self, service: str, *path: str | int) -> str:
        """``compose.yaml:12: service 'web' ports[0]`` (the line of the deepest known key)."""
        full: tuple[str | int, ...] = ("services", service, *path)
        line = next(
            (self.lines[full[:n]] for n in range(len(full), 0, -1) if full[:n] in self.lines), 0
        )
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        at = f"{self.file.name}:{line}" if line else self.file.name
        return f"{at}: service {service!r}" + (f" {key}" if key else "")

    def fail(self, service: str, path: tuple[str | int, ...], message: str) -> InputError:
        where = self.where(service, *path).replace(self.file.name, str(self.file), 1)
        return InputError(f"{where}: {message}")

    def note(self, service: str, path: tuple[str | int, ...], message: str) -> Line:
        """The report line for ``message`` about ``path`` of ``service`` (not yet added)."""
        return self.where(service, *path), message

    def add(self, service: str, path: tuple[str | int, ...], message: str) -> None:
        self.report.add(*self.note(service, path, message))

    def add_lines(self, lines: Iterable[Line]) -> None:
        for where, message in lines:
            self.report.add(where, message)
