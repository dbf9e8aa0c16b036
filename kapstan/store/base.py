"""What every part of the store shares: the database, the clock, the key, the write loop.

Each write runs in ONE transaction. Version numbers come from ``max + 1`` under a row
lock on the parent (PostgreSQL ``SELECT ... FOR UPDATE``; SQLite writers already queue
on ``BEGIN IMMEDIATE``); a unique constraint backs this up, and a write that still loses
a race (IntegrityError) is run again from the start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from kapstan.errors import ConflictError, StoreError
from kapstan.store.crypto import SecretBox, key_configured
from kapstan.store.database import Database
from kapstan.store.passwords import Passwords
from kapstan.store.shared import SharedReads

T = TypeVar("T")
Clock = Callable[[], datetime]
WRITE_ATTEMPTS = 5


def utc_now() -> datetime:
    return datetime.now(UTC)


def reason(exc: DBAPIError) -> str:
    """The driver's message alone: SQLAlchemy's text also lists the SQL parameters."""
    return str(exc.orig).strip() or type(exc.orig).__name__


class Repository:
    """State shared by the per-object parts of ``Store`` (mixed into one class)."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        environ: Mapping[str, str],
        passwords: Passwords | None = None,
    ) -> None:
        self._db = database
        self._clock = clock
        self._environ = environ
        self._secret_box: SecretBox | None = None
        self._passwords = passwords or Passwords()
        self._shared: SharedReads | None = None  # set on a request's view (``for_request``)

    def _box(self) -> SecretBox:
        """The key, read on first use: a store without secrets never needs one."""
        if self._secret_box is None:
            self._secret_box = SecretBox.from_env(self._environ)
        return self._secret_box

    def checksum_key(self) -> bytes | None:
        """The key for digests of secret values in rendered output; None without a key.

        Derived from the secret key (see ``kapstan.store.crypto``), never equal to it.
        """
        return self._box().checksum_key() if key_configured(self._environ) else None

    def now(self) -> datetime:
        """The store's clock, in UTC: the time its records are stamped with."""
        return self._now()

    def _now(self) -> datetime:
        now = self._clock()
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)

    def _read(self, work: Callable[[Session], T]) -> T:
        try:
            shared = self._shared.take() if self._shared is not None else None
            if shared is None:
                with self._db.reading() as session:
                    return work(session)
            assert self._shared is not None
            failed = False
            try:
                return work(shared)
            except SQLAlchemyError:
                failed = True
                raise
            finally:
                self._shared.give_back(failed=failed)
        except OperationalError as exc:
            raise StoreError(
                f"cannot read the store at {self._db.describe()}: {reason(exc)}"
            ) from exc

    def _write(self, work: Callable[[Session], T], *, lagging: bool = False) -> T:
        """Run ``work`` in one transaction; run it again if it lost a race on a number.

        ``lagging``: the commit may reach the disk with the next write (``Database.writing``).
        """
        if self._shared is not None:
            self._shared.end_transaction()
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self._db.writing(lagging=lagging) as session:
                    result = work(session)
                return result
            except IntegrityError as exc:
                if attempt == WRITE_ATTEMPTS:
                    raise ConflictError(
                        f"another writer kept changing the same object ({attempt} attempts); "
                        "try again"
                    ) from exc
            except OperationalError as exc:
                raise StoreError(
                    f"cannot write to the store at {self._db.describe()}: {reason(exc)}"
                ) from exc
        raise AssertionError("unreachable")
