"""The ports the deploy engine is driven over: the cluster, the journal, the revisions.

The engine decides; these only carry out. ``kapstan.kube.KubeClient`` is the real
``Cluster``; the store, through ``kapstan.actions``, backs ``Journal`` and ``Revisions``;
``kapstan.actions.clock.SYSTEM_CLOCK`` is the real ``Clock``.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol

from kapstan.model.operation import ServiceState, Step
from kapstan.model.rendered import KubeObject

InventoryEntry = Mapping[str, str]
# How a delete treats the object's dependents (a Deployment's ReplicaSets and Pods):
# Foreground keeps the object until they are gone, so "gone" means all of it is gone.
Propagation = Literal["Background", "Foreground", "Orphan"]


class Cluster(Protocol):
    def apply(
        self,
        obj: KubeObject,
        *,
        dry_run: bool = False,
        force: bool = True,
        field_manager: str | None = None,
    ) -> KubeObject: ...

    def probe_pod(self, namespace: str, pod: str, port: int, path: str) -> tuple[bool, str]: ...

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> KubeObject | None: ...

    def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        propagation: Propagation = "Background",
    ) -> bool: ...

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> builtins.list[KubeObject]: ...

    def list_bounded(
        self, api_version: str, kind: str, namespace: str | None, limit: int
    ) -> builtins.list[KubeObject] | None:
        """Every object of a kind in ``namespace``, in one request; None when there are more
        than ``limit`` (then the caller reads the ones it needs one by one)."""
        ...

    def ensure_namespace(self, name: str) -> None: ...

    def events_for(self, obj: Mapping[str, Any]) -> builtins.list[KubeObject]: ...

    def pod_logs(
        self, namespace: str, pod: str, container: str | None = None, tail_lines: int = 20
    ) -> str | None: ...

    def watch(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        *,
        labels: Mapping[str, str] | None = None,
        resource_version: str | None = None,
        timeout_seconds: int = 10,
    ) -> Iterator[tuple[str, KubeObject]]: ...


class Clock(Protocol):
    """Time as the engine sees it: deadlines, pauses between two reads, retirement marks.

    Injected (never read from ``time``/``datetime`` inside the engine), so a test moves
    the clock instead of waiting for wall time to pass.
    """

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back: for deadlines."""
        ...

    def now(self) -> datetime:
        """The current time, timezone-aware UTC: for marks other processes read."""
        ...

    def sleep(self, seconds: float) -> None: ...


class Journal(Protocol):
    """Where an operation writes what happens, as it happens (readable while it runs)."""

    def event(
        self, status: str, message: str, *, service: str = "", resource: str = ""
    ) -> None: ...

    def service_state(
        self, service: str, step: Step, message: str = "", revision: int | None = None
    ) -> None: ...

    def service_states(self, states: Sequence[ServiceState]) -> None:
        """Several services' states at once (a plan's), in one write."""
        ...

    def check(self) -> None:
        """Raise if the operation may not go on (its lock was taken over)."""
        ...


class DeployedRevision(Protocol):
    @property
    def number(self) -> int: ...

    @property
    def hash(self) -> str: ...

    @property
    def inventory(self) -> Sequence[InventoryEntry]: ...

    @property
    def status(self) -> str:
        """deployed, failed, removed; pending while an operation applies and waits for it;
        interrupted (its process stopped) or cancelled: never seen ready."""
        ...


class Revisions(Protocol):
    def latest(self, service: str) -> DeployedRevision | None:
        """The last revision applied to the cluster, deployed or failed: its inventory is live."""
        ...

    def latest_all(self, services: Sequence[str]) -> Mapping[str, DeployedRevision | None]:
        """``latest`` of each of ``services``, read at once (a plan of many services)."""
        ...

    def next_number(self, service: str) -> int: ...

    def record(
        self,
        service: str,
        number: int,
        objects: Sequence[KubeObject],
        content_hash: str,
        inventory: Sequence[InventoryEntry],
        message: str,
        status: str,
    ) -> None: ...

    def begin(
        self,
        service: str,
        number: int,
        objects: Sequence[KubeObject],
        content_hash: str,
        inventory: Sequence[InventoryEntry],
    ) -> None:
        """Record revision ``number`` as pending before anything of it is applied.

        ``inventory`` is what may be live once the apply starts (the previous revision's
        objects and the ones about to be applied): what a later prune must consider.
        """
        ...

    def update(
        self,
        service: str,
        number: int,
        inventory: Sequence[InventoryEntry],
        *,
        message: str | None = None,
        status: str | None = None,
    ) -> None:
        """Set the inventory (and message, status) of a revision ``begin`` recorded."""
        ...
