"""Browser sessions of the console: random ids held in memory, each with its CSRF token.

The cookie carries only a random session id (32 bytes from ``secrets``); the server maps
it to the user and a per-session CSRF token. Kept in memory, per process: a restart logs
everyone out, and with several replicas a browser must stick to one (or log in again).
That is acceptable for now; a store-backed table is the way to share them later.
Sessions end after ``idle`` seconds without a request, or ``lifetime`` seconds in all.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]
COOKIE = "kapstan_session"
LOGIN_COOKIE = "kapstan_login"  # the login form's own CSRF token (no session exists yet)
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


@dataclass
class Session:
    id: str
    user: str
    csrf: str
    created: float
    seen: float


def same_token(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


@dataclass
class SessionStore:
    idle: float = 8 * 3600.0
    lifetime: float = 24 * 3600.0
    clock: Clock = time.monotonic
    _sessions: dict[str, Session] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, user: str) -> Session:
        now = self.clock()
        session = Session(secrets.token_urlsafe(32), user, secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._expire(now)
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session with this id (its idle timer restarted), or None."""
        if not session_id:
            return None
        now = self.clock()
        with self._lock:
            found = self._sessions.get(session_id)
            if found is None:
                return None
            if now - found.seen > self.idle or now - found.created > self.lifetime:
                del self._sessions[session_id]
                return None
            found.seen = now
            return found

    def end(self, session_id: str | None) -> None:
        with self._lock:
            self._sessions.pop(session_id or "", None)

    def end_user(self, user: str) -> None:
        with self._lock:
            for key in [k for k, s in self._sessions.items() if s.user == user]:
                del self._sessions[key]

    def _expire(self, now: float) -> None:
        stale = [k for k, s in self._sessions.items()
                 if now - s.seen > self.idle or now - s.created > self.lifetime]  # fmt: skip
        for key in stale:
            del self._sessions[key]
