"""The store side of an operation: its journal, its lock lease, and the revisions it records.

``StoreJournal`` renews the application's lock from a heartbeat thread while the operation
runs; if someone takes the lock over (our lease expired), ``check()`` stops the engine at
its next step instead of letting two operations write the same application.

``OperationRequest`` is what was asked of an operation (kind, services, options, exact
template and config versions, author), written as its first event (status ``request``) so
that another process can re-run it if this one dies (``deploying.resume_operation``).
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from types import TracebackType
from typing import Any

from kapstan.actions.groupcommit import GroupCommit
from kapstan.actions.storeports import Journal, Locks, OperationLog, RevisionLog, RevisionWrites
from kapstan.engine.deploy import DeployOptions
from kapstan.engine.ports import InventoryEntry
from kapstan.errors import ConflictError, KapstanError, NotFoundError, OperationCancelled
from kapstan.model.operation import REQUEST_EVENT as REQUEST_EVENT
from kapstan.model.operation import JournalEntry, LogLine, Operation, ServiceState, Step
from kapstan.model.operation import Listener as Listener
from kapstan.model.rendered import KubeObject
from kapstan.render.hashing import objects_yaml
from kapstan.store import LockInfo, Revision
from kapstan.store.revisions import PENDING, NewRevision, RevisionChange, RevisionUpdate

LEASE_SECONDS = 30.0
CANCEL_POLL = 0.5  # seconds between two reads of an operation's cancel request


def lock_owner(author: str) -> str:
    """Who holds a lock, in words: the user, the process and the host."""
    return f"{author} (pid {os.getpid()} on host {socket.gethostname()})"


_OWNER = re.compile(r"\(pid (\d+) on host ([^()]+)\)$")


def owner_gone(owner: str) -> bool:
    """Is the process named by ``owner`` (see ``lock_owner``) known to be gone?

    Only a process on this host can be seen; another host's is never judged gone here
    (its lease says when). A zombie (killed, not yet reaped by its parent) is gone.
    """
    found = _OWNER.search(owner)
    if found is None or found.group(2) != socket.gethostname():
        return False
    pid = int(found.group(1))
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def take_lock(store: Locks, app: str, *, owner: str, operation_id: int, lease: float) -> LockInfo:
    """The lock of ``app`` for ``operation_id``; taken over at once from a dead process.

    A CLI killed on this host leaves its lease running for up to ``lease`` seconds: its
    pid tells it is gone, so the next command need not wait (the operation it ran ends
    FAILED, "interrupted", and its pending revisions become interrupted).
    """
    held = store.get_lock(app)
    dead = held.owner if held is not None and owner_gone(held.owner) else None
    return store.acquire_lock(
        app, owner=owner, operation_id=operation_id, lease_seconds=lease, dead_owner=dead
    )


def resolve_interrupted(store: RevisionWrites, app: str, journal: StoreJournal) -> None:
    """With the lock held no other operation runs: any pending revision was cut short.

    Marked interrupted (never a rollback target); the deploy then applies those services
    again even when the live state matches (see ``engine.deploy``).
    """
    for rev in store.interrupt_revisions(app):
        journal.event(
            "interrupted",
            f"revision {rev.number} was never completed ("
            + (
                f"operation {rev.operation_id} stopped"
                if rev.operation_id
                else "its deploy stopped"
            )
            + "); "
            "marked interrupted: this deploy applies the service again",
            service=rev.service,
        )


@dataclass(frozen=True)
class OperationRequest:
    """What an operation was asked to do, exactly enough to run it again."""

    kind: str
    author: str
    services: tuple[str, ...]
    options: DeployOptions
    template_version: int
    config_version: int
    resumes: int | None = None  # the abandoned operation this one re-runs
    # Per service (template, config) versions when they differ (a whole-app rollback).
    service_versions: dict[str, tuple[int, int]] = field(default_factory=dict)

    def to_json(self) -> str:
        body = asdict(self)
        body["services"] = list(self.services)
        return json.dumps(body, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> OperationRequest:
        body: dict[str, Any] = json.loads(text)
        return cls(
            kind=str(body["kind"]),
            author=str(body["author"]),
            services=tuple(str(s) for s in body["services"]),
            options=DeployOptions.from_record(body["options"]),
            template_version=int(body["template_version"]),
            config_version=int(body["config_version"]),
            resumes=None if body.get("resumes") is None else int(body["resumes"]),
            service_versions={
                str(k): (int(v[0]), int(v[1]))
                for k, v in (body.get("service_versions") or {}).items()
            },
        )


def record_request(store: OperationLog, operation_id: int, request: OperationRequest) -> None:
    store.record_event(operation_id, status=REQUEST_EVENT, message=request.to_json())


def request_of(operation: Operation) -> OperationRequest:
    """The request recorded with ``operation``; NotFoundError if it has none (older ones)."""
    for event in operation.events:
        if event.status == REQUEST_EVENT:
            return OperationRequest.from_json(event.message)
    raise NotFoundError(f"operation {operation.id} has no recorded request to run again")


class StoreJournal:
    """Journal + lock lease of one operation; a context manager that releases the lock."""

    def __init__(
        self,
        store: Journal,
        *,
        app: str,
        operation_id: int,
        owner: str,
        lease: float = LEASE_SECONDS,
        listener: Listener | None = None,
    ) -> None:
        self.store = store
        self.listener = listener
        self.app = app
        self.operation_id = operation_id
        self.owner = owner
        self.lease = lease
        self._lost: str | None = None
        self._cancel_read_at = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._heartbeat, name=f"lease-{app}", daemon=True)
        # The service workers' lines and states, committed together (see groupcommit).
        self._log: GroupCommit[JournalEntry] = GroupCommit(
            lambda entries: store.record_journal(operation_id, entries)
        )

    def __enter__(self) -> StoreJournal:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        try:
            self._log.close()
        except KapstanError:
            if exc is None:
                raise
        self._thread.join(timeout=self.lease)
        if exc is not None and not isinstance(exc, KapstanError):
            # Ctrl-C or a bug: no one else will end the operation once the lock is free.
            reason = f"interrupted: {type(exc).__name__} {exc}".rstrip()
            self.store.finish_operation(self.operation_id, Step.FAILED, reason)
        if self._lost is None:
            self.store.release_lock(self.app, owner=self.owner)

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.lease / 3):
            try:
                self.store.renew_lock(self.app, owner=self.owner, lease_seconds=self.lease)
            except ConflictError as exc:
                self._lost = str(exc)
                return
            except KapstanError:
                continue  # a store hiccup: the next beat tries again within the lease

    def flush(self) -> None:
        """Every line posted so far committed: call before the operation's end is written."""
        self._log.flush()

    def check(self) -> None:
        if self._lost is not None:
            raise ConflictError(
                f"operation {self.operation_id} lost its lock and stopped: {self._lost}"
            )
        self._check_cancel()

    def _check_cancel(self) -> None:
        """Stop if a user asked (``app cancel``); the store is read at most every CANCEL_POLL s."""
        now = time.monotonic()
        if now - self._cancel_read_at < CANCEL_POLL:
            return
        self._cancel_read_at = now
        try:
            by = self.store.cancel_requested(self.operation_id)
        except KapstanError:
            return  # a store hiccup: the next check reads again
        if by is not None:
            raise OperationCancelled(f"operation {self.operation_id} was cancelled by {by}")

    def event(self, status: str, message: str, *, service: str = "", resource: str = "") -> None:
        """A service's progress line is posted (its worker goes on at once, and the
        service's next state commits it at the latest); the operation's own lines are
        written before this returns."""
        line = LogLine(status, message, service, resource)
        if service:
            self._log.post(line)
        else:
            self._log.write(line)
        if self.listener is not None:
            self.listener(service, resource, status, message)

    def service_state(
        self, service: str, step: Step, message: str = "", revision: int | None = None
    ) -> None:
        self._log.write(ServiceState(service, step, message, revision))
        if self.listener is not None:
            self.listener(service, "", step.value, message)

    def service_states(self, states: Sequence[ServiceState]) -> None:
        self._log.write_all(states)
        if self.listener is not None:
            for s in states:
                self.listener(s.service, "", s.step.value, s.message)

    def lines(self, lines: Sequence[LogLine]) -> None:
        """Several lines at once (a deploy's policy warnings), in one write."""
        self._log.write_all(lines)
        if self.listener is not None:
            for line in lines:
                self.listener(line.service, line.resource, line.status, line.message)


