"""What every importer returns, and the report it builds on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kapstan.model.values import Scalar


@dataclass(frozen=True)
class ImportResult:
    """A translated template.

    ``files`` is template content (``kapstan.yaml`` + manifests) that ``parse_template``
    accepts; ``config`` holds the keys the importer made, with their defaults (the same as
    the ``config:`` block); ``report`` says, one line each, what was not translated or was
    translated with a difference in meaning, naming the source file, service and key.

    ``source_objects`` are the objects the source itself renders to (the input manifests,
    ``helm template`` output, the compose model's objects), with their literal values, for
    the proof of equivalence (``kapstan.importers.proof``); ``differences`` are what that
    proof found still different between them and the rendered template, one line each.
    """

    files: dict[str, str]
    report: list[str]
    config: dict[str, Scalar]
    name: str = ""
    services: tuple[str, ...] = ()
    source_objects: tuple[dict[str, Any], ...] = ()
    differences: tuple[str, ...] = ()


@dataclass
class Report:
    """Report lines in the order found, without repeats."""

    lines: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        line = f"{where}: {message}"
        if line not in self.lines:
            self.lines.append(line)
