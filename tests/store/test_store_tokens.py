"""API tokens: shown once, kept as SHA-256, refused once revoked or their user disabled."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from kapstan.errors import AuthError, ConflictError, InputError, NotFoundError
from kapstan.store import Store, TokenInfo
from tests.store.conftest import Clock, raw

BAD_TOKEN = r"^invalid or revoked token$"


@pytest.fixture
def users(store: Store) -> Store:
    store.create_user("ana", password=None)
    store.create_user("bob", password=None)
    return store


def test_a_token_is_shown_once_and_only_its_hash_is_stored(users: Store) -> None:
    token, info = users.create_token("ana", description="laptop")
    assert token.startswith("kst_") and len(token) == 4 + 43
    assert info == TokenInfo(
        id=info.id,
        user="ana",
        description="laptop",
        prefix=token[:8],
        created_at=info.created_at,
        last_used_at=None,
        revoked=False,
    )
    rows = raw(users, "SELECT digest, prefix FROM api_tokens")
    assert rows == [(hashlib.sha256(token.encode()).hexdigest(), token[:8])]
    assert token not in repr(raw(users, "SELECT * FROM api_tokens"))
    assert users.list_tokens("ana") == [info]
    assert all(token not in repr(listed) for listed in users.list_tokens("ana"))


def test_authenticate_and_last_used(users: Store, clock: Clock) -> None:
    token, _ = users.create_token("ana")
    users.create_token("bob")
    assert users.authenticate_token(token).name == "ana"
    (first,) = users.list_tokens("ana")
    assert first.last_used_at is not None
    # within a minute: a read, not a write
    users.authenticate_token(token)
    assert users.list_tokens("ana")[0].last_used_at == first.last_used_at
    clock.now += timedelta(minutes=5)
    users.authenticate_token(token)
    (later,) = users.list_tokens("ana")
    assert later.last_used_at is not None and later.last_used_at > first.last_used_at


@pytest.mark.parametrize(
    "token",
    ["", "kst_", "kst_nonsense", "Bearer kst_x", "x" * 200],
)
def test_unknown_tokens_are_refused(users: Store, token: str) -> None:
    users.create_token("ana")
    with pytest.raises(AuthError, match=BAD_TOKEN):
        users.authenticate_token(token)


def test_a_revoked_token_is_refused(users: Store) -> None:
    token, info = users.create_token("ana")
    other, _ = users.create_token("ana")
    revoked = users.revoke_token(info.id)
    assert revoked.revoked and revoked.id == info.id
    assert users.revoke_token(info.id) == revoked  # again: no change
    with pytest.raises(AuthError, match=BAD_TOKEN):
        users.authenticate_token(token)
    assert users.authenticate_token(other).name == "ana"
    assert [t.revoked for t in users.list_tokens("ana")] == [True, False]
    with pytest.raises(NotFoundError, match=r"^token 999 not found$"):
        users.revoke_token(999)


def test_a_disabled_users_tokens_are_refused(users: Store) -> None:
    token, _ = users.create_token("ana")
    users.disable_user("ana")
    with pytest.raises(AuthError, match=BAD_TOKEN):
        users.authenticate_token(token)
    with pytest.raises(ConflictError, match="user 'ana' is disabled"):
        users.create_token("ana")


def test_tokens_are_per_user_and_unique(users: Store) -> None:
    tokens = {users.create_token("ana")[0] for _ in range(5)}
    assert len(tokens) == 5
    assert users.list_tokens("bob") == []
    with pytest.raises(NotFoundError, match="user 'nobody' not found"):
        users.create_token("nobody")
    with pytest.raises(NotFoundError, match="user 'nobody' not found"):
        users.list_tokens("nobody")
    with pytest.raises(InputError, match="description may have 200 characters"):
        users.create_token("ana", description="x" * 201)
