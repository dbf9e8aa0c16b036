"""Removal: delete what one service owns, in reverse dependency order, and wait until it is gone.

    survey(cluster, entries, app=, service=, keep_volumes=)  -> what would be deleted, kept, why
    remove(cluster, entries, journal, app=, service=, keep_volumes=, timeout=, clock=)
        -> deleted

Only inventory entries are candidates, and each is deleted only while Kapstan still owns
it (``inventory.owned``: same uid as applied, Kapstan's labels for this app and service).
Never deleted: Namespaces (other things may live there), and PersistentVolumeClaims
unless ``keep_volumes`` is False; then also the claims a StatefulSet of the inventory made
from its volumeClaimTemplates (``<claim>-<statefulset>-<ordinal>``, carrying its selector's
labels), which no inventory lists. Workloads are deleted in the foreground, so once the
object is gone its pods are too. The wait is bounded; a timeout names what is still there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kapstan.engine import inventory
from kapstan.engine.ports import Clock, Cluster, InventoryEntry, Journal, Propagation
from kapstan.errors import ClusterError
from kapstan.model.rendered import KubeObject
from kapstan.plan import order

NEVER_DELETED = frozenset({"Namespace"})
GONE = "already gone"
VOLUME_KIND = "PersistentVolumeClaim"
POLL_FIRST, POLL_MAX = 0.1, 1.0  # seconds between two reads while waiting, growing


@dataclass(frozen=True)
class Removal:
    """One object of a service and what removal does with it: delete, or keep (and why)."""

    entry: InventoryEntry
    delete: bool
    why: str = ""

    @property
    def what(self) -> str:
        return inventory.describe(self.entry)


def survey(
    cluster: Cluster,
    entries: Sequence[InventoryEntry],
    *,
    app: str,
    service: str,
    keep_volumes: bool = True,
) -> list[Removal]:
    """Each entry, read live, in deletion order, with its fate; then the claimed volumes."""
    found: list[Removal] = []
    claimed: list[Removal] = []
    for e in _in_prune_order(entries):
        live = cluster.get(e["apiVersion"], e["kind"], e["name"], e["namespace"] or None)
        found.append(_judge(live, e, app=app, service=service, keep_volumes=keep_volumes))
        if found[-1].delete and e["kind"] == "StatefulSet" and live is not None:
            claimed += [] if keep_volumes else _claimed_volumes(cluster, live)
    known = {(r.entry["kind"], r.entry["namespace"], r.entry["name"]) for r in found}
    found += [
        r for r in claimed if (VOLUME_KIND, r.entry["namespace"], r.entry["name"]) not in known
    ]
    return found


def remove(
    cluster: Cluster,
    entries: Sequence[InventoryEntry],
    journal: Journal,
    *,
    app: str,
    service: str,
    keep_volumes: bool = True,
    timeout: float = 300.0,
    clock: Clock,
) -> list[str]:
    """Delete the owned objects of ``entries`` and wait until they are gone.

    Each step is a journal event (``kept`` with why, ``deleting``, ``gone``); the journal
    is checked between objects, so a cancel or a lost lock stops it there. Returns the
    objects deleted (``Kind ns/name``). ClusterError if they are not all gone in time.
    """
    deleting: list[Removal] = []
    for r in survey(cluster, entries, app=app, service=service, keep_volumes=keep_volumes):
        journal.check()
        if r.why == GONE:  # deleted before (an earlier run, a prune): no news
            continue
        if not r.delete:
            journal.event("kept", f"not deleted: {r.why}", service=service, resource=r.what)
            continue
        e = r.entry
        gone = not cluster.delete(
            e["apiVersion"],
            e["kind"],
            e["name"],
            e["namespace"] or None,
            propagation=_propagation(e),
        )
        journal.event(
            "deleting",
            "already gone" if gone else "deleted; waiting for it to go",
            service=service,
            resource=r.what,
        )
        deleting.append(r)
    _wait_gone(cluster, deleting, journal, service, timeout, clock)
    return [r.what for r in deleting]


def _judge(
    live: KubeObject | None, e: InventoryEntry, *, app: str, service: str, keep_volumes: bool
) -> Removal:
    if e["kind"] in NEVER_DELETED:
        return Removal(e, False, f"a {e['kind']} is never deleted with an application")
    if live is None:
        return Removal(e, False, GONE)
    allowed, why = inventory.owned(live, e, app=app, service=service)
    if not allowed:
        return Removal(e, False, why)
    if e["kind"] == VOLUME_KIND and keep_volumes:
        return Removal(e, False, "a volume claim is kept (pass --delete-volumes to delete it)")
    return Removal(e, True)


def _claimed_volumes(cluster: Cluster, sts: KubeObject) -> list[Removal]:
    """The claims ``sts`` made from its volumeClaimTemplates, by name and selector labels."""
    meta, spec = sts.get("metadata") or {}, sts.get("spec") or {}
    namespace, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
    claims = [
        str((t.get("metadata") or {}).get("name") or "")
        for t in spec.get("volumeClaimTemplates") or []
    ]
    selector = dict((spec.get("selector") or {}).get("matchLabels") or {})
    if not claims or not selector:
        return []
    pattern = re.compile(
        rf"^(?:{'|'.join(re.escape(c) for c in claims if c)})-{re.escape(name)}-\d+$"
    )
    found = []
    for pvc in cluster.list("v1", VOLUME_KIND, namespace, labels=selector):
        if pattern.match(str((pvc.get("metadata") or {}).get("name") or "")):
            found.append(Removal(inventory.entry(pvc), True, f"a volume of StatefulSet {name}"))
    return found


def _in_prune_order(entries: Sequence[InventoryEntry]) -> list[InventoryEntry]:
    items = [{"kind": e["kind"], "entry": e} for e in entries]
    return [item["entry"] for item in order.prune_order(items)]


def _propagation(e: InventoryEntry) -> Propagation:
    return "Foreground" if e["kind"] in order.WORKLOAD_KINDS else "Background"


def _wait_gone(
    cluster: Cluster,
    deleting: list[Removal],
    journal: Journal,
    service: str,
    timeout: float,
    clock: Clock,
) -> None:
    """Poll until no deleted object is left (a recreated one, new uid, counts as gone)."""
    deadline, pause = clock.monotonic() + timeout, POLL_FIRST
    left = list(deleting)
    while True:
        still = []
        for r in left:
            e = r.entry
            live = cluster.get(e["apiVersion"], e["kind"], e["name"], e["namespace"] or None)
            uid = str(((live or {}).get("metadata") or {}).get("uid") or "")
            if live is None or (e.get("uid") and uid != e["uid"]):
                journal.event("gone", "deleted", service=service, resource=r.what)
            else:
                still.append(r)
        left = still
        if not left:
            return
        if clock.monotonic() >= deadline:
            raise ClusterError(_timeout_message(service, left, timeout))
        journal.check()
        clock.sleep(pause)
        pause = min(POLL_MAX, pause * 2)


def _timeout_message(service: str, left: list[Removal], timeout: float) -> str:
    names = ", ".join(r.what for r in left)
    return (
        f"service {service}: {len(left)} object(s) still there {timeout:.0f}s after their "
        f"delete: {names} (a finalizer or a controller may hold them; see `kubectl describe`)"
    )
