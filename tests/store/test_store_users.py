"""Users: argon2id hashes (never passwords) in the rows, one answer for every bad login."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from kapstan.errors import AuthError, ConflictError, InputError, NotFoundError
from kapstan.store import Store, User
from tests.store.conftest import OpenStore, raw

PASSWORD = "correct horse battery"


def password_hash(store: Store, name: str) -> str | None:
    ((hashed,),) = raw(store, "SELECT password_hash FROM users WHERE name = :n", n=name)
    return None if hashed is None else str(hashed)


def test_create_get_list(store: Store) -> None:
    ana = store.create_user("ana", password=PASSWORD, admin=True)
    bot = store.create_user("ci-bot", password=None)
    assert ana == User("ana", admin=True, disabled=False, created_at=ana.created_at)
    assert (bot.admin, bot.disabled) == (False, False)
    assert store.get_user("ana") == ana
    assert store.list_users() == [ana, bot]


def test_only_an_argon2id_hash_is_stored(store: Store) -> None:
    store.create_user("ana", password=PASSWORD)
    stored = password_hash(store, "ana")
    assert stored is not None and stored.startswith("$argon2id$")
    everything = repr(raw(store, "SELECT * FROM users"))
    assert PASSWORD not in everything
    store.create_user("bot", password=None)
    assert password_hash(store, "bot") is None


def test_bad_users_are_refused(store: Store) -> None:
    store.create_user("ana", password=PASSWORD)
    with pytest.raises(ConflictError, match="user 'ana' exists already"):
        store.create_user("ana", password=PASSWORD)
    with pytest.raises(InputError, match="user name 'Ana Bell'"):
        store.create_user("Ana Bell", password=PASSWORD)
    with pytest.raises(InputError, match="at least 12 characters"):
        store.create_user("bob", password="short-pass1")
    with pytest.raises(NotFoundError, match=r"^user 'nobody' not found$"):
        store.get_user("nobody")
    assert [user.name for user in store.list_users()] == ["ana"]


def test_verify_password(store: Store) -> None:
    ana = store.create_user("ana", password=PASSWORD)
    assert store.verify_password("ana", PASSWORD) == ana


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("ana", "wrong horse battery"),
        ("nobody", PASSWORD),
        ("bot", PASSWORD),
        ("gone", PASSWORD),
        ("Not A Name", PASSWORD),
        ("ana", ""),
    ],
    ids=["bad-password", "unknown-user", "token-only", "disabled", "invalid-name", "empty"],
)
def test_every_bad_login_gets_the_same_answer(store: Store, name: str, password: str) -> None:
    store.create_user("ana", password=PASSWORD)
    store.create_user("bot", password=None)
    store.create_user("gone", password=PASSWORD)
    store.disable_user("gone")
    with pytest.raises(AuthError) as caught:
        store.verify_password(name, password)
    assert str(caught.value) == "invalid user name or password"


def test_set_password(store: Store) -> None:
    store.create_user("ana", password=PASSWORD)
    before = password_hash(store, "ana")
    store.set_password("ana", "a much better passphrase")
    assert password_hash(store, "ana") != before
    with pytest.raises(AuthError):
        store.verify_password("ana", PASSWORD)
    assert store.verify_password("ana", "a much better passphrase").name == "ana"
    with pytest.raises(InputError, match="at least 12 characters"):
        store.set_password("ana", "short")
    with pytest.raises(NotFoundError, match="user 'nobody' not found"):
        store.set_password("nobody", PASSWORD)
    store.create_user("bot", password=None)
    store.set_password("bot", PASSWORD)
    assert store.verify_password("bot", PASSWORD).name == "bot"


def test_disable_user(store: Store) -> None:
    store.create_user("ana", password=PASSWORD)
    assert store.disable_user("ana").disabled
    assert store.get_user("ana").disabled
    with pytest.raises(NotFoundError):
        store.disable_user("nobody")


def test_the_default_hasher_uses_argon2_cffi_parameters_and_upgrades_old_hashes(
    db_url: str, open_store: OpenStore
) -> None:
    cheap = open_store()
    cheap.create_user("ana", password=PASSWORD)
    cheap_hash = password_hash(cheap, "ana")
    with Store.open(db_url, environ={}) as real:
        assert real.verify_password("ana", PASSWORD).name == "ana"
        upgraded = password_hash(real, "ana")
        assert upgraded != cheap_hash
        assert upgraded is not None
        assert not PasswordHasher().check_needs_rehash(upgraded)
        real.create_user("bob", password=PASSWORD)
        bob_hash = password_hash(real, "bob")
        assert bob_hash is not None and "m=65536,t=3,p=4" in bob_hash
