"""A read costs one store transaction, and what is remembered of tokens and roles is
forgotten after a bounded time (issue 15, Server). No wall time passes: the caches run on
a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from kapstan.api.authcache import AccessCache, TtlCache
from kapstan.errors import AuthError
from kapstan.store import Store, User
from tests.api.conftest import Api


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextmanager
def transactions(store: Store) -> Iterator[list[int]]:
    """Counts the transactions begun on ``store``'s engine inside the block."""
    begun: list[int] = []

    def count(*_args: Any) -> None:
        begun.append(1)

    engine = store._db.engine
    event.listen(engine, "begin", count)
    try:
        yield begun
    finally:
        event.remove(engine, "begin", count)


def test_an_application_read_is_one_store_transaction(api: Api) -> None:
    assert api.get("/api/v1/applications/shop", user="vic").status_code == 200  # tokens known
    with transactions(api.store) as begun:
        for _ in range(3):
            answer = api.get("/api/v1/applications/shop", user="vic")
            assert answer.status_code == 200, answer.text
    assert len(begun) == 3


@contextmanager
def selects(store: Store) -> Iterator[list[str]]:
    """The SELECT statements run on ``store``'s engine inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    engine = store._db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_page_of_applications_is_one_query(api: Api) -> None:
    for name in ("shop-2", "shop-3"):
        body = {"name": name, "template": "shop", "environment": "dev"}
        assert api.post("/api/v1/applications", body).status_code == 201
    assert api.get("/api/v1/applications", user="vic").status_code == 200  # roles known
    with transactions(api.store) as begun, selects(api.store) as queries:
        page = api.get("/api/v1/applications?limit=2&offset=1", user="vic")
    assert page.status_code == 200, page.text
    found = page.json()
    assert [a["name"] for a in found["items"]] == ["shop-2", "shop-3"] and found["total"] == 3
    assert {a["effectiveConfigVersion"] for a in found["items"]} == {1}
    assert (len(begun), len(queries)) == (1, 1), queries


def test_a_removed_role_and_a_revoked_token_are_refused_once_the_ttl_passed(api: Api) -> None:
    clock = FakeClock()
    api.state.access = AccessCache(ttl=2.0, clock=clock)
    assert api.get("/api/v1/applications/shop", user="vic").status_code == 200
    api.store.revoke_role("vic", "dev")  # as another process (or the CLI) would
    (token,) = api.store.list_tokens("dana")
    assert api.get("/api/v1/applications/shop", user="dana").status_code == 200
    api.store.revoke_token(token.id)
    clock.now += 1.9  # remembered: still answered
    assert api.get("/api/v1/applications/shop", user="vic").status_code == 200
    assert api.get("/api/v1/applications/shop", user="dana").status_code == 200
    clock.now += 0.2  # past the ttl: the store decides again
    refused = api.get("/api/v1/applications/shop", user="vic")
    assert refused.status_code == 403 and "has no role there" in refused.text
    assert api.get("/api/v1/applications/shop", user="dana").status_code == 401


def test_a_change_made_through_this_process_is_refused_at_once(api: Api) -> None:
    api.state.access = AccessCache(ttl=3600.0)
    assert api.get("/api/v1/applications/shop", user="vic").status_code == 200
    assert api.delete("/api/v1/users/vic/roles/dev").status_code == 200
    assert api.get("/api/v1/applications/shop", user="vic").status_code == 403


def test_a_role_granted_a_moment_ago_is_not_refused_from_memory(api: Api) -> None:
    api.state.access = AccessCache(ttl=3600.0)
    body = {"name": "web", "files": {"kapstan.yaml": "name: web\nservices: {}\n"}}
    assert api.post("/api/v1/templates", body, user="vic").status_code == 403
    api.store.grant_role("vic", "staging", "deployer")  # not through this process
    assert api.post("/api/v1/templates", body, user="vic").status_code != 403


def test_the_cache_keeps_at_most_size_entries_for_at_most_ttl() -> None:
    clock = FakeClock()
    cache: TtlCache[str, int] = TtlCache(ttl=2.0, size=2, clock=clock)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c"), len(cache)) == (1, None, 3, 2)
    clock.now += 2.0
    assert cache.get("a") is None and cache.get("c") is None


def test_a_refused_token_is_never_remembered() -> None:
    calls: list[str] = []

    def authenticate(token: str) -> User:
        calls.append(token)
        raise AuthError("invalid or revoked token")

    access = AccessCache()
    for _ in range(2):
        with pytest.raises(AuthError):
            access.user("kst_nope", authenticate)
    assert calls == ["kst_nope", "kst_nope"] and len(access.tokens) == 0


def test_a_request_view_reads_its_own_writes_and_outlives_its_request(api: Api) -> None:
    view = api.store.for_request()
    assert view.get_application("shop").config_version is not None
    view.update_application("shop", config_version=None)
    assert view.get_application("shop").config_version is None  # a new transaction
    view.close()
    assert view.get_application("shop").config_version is None  # read on its own
    assert api.store.get_application("shop").name == "shop"  # the store stays open
