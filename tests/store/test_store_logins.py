"""Login failures in the store: counted per (user, address) within a window, swept, cleared."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kapstan.api.errors import TooManyAttempts
from kapstan.api.ratelimit import LoginLimiter
from kapstan.store import Store
from tests.store.conftest import Clock, raw

MINUTE = timedelta(minutes=1)


def test_failures_are_counted_per_user_and_address_within_the_window(
    store: Store, clock: Clock
) -> None:
    for _ in range(3):
        store.record_login_failure("vic", "10.0.0.1", keep=MINUTE)
    store.record_login_failure("vic", "10.0.0.2", keep=MINUTE)
    store.record_login_failure("dana", "10.0.0.1", keep=MINUTE)
    found = store.login_failures("vic", "10.0.0.1", MINUTE)
    assert len(found) == 3 and found == sorted(found)
    assert len(store.login_failures("vic", "10.0.0.2", MINUTE)) == 1
    clock.now += MINUTE
    assert store.login_failures("vic", "10.0.0.1", MINUTE) == []


def test_recording_sweeps_failures_older_than_keep_and_success_clears_a_key(
    store: Store, clock: Clock
) -> None:
    store.record_login_failure("vic", "a", keep=MINUTE)
    store.record_login_failure("dana", "b", keep=MINUTE)
    clock.now += 2 * MINUTE
    store.record_login_failure("vic", "a", keep=MINUTE)
    assert raw(store, "SELECT count(*) FROM login_failures") == [(1,)]
    store.record_login_failure("dana", "b", keep=MINUTE)
    store.clear_login_failures("vic", "a")
    assert raw(store, 'SELECT "user" FROM login_failures') == [("dana",)]


def test_the_limiter_refuses_after_the_limit_and_says_how_long_to_wait(
    store: Store, clock: Clock
) -> None:
    limiter = LoginLimiter(limit=3, window=MINUTE)
    for _ in range(3):
        limiter.check(store, "vic", "a")
        limiter.failed(store, "vic", "a")
    with pytest.raises(
        TooManyAttempts,
        match=r"too many failed logins for 'vic' from a; "
        r"try again in \d+ seconds",
    ) as refused:
        limiter.check(store, "vic", "a")
    assert 1 <= refused.value.retry_after <= 60
    limiter.check(store, "vic", "b")  # another address is another key
    clock.now += MINUTE
    limiter.check(store, "vic", "a")  # the window passed
    limiter.failed(store, "vic", "a")
    limiter.succeeded(store, "vic", "a")
    assert store.login_failures("vic", "a", MINUTE) == []
