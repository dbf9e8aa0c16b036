"""Operations: started, logged while they run (readable by another process), finished once."""

from __future__ import annotations

import pytest

from kapstan.errors import InputError, NotFoundError
from kapstan.model.operation import OperationEvent, ServiceState, Step
from kapstan.store import Store
from tests.store.conftest import OpenStore, create_app


def test_an_operation_is_read_by_another_store_while_it_runs(
    shop: Store, open_store: OpenStore
) -> None:
    op = shop.start_operation(
        "shop", "deploy", author="ana", message="new tag", services=["db", "api"]
    )
    assert (op.app, op.kind, op.status, op.author, op.message) == (
        "shop",
        "deploy",
        Step.RUNNING,
        "ana",
        "new tag",
    )
    assert op.services == (ServiceState("db", Step.PENDING), ServiceState("api", Step.PENDING))
    assert (op.events, op.finished_at) == ((), None)
    reader = open_store()

    shop.record_event(op.id, status="planning", message="planning 2 service(s)")
    shop.set_service_state(op.id, "db", Step.APPLYING, "applying 3 objects")
    shop.record_event(
        op.id, status="applied", message="ok", service="db", resource="StatefulSet db"
    )
    running = reader.get_operation(op.id)
    assert running.status is Step.RUNNING
    assert running.services[0] == ServiceState("db", Step.APPLYING, "applying 3 objects")
    assert [(e.status, e.service, e.resource) for e in running.events] == [
        ("planning", "", ""),
        ("applied", "db", "StatefulSet db"),
    ]
    assert running.events[0].at < running.events[1].at

    shop.set_service_state(op.id, "db", Step.READY, "ready", revision=4)
    shop.set_service_state(op.id, "api", Step.UNCHANGED)
    shop.finish_operation(op.id, Step.SUCCEEDED, "1 ready, 1 unchanged")
    done = reader.get_operation(op.id)
    assert (done.status, done.message) == (Step.SUCCEEDED, "1 ready, 1 unchanged")
    assert done.finished_at is not None and done.finished_at > done.started_at
    assert done.services == (
        ServiceState("db", Step.READY, "ready", 4),
        ServiceState("api", Step.UNCHANGED),
    )
    assert len(done.events) == 2


def test_list_newest_first_without_events_and_the_latest(shop: Store) -> None:
    assert shop.list_operations("shop") == []
    assert shop.latest_operation("shop") is None
    ids = [shop.start_operation("shop", "deploy", author="ana", services=["api"]).id for _ in "abc"]
    shop.record_event(ids[-1], status="planning", message="x")
    create_app(shop, "other")
    shop.start_operation("other", "deploy", author="ana", services=[])

    listed = shop.list_operations("shop")
    assert [o.id for o in listed] == ids[::-1]
    assert all(o.events == () and len(o.services) == 1 for o in listed)
    assert [o.id for o in shop.list_operations("shop", limit=2)] == ids[:0:-1]
    latest = shop.latest_operation("shop")
    assert latest is not None and latest.id == ids[-1]
    assert [e.message for e in latest.events] == ["x"]


def test_the_first_finish_stands_a_later_one_is_logged(shop: Store) -> None:
    op = shop.start_operation("shop", "rollback", author="ana", services=["api"])
    shop.finish_operation(op.id, Step.FAILED, "api: image pull failed")
    shop.finish_operation(op.id, Step.SUCCEEDED, "all ready")
    done = shop.get_operation(op.id)
    assert (done.status, done.message) == (Step.FAILED, "api: image pull failed")
    assert [(e.status, e.message) for e in done.events] == [
        ("ignored", "finished again as succeeded: all ready; it had ended as failed")
    ]


def test_unknown_ids_and_names(shop: Store) -> None:
    op = shop.start_operation("shop", "deploy", author="ana", services=["db", "api"])
    missing = r"^operation 999 not found$"
    with pytest.raises(NotFoundError, match=missing):
        shop.get_operation(999)
    with pytest.raises(NotFoundError, match=missing):
        shop.record_event(999, status="x", message="y")
    with pytest.raises(NotFoundError, match=missing):
        shop.set_service_state(999, "api", Step.READY)
    with pytest.raises(NotFoundError, match=missing):
        shop.finish_operation(999, Step.FAILED)
    with pytest.raises(
        NotFoundError,
        match=rf"^operation {op.id} has no service 'cache' \(its services: api, db\)$",
    ):
        shop.set_service_state(op.id, "cache", Step.READY)
    for call in (
        lambda: shop.start_operation("nope", "deploy", author="ana", services=[]),
        lambda: shop.list_operations("nope"),
        lambda: shop.latest_operation("nope"),
    ):
        with pytest.raises(NotFoundError, match=r"^application 'nope' not found$"):
            call()


def test_bad_input_is_refused(shop: Store) -> None:
    op = shop.start_operation("shop", "deploy", author="ana", services=["api"])
    with pytest.raises(InputError, match="names api twice"):
        shop.start_operation("shop", "deploy", author="ana", services=["api", "api"])
    with pytest.raises(InputError, match="must be a list"):
        shop.start_operation("shop", "deploy", author="ana", services="api")
    with pytest.raises(InputError, match="service name 'API'"):
        shop.start_operation("shop", "deploy", author="ana", services=["API"])
    with pytest.raises(InputError, match="bad kind ''"):
        shop.start_operation("shop", "", author="ana", services=[])
    with pytest.raises(InputError, match="cannot finish as 'running'"):
        shop.finish_operation(op.id, Step.RUNNING)
    with pytest.raises(InputError, match="'bogus' is not a step"):
        shop.set_service_state(op.id, "api", "bogus")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="must be positive"):
        shop.list_operations("shop", limit=0)
    assert [o.id for o in shop.list_operations("shop")] == [op.id]


def test_events_keep_their_fields(shop: Store) -> None:
    op = shop.start_operation("shop", "deploy", author="ana", services=["api"])
    shop.record_event(op.id, status="reason", message="Back-off pulling image", service="api")
    (event,) = shop.get_operation(op.id).events
    assert event == OperationEvent(event.at, "reason", "Back-off pulling image", "api", "")
    assert event.at.tzinfo is not None
