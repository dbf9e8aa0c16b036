"""One read transaction shared by the reads of one request (``Store.for_request``).

A request that authenticates, checks a permission and reads an application and its
config made one short transaction per store call (a pool checkout, BEGIN, COMMIT each).
``SharedReads`` opens one session on the first read and lends it to every later read of
the same request, so those reads also see one snapshot of the store.

It is lent to one thread at a time: a read made while another thread holds it (a deploy
the request started in the background) opens its own transaction instead. A write ends
the shared transaction first, so a read after it starts a new one and sees the write.
Once ``close`` ran (the request is answered), every read opens its own transaction again:
a stream that outlives its request never reads an old snapshot.
"""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from kapstan.store.database import Database


class SharedReads:
    def __init__(self, database: Database) -> None:
        self._db = database
        self._lock = threading.Lock()
        self._session: Session | None = None
        self._closed = False

    def take(self) -> Session | None:
        """The shared session, lent until ``give_back``; None: read in your own transaction."""
        if not self._lock.acquire(blocking=False):
            return None
        if self._closed:
            self._lock.release()
            return None
        if self._session is None:
            try:
                self._session = self._db.begin_reading()
            except BaseException:
                self._lock.release()
                raise
        return self._session

    def give_back(self, *, failed: bool = False) -> None:
        """Return the session taken; ``failed``: the read failed in the database, so end the
        transaction (the next read begins a new one)."""
        if failed:
            self._end()
        self._lock.release()

    def end_transaction(self) -> None:
        """Before a write: the next read begins a new transaction, which sees the write."""
        with self._lock:
            self._end()

    @property
    def reading(self) -> bool:
        """A transaction is open (ending it is a call to the database)."""
        return self._session is not None

    def close(self) -> None:
        """The request is answered: end the transaction; later reads open their own."""
        with self._lock:
            self._closed = True
            self._end()

    def _end(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            # Closing rolls the transaction back (reads change nothing) without expiring
            # the rows already read: a caller may still be looking at them.
            session.close()
