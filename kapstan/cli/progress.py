"""How a running operation is shown: a live table on a terminal, its event stream elsewhere.

``--progress auto`` (the default) draws the table when stdout and stderr are both terminals
and prints the plain stream otherwise (CI logs, pipes, files); ``table`` and ``plain``
choose. Either way progress goes to stderr as it happens (stdout keeps the result, the same
locally and through a server) and a short summary follows it there: what changed, what
failed and why, how long it took. JSON/YAML output shows no progress; its records carry
the summary (``summary_record``).

The rows come from ``kapstan.plan.progress.ProgressBoard``, fed by the journal's listener:
the engine's own calls locally, the server's event stream remotely.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

import typer

from kapstan.cli.backend.started import Approval, Pending, see_through
from kapstan.cli.output import Format, console
from kapstan.errors import KapstanError
from kapstan.model.operation import Operation, Step

# rich and the progress board are imported by what draws: the commands that import this
# module for ``--progress`` load them when an operation runs (tests/cli/test_startup.py).
if TYPE_CHECKING:
    from rich.console import Console, Group, RenderableType

    from kapstan.plan.progress import ProgressBoard, ServiceRow, Summary


class ProgressMode(StrEnum):
    auto = "auto"
    table = "table"
    plain = "plain"


ProgressOpt = typer.Option(
    ProgressMode.auto,
    "--progress",
    help="While it runs: a live table per service (table), one line per event (plain), or "
    "the table on a terminal and plain otherwise (auto).",
)
PLAIN_WIDTH = 12  # the service column's least width in the plain stream
STATUS_WIDTH = 11
COLUMNS = ("LEVEL", "SERVICE", "STEP", "READY", "ELAPSED", "REASON")
REFRESH_PER_SECOND = 4
LISTED = 8  # names listed per kind in the summary before "and N more"


# --- the plain stream -------------------------------------------------------------------


def format_event(
    service: str, resource: str, status: str, message: str, width: int = PLAIN_WIDTH
) -> str:
    """One journal call as a line: service, status, resource, message, in columns."""
    where = service or "(app)"
    what = f" {resource}" if resource else ""
    return f"  {where:<{width}} {status:<{STATUS_WIDTH}}{what}  {message}"


class PlainProgress:
    """Prints each call as it comes; the service column is as wide as the longest name known."""

    def __init__(self, out: TextIO, services: Sequence[str] = ()) -> None:
        self.out = out  # the stream itself: rich is not loaded for it
        self.width = max([PLAIN_WIDTH, *(len(s) for s in services)])
        self._lock = threading.Lock()  # services report from their own threads

    def __call__(self, service: str, resource: str, status: str, message: str) -> None:
        self.width = max(self.width, len(service))
        line = format_event(service, resource, status, message, self.width)
        # Written as it is, not through rich's print: a deploy reports hundreds of events
        # and a log line is never wrapped or restyled (rich's print cost 7% of a deploy).
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()


# --- the live table ---------------------------------------------------------------------


def table_cells(row: ServiceRow, now: float) -> tuple[str, ...]:
    """One row's cells, as ``COLUMNS`` names them."""
    from kapstan.plan.progress import elapsed_text

    ready = "-" if row.desired is None else f"{row.ready}/{row.desired}"
    level = "-" if row.level is None else str(row.level)
    return (level, row.service, row.step.value, ready, elapsed_text(row.elapsed(now)), row.reason)


def visible_rows(rows: Sequence[ServiceRow], limit: int) -> tuple[list[ServiceRow], int]:
    """At most ``limit`` rows, those in flight or failed first (in table order); how many not."""
    if len(rows) <= limit:
        return list(rows), 0

    def urgency(row: ServiceRow) -> int:
        if row.step in (Step.FAILED, Step.APPLYING, Step.WAITING, Step.PRUNING):
            return 0
        return 1 if not row.step.terminal else 2

    chosen = set(sorted(range(len(rows)), key=lambda i: (urgency(rows[i]), i))[: max(limit, 1)])
    return [r for i, r in enumerate(rows) if i in chosen], len(rows) - len(chosen)


def headline(rows: Sequence[ServiceRow], started: float, now: float) -> str:
    """``3/5 services done, 1 failed, 2 in flight · 12.3s``."""
    from kapstan.plan.progress import elapsed_text

    done = sum(1 for r in rows if r.step.terminal)
    failed = sum(1 for r in rows if r.step is Step.FAILED)
    flying = sum(1 for r in rows if r.step in (Step.APPLYING, Step.WAITING, Step.PRUNING))
    parts = [f"{done}/{len(rows)} services done"]
    if failed:
        parts.append(f"{failed} failed")
    if flying:
        parts.append(f"{flying} in flight")
    return ", ".join(parts) + f" · {elapsed_text(now - started)}"


def clip(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, cut with an ellipsis."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def progress_table(
    board: ProgressBoard, started: float, now: float, *, limit: int, width: int
) -> Group:
    """The headline, a line per service (at most ``limit``), and how many are not shown.

    One line per service in ``width`` columns: every column keeps its full width but the
    reason, which is cut to what is left.
    """
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    rows = board.rows()
    shown, hidden = visible_rows(rows, limit)
    cells = [table_cells(row, now) for row in shown]
    widths = [max([len(name), *(len(c[i]) for c in cells)]) for i, name in enumerate(COLUMNS)]
    room = max(width - sum(widths[:-1]) - 2 * (len(COLUMNS) - 1), len(COLUMNS[-1]))
    table = Table(box=None, pad_edge=False, header_style="bold", expand=False)
    for name, wide in zip(COLUMNS, widths, strict=True):
        table.add_column(name, no_wrap=True, min_width=min(wide, room))
    for row, texts in zip(shown, cells, strict=True):
        style = "red" if row.step is Step.FAILED else None
        table.add_row(*texts[:-1], clip(texts[-1], room), style=style)
    parts: list[RenderableType] = [Text(headline(rows, started, now)), table]
    if hidden:
        parts.append(Text(f"… and {hidden} more service(s)"))
    return Group(*parts)


