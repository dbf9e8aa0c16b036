"""Deploys driven through the engine itself (``Deployer``) on the sandbox, no store.

A journal that keeps its entries in memory, in the order the engine wrote them (and can
act when a service reaches a step), revisions in memory, services built from plain
objects, and a way to make a ``never-ready`` sandbox pod ready when the test decides.
"""

from __future__ import annotations

import dataclasses
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from kapstan.engine.deploy import DeployTarget
from kapstan.engine.ports import InventoryEntry
from kapstan.model.operation import ServiceState, Step
from kapstan.model.rendered import KubeObject, RenderedService
from kapstan.sandbox import SandboxState
from kapstan.sandbox.stages import FAULT_LABEL


@dataclass(frozen=True)
class Entry:
    kind: str  # "state" (a service's step) or "event"
    service: str
    status: str
    message: str


class RecordingJournal:
    """``kapstan.engine.ports.Journal`` in memory; ``on_entry`` is told each entry."""

    def __init__(self, on_entry: Callable[[Entry], None] | None = None) -> None:
        self.entries: list[Entry] = []
        self.on_entry = on_entry
        self._lock = threading.Lock()

    def _add(self, entry: Entry) -> None:
        with self._lock:
            self.entries.append(entry)
        if self.on_entry is not None:
            self.on_entry(entry)

    def event(self, status: str, message: str, *, service: str = "", resource: str = "") -> None:
        self._add(Entry("event", service, status, message))

    def service_state(
        self, service: str, step: Step, message: str = "", revision: int | None = None
    ) -> None:
        self._add(Entry("state", service, step.value, message))

    def service_states(self, states: Sequence[ServiceState]) -> None:
        for s in states:
            self.service_state(s.service, s.step, s.message, s.revision)

    def check(self) -> None:
        pass

    def first(self, service: str, status: str) -> int:
        """Where ``service`` first reached ``status`` (a step or an event status)."""
        return next(
            i for i, e in enumerate(self.entries) if e.service == service and e.status == status
        )


class Untouched(Exception):
    """The engine went to the cluster."""


class Refusing:
    """A cluster every call of which is refused (``Untouched``): for what must not read it."""

    def __getattr__(self, name: str) -> Any:
        def refuse(*args: object, **kwargs: object) -> Any:
            raise Untouched(name)

        return refuse


@dataclass(frozen=True)
class Revision:
    number: int
    hash: str
    inventory: tuple[InventoryEntry, ...]
    status: str


class MemoryRevisions:
    """``kapstan.engine.ports.Revisions`` in memory (thread-safe: services run at once)."""

    def __init__(self) -> None:
        self.latest_of: dict[str, Revision] = {}
        self._lock = threading.Lock()

    def latest(self, service: str) -> Revision | None:
        with self._lock:
            return self.latest_of.get(service)

    def latest_all(self, services: Sequence[str]) -> dict[str, Revision | None]:
        with self._lock:
            return {s: self.latest_of.get(s) for s in services}

    def next_number(self, service: str) -> int:
        with self._lock:
            found = self.latest_of.get(service)
            return found.number + 1 if found else 1

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
        with self._lock:
            self.latest_of[service] = Revision(number, content_hash, tuple(inventory), status)

    def begin(
        self,
        service: str,
        number: int,
        objects: Sequence[KubeObject],
        content_hash: str,
        inventory: Sequence[InventoryEntry],
    ) -> None:
        self.record(service, number, objects, content_hash, inventory, "", "pending")

    def update(
        self,
        service: str,
        number: int,
        inventory: Sequence[InventoryEntry],
        *,
        message: str | None = None,
        status: str | None = None,
    ) -> None:
        with self._lock:
            found = self.latest_of[service]
            self.latest_of[service] = dataclasses.replace(
                found, inventory=tuple(inventory), status=status or found.status
            )


def config_map(name: str, namespace: str) -> KubeObject:
    meta = {"name": name, "namespace": namespace}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": name}}


def pod(name: str, namespace: str, fault: str) -> KubeObject:
    """A bare pod; ``fault`` is a ``kapstan.sandbox.stages`` fault (never-ready, crash)."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": {FAULT_LABEL: fault}},
        "spec": {"containers": [{"name": name, "image": f"example/{name}:1"}]},
    }


def target(
    namespace: str,
    services: Mapping[str, Sequence[KubeObject]],
    depends_on: Mapping[str, tuple[str, ...]],
) -> DeployTarget:
    rendered = {
        name: RenderedService(name, tuple(objects), f"{name}-1", {}, {})
        for name, objects in services.items()
    }
    return DeployTarget("sched", namespace, rendered, depends_on, 1, 1)


def admin_http(state: SandboxState) -> httpx.Client:
    """The sandbox apiserver as its admin, for what no Kapstan port does (pod status)."""
    pki = Path(state.directory) / "pki"
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    context.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
    return httpx.Client(base_url=state.server, verify=context, timeout=30.0)


def make_ready(state: SandboxState, namespace: str, name: str) -> None:
    """Mark a ``never-ready`` pod's containers ready, as a kubelet would once they are."""
    ready = [{"type": t, "status": "True"} for t in ("Ready", "ContainersReady")]
    with admin_http(state) as http:
        answer = http.patch(
            f"/api/v1/namespaces/{namespace}/pods/{name}/status",
            json={"status": {"conditions": ready}},
            headers={"Content-Type": "application/strategic-merge-patch+json"},
        )
        answer.raise_for_status()
