"""Pending revisions, their resolution when an operation ends or its process died, cancels."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from kapstan.actions.journal import lock_owner, owner_gone, take_lock
from kapstan.errors import ConflictError
from kapstan.model.operation import Step
from kapstan.store import Revision, Store

ENTRY = {"apiVersion": "v1", "kind": "Service", "namespace": "a", "name": "api", "uid": "u1"}


def start(store: Store) -> int:
    return store.start_operation("shop", "deploy", author="ana", services=["api"]).id


def pending(store: Store, operation_id: int | None, service: str = "api") -> Revision:
    return store.add_revision(
        "shop",
        service,
        manifests="kind: Service\n",
        hash="h1",
        template="base",
        template_version=1,
        config="dev",
        config_version=1,
        author="ana",
        status="pending",
        inventory=[{**ENTRY, "uid": ""}],
        operation_id=operation_id,
    )


def statuses(store: Store) -> list[tuple[str, int, str]]:
    return [(r.service, r.number, r.status) for r in store.list_revisions("shop")]


def test_a_pending_revision_is_completed_with_its_inventory(shop: Store) -> None:
    rev = pending(shop, start(shop))
    done = shop.update_revision(
        "shop", "api", rev.number, inventory=[ENTRY], message="ok", status="deployed"
    )
    assert (done.status, done.message, done.inventory) == ("deployed", "ok", (ENTRY,))
    assert shop.latest_revision("shop", "api") == done


def test_ending_an_operation_interrupts_its_pending_revisions_only(shop: Store) -> None:
    mine, other = start(shop), start(shop)
    pending(shop, mine, "api")
    pending(shop, other, "web")
    shop.finish_operation(mine, Step.FAILED, "boom")
    assert statuses(shop) == [("api", 1, "interrupted"), ("web", 1, "pending")]
    assert shop.latest_revision("shop", "api") is None  # never a rollback target


def test_the_lock_of_a_dead_process_is_taken_over_at_once(shop: Store) -> None:
    dead, new = start(shop), start(shop)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    owner = f"ana (pid {gone.pid} on host {socket.gethostname()})"
    shop.acquire_lock("shop", owner=owner, operation_id=dead, lease_seconds=300)
    pending(shop, dead)
    assert owner_gone(owner) and not owner_gone(lock_owner("me"))
    held = take_lock(shop, "shop", owner=lock_owner("bob"), operation_id=new, lease=30)
    assert (held.operation_id, held.took_over_from) == (new, owner)
    old = shop.get_operation(dead)
    assert (old.status, old.message) == (Step.FAILED, "interrupted: the process running it stopped")
    assert statuses(shop) == [("api", 1, "interrupted")]


def test_a_live_or_remote_owner_is_waited_for(shop: Store) -> None:
    first, second = start(shop), start(shop)
    elsewhere = f"ana (pid {os.getpid()} on host not-{socket.gethostname()})"
    shop.acquire_lock("shop", owner=elsewhere, operation_id=first, lease_seconds=300)
    assert not owner_gone(elsewhere)
    with pytest.raises(ConflictError, match="is being changed by ana"):
        take_lock(shop, "shop", owner=lock_owner("bob"), operation_id=second, lease=30)


def test_cancel_marks_the_running_operation_and_refuses_when_none_runs(shop: Store) -> None:
    with pytest.raises(ConflictError) as refused:
        shop.request_cancel("shop", by="bob")
    assert str(refused.value) == (
        "application 'shop' has no running operation to cancel; see `kapstan app operations shop`"
    )
    running = start(shop)
    assert shop.cancel_requested(running) is None
    assert shop.request_cancel("shop", by="bob") == running
    assert shop.cancel_requested(running) == "bob"
    assert shop.request_cancel("shop", by="carol") == running  # the first request stands
    assert shop.cancel_requested(running) == "bob"
    assert [e.message for e in shop.get_operation(running).events] == [
        "cancel requested by bob",
        "cancel requested by carol",
    ]