class StoreRevisions:
    """Revisions of one application, numbered per service, recorded by one operation."""

    def __init__(
        self,
        store: RevisionLog,
        *,
        app: str,
        template: tuple[str, int],
        config: tuple[str, int],
        author: str,
        operation_id: int | None,
        versions: Mapping[str, tuple[int, int]] | None = None,
    ) -> None:
        self.store = store
        self.app = app
        self.template = template
        self.config = config
        # (template, config) version per service, when not those above (DeployTarget.versions)
        self.versions = dict(versions or {})
        self.author = author
        self.operation_id = operation_id
        self._lock = threading.Lock()
        self._numbers: dict[str, int] = {}
        # Services that start or finish together record their revisions in one transaction
        # (one wait for the disk); each writer returns once its own is committed.
        self._writes: GroupCommit[RevisionChange] = GroupCommit(store.record_revisions)

    def latest(self, service: str) -> Revision | None:
        found = self.store.latest_revision(self.app, service, status=None)
        with self._lock:
            # The plan reads every service's latest revision under the application's lock,
            # so numbering goes on from there without reading it again (each number is
            # still checked against the store's when recorded).
            self._numbers.setdefault(service, found.number if found else 0)
        return found

    def latest_all(self, services: Sequence[str]) -> dict[str, Revision | None]:
        found = self.store.latest_revisions(self.app, services)
        with self._lock:  # numbering goes on from these, as from ``latest``
            for service, revision in found.items():
                self._numbers.setdefault(service, revision.number if revision else 0)
        return found

    def next_number(self, service: str) -> int:
        with self._lock:
            if service not in self._numbers:
                latest = self.latest(service)
                self._numbers[service] = latest.number if latest else 0
            self._numbers[service] += 1
            return self._numbers[service]

    def record(
        self,
        service: str,
        number: int,
        objects: Sequence[KubeObject],
        content_hash: str,
        inventory: Sequence[InventoryEntry],
        message: str,
        status: str,
    ) -> None:
        template_version, config_version = self.versions.get(
            service, (self.template[1], self.config[1])
        )
        new = NewRevision(
            self.app,
            service,
            manifests=objects_yaml(list(objects)),
            hash=content_hash,
            template=self.template[0],
            template_version=template_version,
            config=self.config[0],
            config_version=config_version,
            author=self.author,
            message=message,
            status=status,
            inventory=inventory,
            operation_id=self.operation_id,
            expected=number,
        )
        self._writes.write(new)

    def begin(
        self,
        service: str,
        number: int,
        objects: Sequence[KubeObject],
        content_hash: str,
        inventory: Sequence[InventoryEntry],
    ) -> None:
        self.record(service, number, objects, content_hash, inventory, "", PENDING)

    def update(
        self,
        service: str,
        number: int,
        inventory: Sequence[InventoryEntry],
        *,
        message: str | None = None,
        status: str | None = None,
    ) -> None:
        self._writes.write(RevisionUpdate(self.app, service, number, inventory, message, status))
