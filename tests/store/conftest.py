"""Store fixtures: every store test runs on SQLite and on a real PostgreSQL server.

The PostgreSQL server starts once per session (only if a postgres test runs); each
test gets its own fresh database, already at the newest schema unless the test is marked
``empty_database`` (the tests of the migrations). Missing PostgreSQL binaries FAIL the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import text

from kapstan.store import Store
from kapstan.store.crypto import generate_key
from tests.sqlitestores import migrated_sqlite
from tests.store import postgres

OpenStore = Callable[..., Store]
# argon2id with the cheapest parameters: the tests hash many passwords on two backends.
# One test checks that a store opened without it uses argon2-cffi's real defaults.
FAST_HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)


class Clock:
    """A clock that ticks one second per reading, from 2030-01-01 UTC."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture(scope="session")
def pg_server() -> Iterator[postgres.Server]:
    failure = ""
    try:
        with postgres.running() as server:
            yield server
    except postgres.PostgresUnavailable as exc:
        failure = str(exc)
    if failure:  # outside the except block: one clear line, no chained traceback
        pytest.fail(failure, pytrace=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    empty = request.node.get_closest_marker("empty_database") is not None
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "kapstan.db"
        yield str(path if empty else migrated_sqlite(path))
        return
    server: postgres.Server = request.getfixturevalue("pg_server")
    with server.database(migrated=not empty) as url:
        yield url


@pytest.fixture
def secret_key() -> str:
    return generate_key()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def open_store(db_url: str, secret_key: str, clock: Clock) -> Iterator[OpenStore]:
    """Open more stores on the test's database (all closed at the end)."""
    opened: list[Store] = []

    def open_(environ: dict[str, str] | None = None) -> Store:
        env = {"KAPSTAN_SECRET_KEY": secret_key} if environ is None else environ
        store = Store.open(db_url, clock=clock, environ=env, password_hasher=FAST_HASHER)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: OpenStore) -> Store:
    return open_store()


def create_app(store: Store, name: str = "shop") -> Store:
    """An application ``name`` on template/config/environment ``base``/``dev``/``dev``."""
    if not store.list_templates():
        store.save_template_version("base", {"a.yaml": "1"}, "d1", author="ana")
        store.create_config("dev", {"replicas": 1}, author="ana")
        store.create_environment("dev", kubeconfig="/k", context=None, namespace="a", config="dev")
    store.create_application(
        name,
        template="base",
        template_version=1,
        environment="dev",
        config="dev",
        config_version=None,
    )
    return store


def raw(store: Store, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows as the database has them, bypassing the store's API."""
    with store._db.reading() as session:
        return [tuple(row) for row in session.execute(text(sql), params)]


@pytest.fixture
def shop(store: Store) -> Store:
    """The store, with an application ``shop``."""
    return create_app(store)
