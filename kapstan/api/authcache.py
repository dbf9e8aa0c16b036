"""Tokens and roles remembered for a short, bounded time, so a read does not ask the store
who is calling and what they may do each time.

What is remembered, per server process (``ApiState.access``):

- a token's user (keyed by the token's SHA-256, never the token), after the store
  accepted it; a refused token is never remembered;
- per user and permission, the environments that allow it (``environments_allowing``)
  and the user's roles.

Each entry lives ``ttl`` seconds (default 2) and at most ``size`` entries are kept (the
least recently used go first). A revoked token, a disabled user or a removed role is
therefore refused by every process within ``ttl`` seconds; this process forgets all
it remembered at once when it makes such a change itself (``forget``). A cached answer
only ever allows: a refusal is always the store's, with its message.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from kapstan.store import User

DEFAULT_TTL = 2.0
DEFAULT_SIZE = 4096
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """At most ``size`` entries, each for ``ttl`` seconds of ``clock`` (monotonic)."""

    def __init__(self, ttl: float, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.size = size
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            expires, value = found
            if self._clock() >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + self.ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class AccessCache:
    """The caches behind ``kapstan.api.auth``: token -> user, (user, permission) ->
    environments, user -> roles."""

    def __init__(
        self,
        ttl: float = DEFAULT_TTL,
        size: int = DEFAULT_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tokens: TtlCache[str, User] = TtlCache(ttl, size, clock)
        self.allowed: TtlCache[tuple[str, str], frozenset[str]] = TtlCache(ttl, size, clock)
        self.roles: TtlCache[str, dict[str, str]] = TtlCache(ttl, size, clock)

    def user(self, token: str, authenticate: Callable[[str], User]) -> User:
        """The user of ``token``: remembered, else ``authenticate``'s (which raises if refused)."""
        found = self.remembered(token)
        if found is None:
            found = authenticate(token)
            self.tokens.put(_token_key(token), found)
        return found

    def remembered(self, token: str) -> User | None:
        """The user of ``token`` if remembered (no store call), else None."""
        return self.tokens.get(_token_key(token))

    def environments(
        self, user: str, permission: str, read: Callable[[str, str], list[str]]
    ) -> frozenset[str]:
        found = self.allowed.get((user, permission))
        if found is None:
            found = frozenset(read(user, permission))
            self.allowed.put((user, permission), found)
        return found

    def roles_of(self, user: str, read: Callable[[str], dict[str, str]]) -> dict[str, str]:
        found = self.roles.get(user)
        if found is None:
            found = dict(read(user))
            self.roles.put(user, found)
        return dict(found)

    def forget(self) -> None:
        """This process changed a token, a user or a role: remember nothing from before."""
        for cache in (self.tokens, self.allowed, self.roles):
            cache.clear()


def _token_key(token: str) -> str:
    """What a token is remembered by: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()
