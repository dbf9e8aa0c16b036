"""Group commit: the writes of many threads committed together, each caller told of its own.

A deploy runs one thread per service in flight, and each records its steps and log lines
as they happen. One store transaction per line meant, on SQLite's single writer, that a
service's next request waited behind every other service's lines (at 50 services, most
of the deploy's threads were queueing for the store). Here a writer hands its entry over
and whoever is first in line commits everything handed over so far, in one transaction.

``write`` returns only once its own entry is committed: the record is as durable, and
as ordered per thread, as with one transaction each. A batch that fails is written again
one entry at a time, so each caller gets its own outcome (its own error).

``post`` hands an entry over without waiting for it: a committer thread writes it within
one transaction's time, and the next ``write`` (of any thread) commits it first at the
latest, so the order holds. A service's progress lines are posted: its next request no
longer waits for the store. ``flush`` waits for everything posted and raises the first
error of a posted entry: the operation's record is whole before its end is written.
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

    def __init__(self, commit: Callable[[Sequence[T]], object]) -> None:
        self._commit = commit
        self._guard = threading.Lock()  # the entries handed over and not yet taken
        self._handed: list[_Handed[T]] = []
        self._turn = threading.Lock()  # one batch being committed at a time
        self._posted = threading.Condition(self._guard)  # posted entries wait, or none
        self._unseen: list[_Handed[T]] = []  # posted, their outcome not yet seen by flush
        self._committer: threading.Thread | None = None
        self._closing = False

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

    def post(self, entry: T) -> None:
        """Hand ``entry`` over to be committed soon; its error, if any, comes from ``flush``."""
        handed = _Handed(entry)
        with self._guard:
            if self._closing:
                raise RuntimeError("entry posted to a closed group commit")
            self._handed.append(handed)
            self._unseen.append(handed)
            if self._committer is None:
                self._committer = threading.Thread(
                    target=self._commit_posted, name="group-commit", daemon=True
                )
                self._committer.start()
            self._posted.notify()

    def flush(self) -> None:
        """Commit whatever was handed over; raise the first error of a posted entry since
        the last flush (a writer's own errors were raised to it already)."""
        with self._turn:
            with self._guard:
                batch, self._handed = self._handed, []
                posted, self._unseen = self._unseen, []
            if batch:
                self._flush(batch)
        for handed in posted:
            if handed.error is not None:
                raise handed.error

    def close(self) -> None:
        """Flush, and stop the committer thread."""
        with self._guard:
            self._closing = True
            self._posted.notify()
            committer = self._committer
        if committer is not None:
            committer.join()
        self.flush()

    def _commit_posted(self) -> None:
        while True:
            with self._guard:
                while not self._handed and not self._closing:
                    self._posted.wait()
                if self._closing:
                    return  # ``close`` flushes what is left, and reports its errors
            with self._turn:
                with self._guard:
                    batch, self._handed = self._handed, []
                if batch:
                    self._flush(batch)

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
