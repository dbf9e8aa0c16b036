"""Password hashing with argon2id (argon2-cffi): hash, verify, and verify nothing alike.

The store keeps only the PHC string (``$argon2id$v=19$m=...``), never a password. A
check for an unknown user still verifies, against a dummy hash made with the same
parameters, so a wrong name costs as long as a wrong password.
"""

from __future__ import annotations

import functools
import secrets
from typing import TYPE_CHECKING

from kapstan.errors import InputError

# argon2 loads with the first hash or check: most commands (a deploy) never make one.
if TYPE_CHECKING:
    from argon2 import PasswordHasher

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


def check_password(user: str, password: str) -> str:
    """Return ``password`` if it is long enough (and not absurdly long)."""
    if not isinstance(password, str):
        raise InputError(f"user {user!r}: the password must be text")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"user {user!r}: a password needs at least {MIN_PASSWORD_LENGTH} characters "
            f"(this one has {len(password)})"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InputError(f"user {user!r}: a password may have {MAX_PASSWORD_LENGTH} characters")
    return password


class Passwords:
    """An argon2id hasher (argon2-cffi's defaults unless given) and its dummy hash."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._given = hasher
        self._dummy: str | None = None

    @functools.cached_property
    def _hasher(self) -> PasswordHasher:
        from argon2 import PasswordHasher

        return self._given or PasswordHasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored``; None verifies a dummy and says no."""
        if stored is None:
            self._matches(self._dummy_hash(), password)
            return False
        return self._matches(stored, password)

    def needs_rehash(self, stored: str) -> bool:
        """Whether ``stored`` was made with other parameters than the hasher's own."""
        from argon2.exceptions import InvalidHashError

        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return False

    def _matches(self, stored: str, password: str) -> bool:
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy
