"""Browser sessions of the console, kept in the store, each with its CSRF token.

The cookie carries only a random session id; the store keeps its SHA-256 and the user
(``kapstan.store.sessions``), so every server process on one store knows every session: a
browser may reach any replica, and a restart logs no one out. The CSRF token is derived
from the session id (an HMAC keyed by it), so it is never stored either and is the same in
every process. Sessions end after ``IDLE`` without a request, or ``LIFETIME`` in all.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from kapstan.store import Store, User

COOKIE = "kapstan_session"
LOGIN_COOKIE = "kapstan_login"  # the login form's own CSRF token (no session exists yet)
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
IDLE = timedelta(hours=8)
LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class Session:
    id: str
    account: User
    csrf: str

    @property
    def user(self) -> str:
        return self.account.name


def same_token(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def csrf_of(session_id: str) -> str:
    return hmac.new(session_id.encode(), b"kapstan console csrf", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Sessions:
    """The console's sessions on ``store``."""

    store: Store
    idle: timedelta = IDLE
    lifetime: timedelta = LIFETIME

    def create(self, user: str) -> Session:
        session_id, found = self.store.start_console_session(
            user, idle=self.idle, lifetime=self.lifetime
        )
        return Session(session_id, found.user, csrf_of(session_id))

    def get(self, session_id: str | None) -> Session | None:
        """The live session with this id (its idle timer restarted), or None."""
        if not session_id:
            return None
        found = self.store.console_session(session_id, idle=self.idle, lifetime=self.lifetime)
        return None if found is None else Session(session_id, found.user, csrf_of(session_id))

    def end(self, session_id: str | None) -> None:
        if session_id:
            self.store.end_console_session(session_id)
