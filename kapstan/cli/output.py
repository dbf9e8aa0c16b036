"""Printing results: human tables by default, ``-o json|yaml`` everywhere.

``format_*`` functions return strings; ``print_*`` functions write them. Colours only
when stdout is a terminal.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

# yaml and rich are imported where they print: `kapstan --version` needs neither.


class Format(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


PIPE_WIDTH = 500  # piped output is read by programs: never wrap a table cell


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    return Console(
        file=stream,
        highlight=False,
        soft_wrap=True,
        force_terminal=None if tty else False,
        width=None if tty else PIPE_WIDTH,
    )


def format_data(data: Any, fmt: Format) -> str:
    data = _stamped(data)
    if fmt is Format.yaml:
        import yaml

        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip("\n")
    return json.dumps(data, indent=2, default=str)


def _stamped(data: Any) -> Any:
    """``data`` with each datetime as ISO 8601 text with its zone (UTC if it has none)."""
    if isinstance(data, datetime):
        moment = data.replace(tzinfo=UTC) if data.tzinfo is None else data.astimezone(UTC)
        return moment.isoformat(timespec="seconds")
    if isinstance(data, dict):
        return {k: _stamped(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_stamped(v) for v in data]
    return data


def print_rows(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fmt: Format,
    records: list[dict[str, Any]] | None = None,
) -> None:
    """A table for people, or the records as JSON/YAML for programs."""
    if fmt is not Format.table:
        data = (
            records if records is not None else [dict(zip(columns, r, strict=True)) for r in rows]
        )
        print(format_data(data, fmt))
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for c in columns:
        table.add_column(c.upper())
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r))
    out = console()
    if out.is_terminal:
        out.print(table)
        return
    with out.capture() as captured:
        out.print(table)
    print("\n".join(line.rstrip() for line in captured.get().splitlines()))


def print_data(data: Any, fmt: Format, text: str | None = None) -> None:
    if fmt is Format.table and text is not None:
        print(text)
    else:
        print(format_data(data, Format.yaml if fmt is Format.table else fmt))


def print_error(message: str) -> None:
    from rich.markup import escape

    text = f"[red]error:[/red] {escape(message)}"
    console(stderr=True).print(text, markup=True, highlight=False)
