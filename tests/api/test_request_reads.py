"""A read costs one store transaction, and what is remembered of tokens and roles is
forgotten after a bounded time (issue 15, Server). No wall time passes: the caches run on
a clock the test moves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import anyio.to_thread
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


@contextmanager
def thread_hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The functions handed to a worker thread (anyio.to_thread.run_sync, which FastAPI and
    Starlette call for every plain ``def`` endpoint and dependency) inside the block."""
    handed: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        handed.append(getattr(func, "__qualname__", repr(func)))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    yield handed


def test_an_application_read_hands_off_to_a_worker_thread_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The caller dependency ran in a thread on the way in and again on the way out, the
    endpoint in a third and the answer's validation in a fourth: four hand-offs per read,
    each a wait for the GIL under load. A remembered token now costs none."""
    for path in ("/api/v1/applications/shop", "/api/v1/applications?limit=5"):
        assert api.get(path, user="vic").status_code == 200  # token and roles remembered
        with thread_hops(monkeypatch) as handed:
            answer = api.get(path, user="vic")
        assert answer.status_code == 200, answer.text
        assert len(handed) == 1, (path, handed)


def test_an_application_read_leaves_no_transaction_open_whatever_it_answers(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200, 404 (no such app) and 403 (no role there) all end the request's transaction
    in the worker thread that read, so closing the view needs no other."""
    body = {"name": "elsewhere", "template": "shop", "environment": "other", "config": "dev"}
    assert api.post("/api/v1/applications", body).status_code == 201  # vic has no role there
    pool = api.store._db.engine.pool
    for path, status in (
        ("/api/v1/applications/shop", 200),
        ("/api/v1/applications/nope", 404),
        ("/api/v1/applications/elsewhere", 403),
    ):
        api.get(path, user="vic")  # token and roles remembered
        with thread_hops(monkeypatch) as handed:
            answer = api.get(path, user="vic")
        assert answer.status_code == status, answer.text
        assert handed[0] == "in_thread.<locals>.run", (path, handed)
        assert not any("close" in name for name in handed), (path, handed)
        assert pool.checkedout() == 0, path  # type: ignore[attr-defined]


def test_the_hot_reads_leave_no_transaction_open_when_their_token_is_not_remembered(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The application read and page take their caller from a dependency that does not
    yield (nothing closes the view after them): a token not remembered is authenticated
    in a transaction ended at once, so a read answered, refused (403, 404) or never run
    (a parameter refused: 422) leaves its view with no transaction open, and a token
    unknown or missing is still refused (401)."""
    body = {"name": "elsewhere", "template": "shop", "environment": "other", "config": "dev"}
    assert api.post("/api/v1/applications", body).status_code == 201  # vic has no role there
    views: list[Store] = []  # kept alive: a view dropped would end its transaction anyway
    real = Store.for_request

    def recorded(store: Store) -> Store:
        views.append(real(store))
        return views[-1]

    monkeypatch.setattr(Store, "for_request", recorded)
    pool = api.store._db.engine.pool
    for path, status in (
        ("/api/v1/applications/shop", 200),
        ("/api/v1/applications?limit=5", 200),
        ("/api/v1/applications/nope", 404),
        ("/api/v1/applications/elsewhere", 403),
        ("/api/v1/applications?limit=0", 422),
        ("/api/v1/applications/shop?health=perhaps", 422),
    ):
        api.state.access.forget()  # the token is read from the store (and just used: no write)
        answer = api.get(path, user="vic")
        assert answer.status_code == status, (path, answer.text)
        assert views and not any(v.holds_reads for v in views), path
        assert pool.checkedout() == 0, path  # type: ignore[attr-defined]
    for headers in ({"Authorization": "Bearer not-a-token"}, {}):
        for path in ("/api/v1/applications/shop", "/api/v1/applications"):
            assert api.client.get(path, headers=headers).status_code == 401, (path, headers)
            assert not any(v.holds_reads for v in views), path


def test_reads_bind_their_own_values_and_see_the_last_change(api: Api) -> None:
    """The read statements are built once and shared: each read binds its own name,
    filters and window, and a change is read at once (nothing of an app is remembered)."""
    for name in ("shop-a", "shop-b"):
        body = {"name": name, "template": "shop", "environment": "dev"}
        assert api.post("/api/v1/applications", body).status_code == 201
    names = [api.get(f"/api/v1/applications/{n}").json()["name"] for n in ("shop-b", "shop-a")]
    assert names == ["shop-b", "shop-a"]
    assert api.post("/api/v1/configs/dev/values", {"values": {"log.level": "debug"}}).is_success
    assert api.patch("/api/v1/applications/shop-a", {"configVersion": 2}).status_code == 200
    read = [api.get(f"/api/v1/applications/{n}").json() for n in ("shop-a", "shop-b")]
    assert [(r["configVersion"], r["effectiveConfigVersion"]) for r in read] == [(2, 2), (1, 1)]
    page = api.get("/api/v1/applications?q=SHOP-&limit=1&offset=1").json()
    assert ([a["name"] for a in page["items"]], page["total"]) == (["shop-b"], 2)
    assert api.get("/api/v1/applications?q=shop_&limit=5").json()["total"] == 0  # '_' is plain
