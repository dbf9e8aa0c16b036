"""What every importer returns, and the report it builds on the way."""

from __future__ import annotations

from dataclasses import dataclass, field

from kapstan.model.values import Scalar


@dataclass(frozen=True)
class ImportResult:
    """A translated template.

    ``files`` is template content (``kapstan.yaml`` + manifests) that ``parse_template``
    accepts; ``config`` holds the keys the importer made, with their defaults (the same as
    the ``config:`` block); ``report`` says, one line each, what was not translated or was
    translated with a difference in meaning, naming the source file, service and key.
    """

    files: dict[str, str]
    report: list[str]
    config: dict[str, Scalar]
    name: str = ""
    services: tuple[str, ...] = ()


@dataclass
class Report:
    """Report lines in the order found, without repeats."""

    lines: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        line = f"{where}: {message}"
        if line not in self.lines:
            self.lines.append(line)
