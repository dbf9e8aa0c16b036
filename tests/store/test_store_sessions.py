"""Console sessions in the store: only a digest kept, idle and lifetime limits, logout."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kapstan.errors import ConflictError, NotFoundError
from kapstan.store import Store
from kapstan.store.tokens import digest as session_digest
from tests.store.conftest import Clock, raw

IDLE = timedelta(minutes=30)
LIFETIME = timedelta(hours=2)


def start(store: Store, user: str = "vic") -> str:
    session_id, found = store.start_console_session(user, idle=IDLE, lifetime=LIFETIME)
    assert found.user.name == user
    return session_id


def lookup(store: Store, session_id: str) -> str | None:
    found = store.console_session(session_id, idle=IDLE, lifetime=LIFETIME)
    return None if found is None else found.user.name


@pytest.fixture
def users(store: Store) -> Store:
    store.create_user("vic", password=None, admin=False)
    store.create_user("dana", password=None, admin=False)
    return store


def test_only_the_digest_of_a_session_id_is_stored(users: Store) -> None:
    session_id = start(users)
    rows = raw(users, "SELECT digest FROM console_sessions")
    assert rows == [(session_digest(session_id),)]
    assert session_id not in str(raw(users, "SELECT * FROM console_sessions"))
    assert lookup(users, session_id) == "vic"


def test_unknown_empty_and_other_ids_find_nothing(users: Store) -> None:
    session_id = start(users)
    assert lookup(users, "") is None
    assert lookup(users, session_id + "x") is None
    assert lookup(users, session_digest(session_id)) is None  # the digest is not a key


def test_a_session_idle_too_long_ends_and_is_deleted(users: Store, clock: Clock) -> None:
    session_id = start(users)
    clock.now += IDLE - timedelta(minutes=1)
    assert lookup(users, session_id) == "vic"  # in time: the idle timer restarts
    clock.now += IDLE - timedelta(minutes=1)
    assert lookup(users, session_id) == "vic"
    clock.now += IDLE + timedelta(seconds=5)
    assert lookup(users, session_id) is None
    assert raw(users, "SELECT count(*) FROM console_sessions") == [(0,)]


def test_a_session_ends_at_its_lifetime_however_busy(users: Store, clock: Clock) -> None:
    session_id = start(users)
    for _ in range(int(LIFETIME / timedelta(minutes=20)) - 1):
        clock.now += timedelta(minutes=20)
        assert lookup(users, session_id) == "vic"
    clock.now += timedelta(minutes=30)
    assert lookup(users, session_id) is None


def test_seen_at_is_written_at_most_once_a_minute(users: Store, clock: Clock) -> None:
    session_id = start(users)
    (first,) = raw(users, "SELECT seen_at FROM console_sessions")
    assert lookup(users, session_id) == "vic"  # a second later: a read only
    assert raw(users, "SELECT seen_at FROM console_sessions") == [first]
    clock.now += timedelta(minutes=2)
    assert lookup(users, session_id) == "vic"
    assert raw(users, "SELECT seen_at FROM console_sessions") != [first]


def test_logout_ends_one_session(users: Store) -> None:
    a, b, other = start(users), start(users), start(users, "dana")
    users.end_console_session(a)
    users.end_console_session(a)  # again: nothing to do
    assert lookup(users, a) is None
    assert lookup(users, b) == "vic"
    assert lookup(users, other) == "dana"


def test_a_new_login_sweeps_expired_sessions(users: Store, clock: Clock) -> None:
    start(users), start(users, "dana")
    clock.now += IDLE + timedelta(minutes=1)
    start(users)
    assert raw(users, "SELECT count(*) FROM console_sessions") == [(1,)]


def test_disabled_users_cannot_log_in_and_their_sessions_say_so(users: Store) -> None:
    session_id = start(users)
    users.disable_user("vic")
    found = users.console_session(session_id, idle=IDLE, lifetime=LIFETIME)
    assert found is not None and found.user.disabled
    with pytest.raises(ConflictError, match="user 'vic' is disabled"):
        start(users)
    with pytest.raises(NotFoundError, match="user 'nobody' not found"):
        start(users, "nobody")
    # Enabled again: it logs in anew, the session from before is not revived.
    users.enable_user("vic")
    assert users.console_session(session_id, idle=IDLE, lifetime=LIFETIME) is None
    assert not users.get_user("vic").disabled
