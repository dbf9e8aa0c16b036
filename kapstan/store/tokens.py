"""API tokens: ``kst_`` + 32 random bytes (url-safe base64), shown once, kept as SHA-256.

A token's text is random enough that a plain SHA-256 (not a slow password hash) is a
safe and fast way to look it up; the stored prefix (first 8 characters) lets a person
tell tokens apart. ``last_used_at`` is written at most once a minute per token, so
authenticating a busy client is a read, not a write.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kapstan.errors import AuthError, ConflictError, InputError, NotFoundError
from kapstan.model.records import TokenInfo, User
from kapstan.store.base import Repository
from kapstan.store.tables import TokenRow, UserRow
from kapstan.store.users import find_user, user_record

TOKEN_PREFIX = "kst_"
TOKEN_BYTES = 32
PREFIX_LENGTH = 8
MAX_DESCRIPTION_LENGTH = 200
LAST_USED_RESOLUTION = timedelta(minutes=1)
BAD_TOKEN = "invalid or revoked token"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore(Repository):
    def create_token(self, user: str, *, description: str = "") -> tuple[str, TokenInfo]:
        """A new token for ``user``: its text (shown this once, never stored) and its info."""
        if len(description) > MAX_DESCRIPTION_LENGTH:
            raise InputError(
                f"a token description may have {MAX_DESCRIPTION_LENGTH} characters, "
                f"not {len(description)}"
            )
        token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)

        def work(session: Session) -> TokenInfo:
            owner = find_user(session, user)
            if owner.disabled:
                raise ConflictError(f"user {user!r} is disabled: it cannot get a token")
            row = TokenRow(
                user_id=owner.id,
                digest=digest(token),
                prefix=token[:PREFIX_LENGTH],
                description=description,
                created_at=self._now(),
                last_used_at=None,
                revoked_at=None,
            )
            session.add(row)
            session.flush()
            return _record(row, owner.name)

        return token, self._write(work)

    def authenticate_token(self, token: str) -> User:
        """The user ``token`` belongs to; AuthError if unknown, revoked or the user disabled."""
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
            raise AuthError(BAD_TOKEN)
        row, owner = self._read(lambda session: _usable(session, digest(token)))
        now = self._now()
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
            self._write(lambda session: _touch(session, row.id, now))
        return user_record(owner)

    def list_tokens(self, user: str | None) -> list[TokenInfo]:
        """The tokens of ``user`` (None: of every user), oldest first, revoked ones included."""

        def work(session: Session) -> list[TokenInfo]:
            query = select(TokenRow, UserRow.name).join(UserRow, UserRow.id == TokenRow.user_id)
            if user is not None:
                query = query.where(TokenRow.user_id == find_user(session, user).id)
            rows = session.execute(query.order_by(TokenRow.id))
            return [_record(row, name) for row, name in rows]

        return self._read(work)

    def revoke_token(self, token_id: int) -> TokenInfo:
        """Revoke token ``token_id`` for good (revoking it again changes nothing)."""

        def work(session: Session) -> TokenInfo:
            row = _find(session, token_id)
            if row.revoked_at is None:
                row.revoked_at = self._now()
            return _record(row, session.get_one(UserRow, row.user_id).name)

        return self._write(work)


def _usable(session: Session, wanted: str) -> tuple[TokenRow, UserRow]:
    found = session.execute(
        select(TokenRow, UserRow)
        .join(UserRow, UserRow.id == TokenRow.user_id)
        .where(TokenRow.digest == wanted)
    ).first()
    if found is None:
        raise AuthError(BAD_TOKEN)
    row, owner = found
    if row.revoked_at is not None or owner.disabled:
        raise AuthError(BAD_TOKEN)
    return row, owner


def _touch(session: Session, token_id: int, now: datetime) -> None:
    row = session.get_one(TokenRow, token_id)
    if row.last_used_at is None or row.last_used_at < now:
        row.last_used_at = now


def _find(session: Session, token_id: int) -> TokenRow:
    is_id = isinstance(token_id, int) and not isinstance(token_id, bool)
    row = session.get(TokenRow, token_id) if is_id else None
    if row is None:
        raise NotFoundError(f"token {token_id!r} not found")
    return row


def _record(row: TokenRow, user: str) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        user=user,
        description=row.description,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked=row.revoked_at is not None,
    )
