"""A deploy's journal: the lines and states of many service workers committed together.

Found with 50 services: one store transaction per log line made most of the deploy's
threads queue for SQLite's single writer between two requests. The journal now hands
lines over and commits what waits in one transaction; each writer still returns only
once its own line is committed, and gets its own error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import pytest

from kapstan.actions.groupcommit import GroupCommit
from kapstan.actions.journal import StoreJournal
from kapstan.errors import InputError, NotFoundError
from kapstan.model.operation import Step
from kapstan.store import Store

WRITERS = 6
HANDOVER_WAIT = 30.0  # a bound on waiting for threads to start, not a measured time
Refusal = Callable[[Sequence[str]], Exception | None]


def wait_until(condition: Callable[[], bool]) -> None:
    """Until ``condition`` holds; fails the test if it never does (threads that never ran)."""
    deadline = time.monotonic() + HANDOVER_WAIT
    while not condition():
        assert time.monotonic() < deadline, "the writers never handed their entries over"
        time.sleep(0.001)


class Recorder:
    """A commit that records its batches. The first one, while it holds the turn, starts
    the other writers, each in its own thread, and waits until they all wait for it."""

    def __init__(self, others: Sequence[str], refuse: Refusal) -> None:
        self.batches: list[list[str]] = []
        self.others = others
        self.refuse = refuse
        self.group: GroupCommit[str] = GroupCommit(self.commit)
        self.outcomes: dict[str, BaseException | None] = {}
        self.threads: list[threading.Thread] = []

    def run(self, first: str) -> dict[str, BaseException | None]:
        """Write ``first``, and the others behind it: each writer's outcome, by entry."""
        self.write(first)
        for thread in self.threads:
            thread.join(timeout=HANDOVER_WAIT)
        assert not any(t.is_alive() for t in self.threads), "a writer never returned"
        return self.outcomes

    def write(self, entry: str) -> None:
        try:
            self.group.write(entry)
            self.outcomes[entry] = None
        except BaseException as exc:
            self.outcomes[entry] = exc

    def commit(self, entries: Sequence[str]) -> None:
        if not self.batches:
            self.threads = [threading.Thread(target=self.write, args=(e,)) for e in self.others]
            for thread in self.threads:
                thread.start()
            wait_until(lambda: self.group.waiting() == len(self.others))
        self.batches.append(list(entries))
        refused = self.refuse(entries)
        if refused is not None:
            raise refused


def test_what_waits_while_one_commits_is_committed_in_one_transaction() -> None:
    others = [f"line {i}" for i in range(1, WRITERS)]
    recorder = Recorder(others, lambda _entries: None)
    outcomes = recorder.run("line 0")
    assert outcomes == dict.fromkeys(["line 0", *others])
    assert recorder.batches[0] == ["line 0"]
    assert sorted(recorder.batches[1]) == others
    assert len(recorder.batches) == 2


def test_a_bad_entry_fails_its_own_writer_only() -> None:
    def refuse(entries: Sequence[str]) -> Exception | None:
        return InputError("bad entry") if "bad" in entries else None

    others = ["bad", "good 1", "good 2"]
    recorder = Recorder(others, refuse)
    outcomes = recorder.run("first")
    assert isinstance(outcomes.pop("bad"), InputError)
    assert outcomes == dict.fromkeys(["first", "good 1", "good 2"])
    # the batch of three failed, then each was written alone
    assert sorted(recorder.batches[1]) == sorted(others)
    assert sorted(map(tuple, recorder.batches[2:])) == [("bad",), ("good 1",), ("good 2",)]


def test_an_unexpected_failure_ends_every_writer_of_its_batch() -> None:
    others = ["a", "b"]

    def refuse(entries: Sequence[str]) -> Exception | None:
        return RuntimeError("the disk went away") if len(entries) > 1 else None

    recorder = Recorder(others, refuse)
    outcomes = recorder.run("first")
    assert outcomes["first"] is None
    assert all(isinstance(outcomes[e], RuntimeError) for e in others), outcomes


def test_a_deploys_journal_keeps_every_line_and_state_in_each_workers_order(
    store: Store,
) -> None:
    store.save_template_version("base", {"a.yaml": "1"}, "d1", author="ana")
    store.create_config("dev", {}, author="ana")
    store.create_environment("dev", kubeconfig="/k", context=None, namespace="a", config="dev")
    store.create_application(
        "shop",
        template="base",
        template_version=1,
        environment="dev",
        config="dev",
        config_version=None,
    )
    services = [f"s{i}" for i in range(WRITERS)]
    op = store.start_operation("shop", "deploy", author="ana", services=services)
    journal = StoreJournal(store, app="shop", operation_id=op.id, owner="ana")
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def worker(service: str) -> None:
        start.wait()
        try:
            journal.service_state(service, Step.APPLYING, "applying revision 1", 1)
            for n in range(5):
                journal.event("applied", f"{service} {n}", service=service)
            journal.service_state(service, Step.READY, "revision 1 ready", 1)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(s,)) for s in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=HANDOVER_WAIT)
    assert errors == []
    done = store.get_operation(op.id)
    assert {s.service: (s.step, s.revision) for s in done.services} == dict.fromkeys(
        services, (Step.READY, 1)
    )
    for service in services:
        lines = [e.message for e in done.events if e.service == service]
        assert lines == [f"{service} {n}" for n in range(5)]
    with pytest.raises(NotFoundError, match="has no service 'nope'"):
        journal.service_state("nope", Step.READY)


class Blocking:
    """A commit that records its batches and holds each until the test lets it go."""

    def __init__(self, refuse: Refusal = lambda _entries: None) -> None:
        self.batches: list[list[str]] = []
        self.go = threading.Event()
        self.refuse = refuse
        self.group: GroupCommit[str] = GroupCommit(self.commit)

    def commit(self, entries: Sequence[str]) -> None:
        assert self.go.wait(HANDOVER_WAIT), "the test never let the commit go"
        self.batches.append(list(entries))
        refused = self.refuse(entries)
        if refused is not None:
            raise refused


def test_a_posted_line_returns_at_once_and_is_committed_by_the_committer() -> None:
    blocking = Blocking()
    blocking.group.post("line 0")  # returns although its commit is held
    blocking.group.post("line 1")
    assert blocking.batches == []
    blocking.go.set()
    wait_until(lambda: sum(map(len, blocking.batches)) == 2)
    assert [e for batch in blocking.batches for e in batch] == ["line 0", "line 1"]
    blocking.group.close()


def test_a_write_commits_what_was_posted_before_it_in_order() -> None:
    blocking = Blocking()
    blocking.go.set()
    blocking.group.post("posted")
    blocking.group.write("written")  # returns once committed: what was posted is too
    committed = [e for batch in blocking.batches for e in batch]
    assert committed == ["posted", "written"]
    blocking.group.close()


def test_a_posted_entrys_error_comes_from_the_next_flush_once() -> None:
    def refuse(entries: Sequence[str]) -> Exception | None:
        return InputError("bad line") if "bad" in entries else None

    blocking = Blocking(refuse)
    blocking.go.set()
    blocking.group.post("good")
    blocking.group.post("bad")
    with pytest.raises(InputError, match="bad line"):
        blocking.group.flush()
    blocking.group.flush()  # reported once
    assert "good" in [e for batch in blocking.batches for e in batch]
    blocking.group.close()
    with pytest.raises(RuntimeError, match="closed"):
        blocking.group.post("late")
