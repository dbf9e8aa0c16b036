"""Two writers at once (two Store instances, two threads): distinct numbers, no losses."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import TypeVar

import psycopg
import pytest
from sqlalchemy.engine import make_url

from kapstan.errors import ConflictError
from kapstan.store import Store
from tests.store.conftest import OpenStore

T = TypeVar("T")
ROUNDS = 8


def together(stores: list[Store], work: Callable[[Store, int], T]) -> list[T | BaseException]:
    """Run ``work(store, i)`` for each store in its own thread, all starting at once."""
    results: list[T | BaseException] = [RuntimeError("did not run")] * len(stores)
    barrier = threading.Barrier(len(stores))

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(stores[index], index)
        except BaseException as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def two(open_store: OpenStore) -> list[Store]:
    return [open_store(), open_store()]


def test_config_versions_from_two_writers_are_distinct(two: list[Store]) -> None:
    two[0].create_config("dev", {"n": 0}, author="setup")

    def work(store: Store, index: int) -> list[int]:
        return [
            store.add_config_version("dev", {"n": i, "by": index}, author=f"w{index}").version
            for i in range(ROUNDS)
        ]

    first, second = together(two, work)
    assert isinstance(first, list) and isinstance(second, list), (first, second)
    assert sorted(first + second) == list(range(2, 2 * ROUNDS + 2))
    assert first == sorted(first) and second == sorted(second)
    history = two[0].config_history("dev")
    assert [c.version for c in history] == list(range(1, 2 * ROUNDS + 2))


def test_template_versions_of_a_new_name_from_two_writers(two: list[Store]) -> None:
    def work(store: Store, index: int) -> list[int]:
        return [
            store.save_template_version("shop", {}, f"w{index}-{i}", author="w")[0].version
            for i in range(ROUNDS)
        ]

    first, second = together(two, work)
    assert isinstance(first, list) and isinstance(second, list), (first, second)
    assert sorted(first + second) == list(range(1, 2 * ROUNDS + 1))


def test_revisions_of_one_service_from_two_writers(two: list[Store]) -> None:
    store = two[0]
    store.save_template_version("shop", {}, "d", author="w")
    store.create_config("dev", {}, author="w")
    store.create_environment("dev", kubeconfig="/k", context=None, namespace="a", config="dev")
    store.create_application(
        "web",
        template="shop",
        template_version=1,
        environment="dev",
        config="dev",
        config_version=None,
    )

    def work(store: Store, index: int) -> list[int]:
        return [
            store.add_revision(
                "web",
                "api",
                manifests="",
                hash=f"{index}-{i}",
                template="shop",
                template_version=1,
                config="dev",
                config_version=1,
                author="w",
            ).number
            for i in range(ROUNDS)
        ]

    first, second = together(two, work)
    assert isinstance(first, list) and isinstance(second, list), (first, second)
    assert sorted(first + second) == list(range(1, 2 * ROUNDS + 1))


def test_creating_the_same_config_twice_at_once_lets_one_win(two: list[Store]) -> None:
    results = together(two, lambda store, i: store.create_config("dev", {"by": i}, author="w"))
    conflicts = [r for r in results if isinstance(r, ConflictError)]
    assert len(conflicts) == 1, results
    assert [c.version for c in two[1].config_history("dev")] == [1]


class HeldWrite:
    """A raw transaction that inserts a row and holds it, uncommitted, until ``commit``."""

    def __init__(self, db_url: str, sql: str) -> None:
        if "://" in db_url:
            url = make_url(db_url).set(drivername="postgresql")
            self._pg: psycopg.Connection[object] | None = psycopg.connect(
                url.render_as_string(hide_password=False)
            )
            self._pg.execute(sql.replace("NOW", "now()").encode())
        else:
            self._pg = None
            self._lite = sqlite3.connect(db_url, isolation_level=None)
            self._lite.execute("BEGIN IMMEDIATE")
            self._lite.execute(sql.replace("NOW", "'2030-01-01 00:00:00.000000'"))

    def commit(self) -> None:
        if self._pg is not None:
            self._pg.commit()
            self._pg.close()
        else:
            self._lite.execute("COMMIT")
            self._lite.close()


def behind(held: HeldWrite, work: Callable[[], T]) -> T | BaseException:
    """Run ``work`` in a thread that must wait for ``held``; commit ``held``; the outcome."""
    result: list[T | BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as exc:
            result.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive(), f"the writer did not wait for the held transaction: {result}"
    held.commit()
    thread.join(timeout=60)
    return result[0]


def test_a_writer_that_loses_a_new_name_runs_again(store: Store, db_url: str) -> None:
    held = HeldWrite(db_url, "INSERT INTO templates (name, created_at) VALUES ('shop', NOW)")
    saved = behind(held, lambda: store.save_template_version("shop", {}, "d", author="w"))
    assert not isinstance(saved, BaseException), saved
    assert (saved[0].version, saved[1]) == (1, True)


def test_a_config_created_meanwhile_is_a_conflict(store: Store, db_url: str) -> None:
    held = HeldWrite(db_url, "INSERT INTO configs (name, created_at) VALUES ('dev', NOW)")
    outcome = behind(held, lambda: store.create_config("dev", {}, author="w"))
    assert isinstance(outcome, ConflictError), outcome
