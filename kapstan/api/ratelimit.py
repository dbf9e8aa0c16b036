"""Login failures per (user, client address): after ``limit`` in ``window``, 429.

The failures are kept in the store (``kapstan.store.logins``), so every server process
on it counts the same failures: N replicas allow the limit, not N times it, and a restart
forgets nothing. That bounds password guessing well enough for a login form; argon2's
cost does the rest. A success clears the key's failures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from kapstan.api.errors import TooManyAttempts
from kapstan.store import Store


@dataclass(frozen=True)
class LoginLimiter:
    limit: int = 5
    window: timedelta = timedelta(seconds=60)

    def check(self, store: Store, user: str, address: str) -> None:
        """Raise TooManyAttempts if this key has used up its failures."""
        recent = store.login_failures(user, address, self.window)
        if len(recent) >= self.limit:
            oldest = recent[-self.limit]
            wait = (self.window - (store.now() - oldest)).total_seconds()
            raise TooManyAttempts(
                f"too many failed logins for {user!r} from {address}; "
                f"try again in {max(1, round(wait))} seconds",
                retry_after=max(wait, 1.0),
            )

    def failed(self, store: Store, user: str, address: str) -> None:
        store.record_login_failure(user, address, keep=self.window)

    def succeeded(self, store: Store, user: str, address: str) -> None:
        store.clear_login_failures(user, address)
