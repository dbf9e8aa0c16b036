"""One node removal at a time per cluster: a Lease in the cluster, ``kube-system/kapstan-drain``.

Two removals at once could evict pods onto a node the other is draining, and each could
count the other's node as the one left schedulable. The lock lives in the cluster, not the
store, so it holds across processes, machines and Kapstan stores that share a cluster.

    acquire   server-side apply of the holder's fields (holderIdentity "ana via cli #id",
              acquireTime, renewTime, leaseDurationSeconds) as the removal's own field
              manager, never forced: while another removal's manager owns them the
              apiserver answers 409, so of two at once exactly one gets the lock
    renew     the same apply before each node: it lasts that node's timeout + SLACK
    release   an empty apply as that manager: its fields go, the Lease is free again
    stale     renewTime + leaseDurationSeconds passed: its removal stopped mid-way (its
              process was killed). Refused, naming it, unless ``force``; ``force`` releases
              it as its manager, then acquires as above (two takeovers at once: one wins)

Times are the wall clocks of the processes that compare them (UTC), as Kubernetes' own
leases; SLACK absorbs small skews.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kapstan.errors import ClusterConflictError, ConflictError, KapstanError
from kapstan.kube import KubeClient, KubeObject

LEASE = ("coordination.k8s.io/v1", "Lease")
NAME, NAMESPACE = "kapstan-drain", "kube-system"
MANAGER_PREFIX = "kapstan-drain-"  # + the removal's id: its own field manager
NODE_ANNOTATION = "kapstan.io/draining"  # the node being drained now
SLACK = 60.0  # seconds past a node's drain timeout for deleting it and the provider's step


@dataclass(frozen=True)
class Holder:
    """Who holds the lock, since when, until when, on which node."""

    who: str  # "ana via cli"
    since: datetime
    until: datetime
    node: str | None
    manager: str | None  # its field manager; None: not a Kapstan removal

    def stale(self, now: datetime) -> bool:
        return now > self.until

    def describe(self) -> str:
        on = f", on node {self.node}" if self.node else ""
        return f"{self.who}, since {_clock(self.since)}{on}"


def holder_of(lease: Mapping[str, Any] | None) -> Holder | None:
    """The holder a Lease names, or None when it is free (or absent)."""
    spec = (lease or {}).get("spec") or {}
    identity = spec.get("holderIdentity")
    if not identity:
        return None
    who, _, token = str(identity).rpartition(" #")
    renewed = _parse(spec.get("renewTime") or spec.get("acquireTime"))
    annotations = ((lease or {}).get("metadata") or {}).get("annotations") or {}
    return Holder(
        who=who or str(identity),
        since=_parse(spec.get("acquireTime") or spec.get("renewTime")),
        until=renewed + timedelta(seconds=int(spec.get("leaseDurationSeconds") or 0)),
        node=annotations.get(NODE_ANNOTATION),
        manager=f"{MANAGER_PREFIX}{token}" if who and token else None,
    )


def lease_body(
    identity: str, *, acquired: datetime, now: datetime, seconds: float, node: str | None
) -> KubeObject:
    """The fields a holder applies (and so owns) on the Lease."""
    meta: dict[str, Any] = {"name": NAME, "namespace": NAMESPACE}
    if node:
        meta["annotations"] = {NODE_ANNOTATION: node}
    spec = {
        "holderIdentity": identity,
        "acquireTime": _micro(acquired),
        "renewTime": _micro(now),
        "leaseDurationSeconds": int(seconds + 0.999),
    }
    return {"apiVersion": LEASE[0], "kind": LEASE[1], "metadata": meta, "spec": spec}


class DrainLock:
    """The lock as one removal holds it (see the module docstring)."""

    def __init__(self, kube: KubeClient, cluster: str, who: str) -> None:
        token = uuid.uuid4().hex[:12]
        self.kube, self.cluster = kube, cluster
        self.identity = f"{who} #{token}"
        self.manager = f"{MANAGER_PREFIX}{token}"
        self.acquired = _now()
        self.took_over: Holder | None = None  # the stale holder ``force`` replaced

    def acquire(self, *, seconds: float, force: bool) -> None:
        held = holder_of(self.kube.get(*LEASE, NAME, NAMESPACE))
        if held is not None:
            if not held.stale(_now()):
                raise ConflictError(busy_message(self.cluster, held))
            if not force:
                raise ConflictError(stale_message(self.cluster, held))
            if held.manager is not None:
                self._apply_empty(held.manager)  # its fields go; the Lease is free
            self.took_over = held
        self.renew(None, seconds)

    def renew(self, node: str | None, seconds: float) -> None:
        """Hold the lock ``seconds`` more, draining ``node``; ConflictError naming the holder
        when another removal has it (or took it over once this one was stale)."""
        body = lease_body(
            self.identity, acquired=self.acquired, now=_now(), seconds=seconds, node=node
        )
        try:
            self.kube.apply(body, force=False, field_manager=self.manager)
        except ClusterConflictError:
            held = holder_of(self.kube.get(*LEASE, NAME, NAMESPACE))
            raise ConflictError(
                busy_message(self.cluster, held)
                if held
                else f"cluster {self.cluster}: the "
                f"drain lock {NAMESPACE}/{NAME} changed under this removal; run it again"
            ) from None

    def release(self) -> None:
        self._apply_empty(self.manager)

    def _apply_empty(self, manager: str) -> None:
        body = {"apiVersion": LEASE[0], "kind": LEASE[1]}
        self.kube.apply(
            {**body, "metadata": {"name": NAME, "namespace": NAMESPACE}}, field_manager=manager
        )


@contextmanager
def holding(
    kube: KubeClient, cluster: str, who: str, *, seconds: float, force: bool
) -> Iterator[DrainLock]:
    """The lock held for the block (released on any exit, the node's cordon untouched)."""
    lock = DrainLock(kube, cluster, who)
    lock.acquire(seconds=seconds, force=force)
    try:
        yield lock
    except BaseException:
        # The removal's own error is the one to tell; a lock not released now goes stale
        # at its deadline, and is then reported as such.
        with contextlib.suppress(KapstanError):
            lock.release()
        raise
    lock.release()


def busy_message(cluster: str, held: Holder) -> str:
    return (
        f"cluster {cluster}: another node removal is in progress ({held.describe()}); two at "
        "once could evict pods onto a node the other is draining or leave no schedulable "
        f"node. Wait until it ends (by {_clock(held.until)} at the latest) and run this "
        "again; --force does not override a removal in progress"
    )


def stale_message(cluster: str, held: Holder) -> str:
    return (
        f"cluster {cluster}: a node removal ({held.describe()}) should have ended by "
        f"{_clock(held.until)} and did not release its lock {NAMESPACE}/{NAME}: it stopped "
        f"mid-way (its process killed?), maybe leaving a node cordoned. Check `kapstan "
        f"cluster nodes {cluster}`, then pass --force to take the lock over and go ahead"
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _micro(when: datetime) -> str:
    """A Kubernetes MicroTime: 2026-12-06T06:40:01.123456Z."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: Any) -> datetime:
    if not text:
        return datetime.fromtimestamp(0, UTC)  # no time at all: long stale
    return datetime.fromisoformat(str(text)).astimezone(UTC)


def _clock(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
