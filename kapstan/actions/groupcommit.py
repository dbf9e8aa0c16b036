"""Group commit: the writes of many threads committed together, each caller told of its own.

A deploy runs one thread per service in flight, and each records its steps and log lines
as they happen. One store transaction per line meant, on SQLite's single writer, that a
service's next request waited behind every other service's lines (at 50 services, most
of the deploy's threads were queueing for the store). Here a writer hands its entry over
and whoever is first in line commits everything handed over so far, in one transaction.

Every caller still returns only once its own entry is committed: the record is as
durable, and as ordered per thread, as with one transaction each. A batch that fails is
written again one entry at a time, so each caller gets its own outcome (its own error).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from kapstan.errors import KapstanError

T = TypeVar("T")


class _Handed(Generic[T]):
    def __init__(self, entry: T) -> None:
        self.entry = entry
        self.done = False  # set, under the turn, by whoever committed (or failed) it
        self.error: BaseException | None = None


class GroupCommit(Generic[T]):
    """``write(entry)`` from any thread; ``commit(entries)`` writes a batch in one transaction."""

    def __init__(self, commit: Callable[[Sequence[T]], None]) -> None:
        self._commit = commit
        self._guard = threading.Lock()  # the entries handed over and not yet taken
        self._handed: list[_Handed[T]] = []
        self._turn = threading.Lock()  # one batch being committed at a time

    def waiting(self) -> int:
        """How many entries are handed over and not yet taken into a batch."""
        with self._guard:
            return len(self._handed)

    def write(self, entry: T) -> None:
        """Commit ``entry`` (with whatever else is waiting); raise its own error, if any."""
        self.write_all([entry])

    def write_all(self, entries: Sequence[T]) -> None:
        """Commit ``entries``, in order, with whatever else is waiting; raise the first
        error of theirs, if any."""
        mine = [_Handed(entry) for entry in entries]
        with self._guard:
            self._handed.extend(mine)
        with self._turn:
            if not all(h.done for h in mine):  # not all taken meanwhile: the rest waits
                with self._guard:
                    batch, self._handed = self._handed, []
                self._flush(batch)
        for handed in mine:
            if handed.error is not None:
                raise handed.error

    def _flush(self, batch: list[_Handed[T]]) -> None:
        try:
            try:
                self._commit([h.entry for h in batch])
            except KapstanError:
                if len(batch) == 1:
                    raise
                for handed in batch:  # one at a time: each caller gets its own outcome
                    try:
                        self._commit([handed.entry])
                    except KapstanError as exc:
                        handed.error = exc
        except BaseException as exc:  # every entry taken must end, or its writer waits forever
            for handed in batch:
                handed.error = handed.error or exc
        finally:
            for handed in batch:
                handed.done = True
