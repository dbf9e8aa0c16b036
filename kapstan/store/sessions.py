"""Console logins, in the store so that every server process on it knows them.

The browser's cookie holds a random id (32 bytes from ``secrets``); like an API token it
is random enough that a plain SHA-256 (``tokens.digest``) finds it again, and the digest is all that is kept:
reading the database gives no one a session. A session ends after ``idle`` without a
request or ``lifetime`` in all, whichever comes first. ``seen_at`` is written at most once
a minute per session, so a busy page is a read, not a write; idleness is therefore
measured to within that minute.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.orm import Session

from kapstan.errors import ConflictError
from kapstan.model.records import ConsoleSession
from kapstan.store.base import Repository
from kapstan.store.tables import ConsoleSessionRow, UserRow
from kapstan.store.tokens import digest
from kapstan.store.users import find_user, user_record

SESSION_BYTES = 32
SEEN_RESOLUTION = timedelta(minutes=1)


class ConsoleSessionStore(Repository):
    def start_console_session(
        self, user: str, *, idle: timedelta, lifetime: timedelta
    ) -> tuple[str, ConsoleSession]:
        """A new session for ``user``: its id (for the cookie; never stored) and record.

        Sessions past ``idle``/``lifetime`` are deleted on the way, so the table holds only
        live ones and the few not yet swept.
        """
        session_id = secrets.token_urlsafe(SESSION_BYTES)

        def work(session: Session) -> ConsoleSession:
            owner = find_user(session, user)
            if owner.disabled:
                raise ConflictError(f"user {user!r} is disabled: it cannot log in")
            now = self._now()
            session.execute(delete(ConsoleSessionRow).where(_stale(now, idle, lifetime)))
            row = ConsoleSessionRow(
                user_id=owner.id, digest=digest(session_id), created_at=now, seen_at=now
            )
            session.add(row)
            session.flush()
            return ConsoleSession(user_record(owner), row.created_at, row.seen_at)

        return session_id, self._write(work)

    def console_session(
        self, session_id: str, *, idle: timedelta, lifetime: timedelta
    ) -> ConsoleSession | None:
        """The live session with this id (its idle time restarted), else None (an expired
        one is deleted). The user may be disabled: the caller decides what that means."""
        if not session_id:
            return None
        wanted = digest(session_id)
        found = self._read(lambda session: _with_user(session, wanted))
        if found is None:
            return None
        row, owner = found
        now = self._now()
        if now - row.seen_at > idle or now - row.created_at > lifetime:
            self._write(lambda session: _drop(session, wanted))
            return None
        if now - row.seen_at >= SEEN_RESOLUTION:
            self._write(lambda session: _touch(session, wanted, now))
            return ConsoleSession(user_record(owner), row.created_at, now)
        return ConsoleSession(user_record(owner), row.created_at, row.seen_at)

    def end_console_session(self, session_id: str) -> None:
        """Log this session out (an unknown id changes nothing)."""
        wanted = digest(session_id)
        self._write(lambda session: _drop(session, wanted))


def _stale(now: datetime, idle: timedelta, lifetime: timedelta) -> ColumnElement[bool]:
    return or_(
        ConsoleSessionRow.seen_at < now - idle, ConsoleSessionRow.created_at < now - lifetime
    )


def _with_user(session: Session, wanted: str) -> tuple[ConsoleSessionRow, UserRow] | None:
    found = session.execute(
        select(ConsoleSessionRow, UserRow)
        .join(UserRow, UserRow.id == ConsoleSessionRow.user_id)
        .where(ConsoleSessionRow.digest == wanted)
    ).first()
    return None if found is None else (found[0], found[1])


def _drop(session: Session, wanted: str) -> None:
    session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.digest == wanted))


def _touch(session: Session, wanted: str, now: datetime) -> None:
    row = session.scalars(
        select(ConsoleSessionRow).where(ConsoleSessionRow.digest == wanted)
    ).first()
    if row is not None and row.seen_at < now:
        row.seen_at = now