class LiveProgress:
    """A table redrawn in place: one line per service. A context manager; a listener.

    The engine calls the listener from its worker threads: the board is behind a lock.
    ``auto_refresh`` off (tests) redraws at each call instead of a few times a second.
    The table stays on screen when it ends (its last frame), above the summary.
    """

    def __init__(
        self,
        out: Console,
        board: ProgressBoard,
        *,
        clock: Callable[[], float] = time.monotonic,
        auto_refresh: bool = True,
    ) -> None:
        from rich.live import Live

        self.out = out
        self.board = board
        self.clock = clock
        self.started = clock()
        self.auto_refresh = auto_refresh
        self._lock = threading.Lock()
        self._drawn = False
        self.live = Live(
            self,
            console=out,
            auto_refresh=auto_refresh,
            refresh_per_second=REFRESH_PER_SECOND,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )

    def __rich__(self) -> RenderableType:
        with self._lock:
            limit = max(3, self.out.size.height - 4) if self.out.is_terminal else 10**6
            return progress_table(
                self.board, self.started, self.clock(), limit=limit, width=self.out.width
            )

    def __enter__(self) -> LiveProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.live.is_started:
            self.live.stop()

    def __call__(self, service: str, resource: str, status: str, message: str) -> None:
        with self._lock:
            self.board.record(service, resource, status, message, self.clock())
            first, self._drawn = not self._drawn, True
        # Drawn from the first call on: an operation that never starts (it waits for an
        # approval) leaves no empty table behind.
        if first:
            self.live.start()
        elif not self.auto_refresh:
            self.live.refresh()


# --- the summary ------------------------------------------------------------------------


def _names(names: Sequence[str]) -> str:
    listed = ", ".join(names[:LISTED])
    return listed + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")


def format_summary(summary: Summary) -> list[str]:
    """A few lines: how it ended and in how long, what changed, what failed and why."""
    from kapstan.plan.progress import elapsed_text

    took = f" in {elapsed_text(summary.seconds)}" if summary.seconds is not None else ""
    counts = [
        f"{len(names)} {what}" + (f" ({_names(names)})" if names and what != "unchanged" else "")
        for what, names in (
            ("updated", summary.updated),
            ("unchanged", summary.unchanged),
            ("removed", summary.removed),
            ("rolled back", summary.rolled_back),
        )
        if names or what in ("updated", "unchanged")
    ]
    counts += [f"{len(summary.failed)} failed"] if summary.failed else []
    counts += [f"{len(summary.skipped)} skipped"] if summary.skipped else []
    counts += [f"{len(summary.not_run)} not run"] if summary.not_run else []
    lines = [f"{summary.kind} of {summary.app} {summary.status.value}{took}: {', '.join(counts)}"]
    width = max([0, *(len(f.service) for f in (*summary.failed, *summary.skipped))])
    for failure in summary.failed:
        lines.append(f"  failed   {failure.service:<{width}}  {failure.message}")
        lines += [f"           {'':<{width}}  {reason}" for reason in failure.reasons]
    for skipped in summary.skipped:
        lines.append(f"  skipped  {skipped.service:<{width}}  {skipped.message}")
    if summary.status is Step.FAILED and not summary.failed and summary.message:
        lines.append(f"  {summary.message}")
    return lines


def summary_record(op: Operation) -> dict[str, object]:
    from kapstan.plan.progress import summarize

    return summarize(op).record()


# --- choosing and running ---------------------------------------------------------------


def wants_table(mode: ProgressMode) -> bool:
    if mode is ProgressMode.auto:
        return sys.stdout.isatty() and sys.stderr.isatty()
    return mode is ProgressMode.table


Levels = Callable[[str], Mapping[str, int]]


def show_progress(
    started: Pending | Approval,
    output: Format,
    mode: ProgressMode,
    *,
    services: Sequence[str] = (),
    levels: Levels | None = None,
) -> Operation | Approval:
    """See ``started`` through, showing its progress on stderr, then its summary there.

    ``levels`` (app -> service -> dependency level) is asked for the table only; the
    table goes without levels when it cannot be read.
    """
    if output is not Format.table:
        return see_through(started, None)
    from kapstan.plan.progress import ProgressBoard, summarize

    if wants_table(mode) and isinstance(started, Pending):
        board = ProgressBoard(services, _levels(levels, started.app))
        with LiveProgress(console(stderr=True), board) as live:
            done = see_through(started, live)
    else:  # rich is loaded after the operation (for its summary): not before its first write
        done = see_through(started, PlainProgress(sys.stderr, services))
    if isinstance(done, Operation):
        err = console(stderr=True)
        for line in format_summary(summarize(done)):
            err.print(line, markup=False, highlight=False)
    return done


def _levels(levels: Levels | None, app: str) -> Mapping[str, int]:
    if levels is None:
        return {}
    try:
        return levels(app)
    except KapstanError:
        return {}  # levels are for display: a table without them still shows progress
