"""Application locks: one holder at a time, a renewed lease, recorded takeovers, races."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest

from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.model.operation import Step
from kapstan.store import LockInfo, Store
from tests.store.conftest import Clock, OpenStore, create_app
from tests.store.test_store_concurrency import together

ALICE = "alice (pid 4242 on host h)"
BOB = "bob (pid 7 on host k)"
ROUNDS = 4


def start(store: Store, app: str = "shop") -> int:
    return store.start_operation(app, "deploy", author="ana", services=["api"]).id


def when(lock: LockInfo, field: str) -> str:
    moment = lock.acquired_at if field == "since" else lock.expires_at
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def test_a_held_lock_is_refused_naming_who_since_when(shop: Store) -> None:
    first, second = start(shop), start(shop)
    held = shop.acquire_lock("shop", owner=ALICE, operation_id=first, lease_seconds=30)
    assert (held.app, held.owner, held.operation_id, held.took_over_from) == (
        "shop",
        ALICE,
        first,
        None,
    )
    assert held.expires_at - held.acquired_at == timedelta(seconds=30)
    with pytest.raises(ConflictError) as refused:
        shop.acquire_lock("shop", owner=BOB, operation_id=second, lease_seconds=30)
    assert str(refused.value) == (
        f"application 'shop' is being changed by alice (pid 4242 on host h, operation {first}) "
        f"since {when(held, 'since')}; its lease expires in 29 s. "
        f"Wait for it, or see `kapstan app operation shop {first}`."
    )
    assert shop.get_lock("shop") == held


def test_the_same_owner_with_another_operation_is_refused_too(shop: Store) -> None:
    first, second = start(shop), start(shop)
    shop.acquire_lock("shop", owner=ALICE, operation_id=first, lease_seconds=30)
    again = shop.acquire_lock("shop", owner=ALICE, operation_id=first, lease_seconds=30)
    assert again.operation_id == first, "acquiring what we hold renews it"
    with pytest.raises(ConflictError, match=f"operation {first}"):
        shop.acquire_lock("shop", owner=ALICE, operation_id=second, lease_seconds=30)


def test_renew_extends_and_release_frees(shop: Store) -> None:
    op = start(shop)
    held = shop.acquire_lock("shop", owner=ALICE, operation_id=op, lease_seconds=30)
    renewed = shop.renew_lock("shop", owner=ALICE, lease_seconds=30)
    assert renewed.expires_at > held.expires_at
    assert renewed.acquired_at == held.acquired_at
    shop.release_lock("shop", owner=BOB)
    assert shop.get_lock("shop") == renewed, "releasing someone else's lock changes nothing"
    shop.release_lock("shop", owner=ALICE)
    assert shop.get_lock("shop") is None
    shop.release_lock("shop", owner=ALICE)
    with pytest.raises(
        ConflictError, match=r"^alice .* no longer holds .*'shop': it was released$"
    ):
        shop.renew_lock("shop", owner=ALICE, lease_seconds=30)
    other = shop.acquire_lock("shop", owner=BOB, operation_id=start(shop), lease_seconds=5)
    assert other.took_over_from is None


def test_an_expired_lease_is_taken_over_and_recorded(shop: Store, clock: Clock) -> None:
    old, new = start(shop), start(shop)
    held = shop.acquire_lock("shop", owner=ALICE, operation_id=old, lease_seconds=30)
    clock.now += timedelta(seconds=60)
    taken = shop.acquire_lock("shop", owner=BOB, operation_id=new, lease_seconds=30)
    assert (taken.owner, taken.operation_id, taken.took_over_from) == (BOB, new, ALICE)
    assert shop.get_lock("shop") == taken

    expired = when(held, "expires")
    (event,) = shop.get_operation(new).events
    assert event.message == (
        f"took over the lock from {ALICE} (operation {old}), whose lease expired at {expired}"
    )
    abandoned = shop.get_operation(old)
    assert abandoned.status is Step.FAILED
    assert abandoned.message == f"abandoned: its process stopped renewing the lock at {expired}"
    assert abandoned.finished_at == event.at
    assert [e.status for e in abandoned.events] == ["failed"]

    with pytest.raises(
        ConflictError,
        match=rf"^{re.escape(ALICE)} no longer holds .*bob \(pid 7 on host k, operation {new}\) took it at",
    ):
        shop.renew_lock("shop", owner=ALICE, lease_seconds=30)
    with pytest.raises(ConflictError, match=f"operation {old} of application 'shop' has ended"):
        shop.acquire_lock("shop", owner=ALICE, operation_id=old, lease_seconds=30)
    shop.release_lock("shop", owner=ALICE)
    assert shop.get_lock("shop") == taken
    shop.finish_operation(old, Step.SUCCEEDED)
    assert shop.get_operation(old).status is Step.FAILED, "the takeover's verdict stands"


def test_a_finished_operation_is_not_abandoned_by_a_takeover(shop: Store, clock: Clock) -> None:
    old, new = start(shop), start(shop)
    shop.acquire_lock("shop", owner=ALICE, operation_id=old, lease_seconds=30)
    shop.finish_operation(old, Step.SUCCEEDED, "done")  # then died before releasing
    clock.now += timedelta(minutes=5)
    assert shop.acquire_lock("shop", owner=BOB, operation_id=new, lease_seconds=30).owner == BOB
    assert shop.get_operation(old).status is Step.SUCCEEDED
    assert len(shop.get_operation(new).events) == 1


def test_unknown_names_ids_and_bad_leases(shop: Store) -> None:
    op = start(shop)
    with pytest.raises(NotFoundError, match=r"^operation 999 not found$"):
        shop.acquire_lock("shop", owner=ALICE, operation_id=999, lease_seconds=30)
    calls: list[Callable[[], object]] = [
        lambda: shop.acquire_lock("nope", owner=ALICE, operation_id=op, lease_seconds=30),
        lambda: shop.renew_lock("nope", owner=ALICE, lease_seconds=30),
        lambda: shop.release_lock("nope", owner=ALICE),
        lambda: shop.get_lock("nope"),
    ]
    for call in calls:
        with pytest.raises(NotFoundError, match=r"^application 'nope' not found$"):
            call()
    create_app(shop, "other")
    with pytest.raises(InputError, match=f"operation {op} is not an operation of .*'other'"):
        shop.acquire_lock("other", owner=ALICE, operation_id=op, lease_seconds=30)
    for lease in (0, -1, float("nan")):
        with pytest.raises(InputError, match="positive number of seconds"):
            shop.acquire_lock("shop", owner=ALICE, operation_id=op, lease_seconds=lease)
    with pytest.raises(InputError, match="needs an owner"):
        shop.acquire_lock("shop", owner=" ", operation_id=op, lease_seconds=30)
    assert shop.get_lock("shop") is None


def race(stores: list[Store], ops: list[int]) -> list[LockInfo | BaseException]:
    """Store ``i`` acquires the lock of shop for ``ops[i]`` as ``w<i>``, all at once."""
    return together(
        stores,
        lambda store, i: store.acquire_lock(
            "shop", owner=f"w{i}", operation_id=ops[i], lease_seconds=30
        ),
    )


@pytest.fixture
def two(shop: Store, open_store: OpenStore) -> list[Store]:
    return [shop, open_store()]


def test_two_stores_racing_for_a_free_lock_one_wins(two: list[Store]) -> None:
    for _ in range(ROUNDS):
        ops = [start(two[0]), start(two[0])]
        results = race(two, ops)
        won = [r for r in results if isinstance(r, LockInfo)]
        lost = [r for r in results if isinstance(r, ConflictError)]
        assert (len(won), len(lost)) == (1, 1), results
        assert two[1].get_lock("shop") == won[0]
        two[0].release_lock("shop", owner=won[0].owner)


def test_two_stores_racing_to_take_over_one_wins(two: list[Store], clock: Clock) -> None:
    for _ in range(ROUNDS):
        old = start(two[0])
        two[0].acquire_lock("shop", owner=ALICE, operation_id=old, lease_seconds=10)
        clock.now += timedelta(seconds=60)
        ops = [start(two[0]), start(two[0])]
        results = race(two, ops)
        won = [r for r in results if isinstance(r, LockInfo)]
        assert len(won) == 1 and won[0].took_over_from == ALICE, results
        assert sum(len(two[1].get_operation(op).events) for op in ops) == 1
        abandoned = two[1].get_operation(old)
        assert (abandoned.status, len(abandoned.events)) == (Step.FAILED, 1)
        two[0].release_lock("shop", owner=won[0].owner)
