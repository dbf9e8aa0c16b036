"""Draining one node and deleting it, once the cluster's lifecycle chose it and cordoned it
(``kapstan.actions.clusterlife.remove_nodes`` holds the drain lock and cordons).

    refusals(node, pods, ...)   the pods a drain would lose that the caller did not agree
                                to lose (no controller: ``force``; emptyDir data:
                                ``delete_emptydir_data``), as one line per kind of loss
    drain_and_delete(...)       check again -> evict (budgets honoured, refusals retried until
                                the deadline) -> wait until gone -> provider.remove_node ->
                                delete the Node -> wait for replacements: a Removal

Which pods are kept, and how a refusal reads, is ``kapstan.kube.drain``'s.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kapstan.actions.providers import ClusterProvider
from kapstan.errors import ClusterError, ConflictError
from kapstan.kube import KubeClient, KubeObject
from kapstan.kube import drain as drains

POLL = 0.5  # seconds between reads while waiting on the cluster
RETRY_EVICTION = 1.0  # seconds between eviction attempts a budget refused


@dataclass(frozen=True)
class Move:
    """A pod a drain evicted, and where its controller put the replacement (if it did)."""

    pod: str  # namespace/name
    owner: str | None  # "Deployment web", "StatefulSet db"; None: no controller, not replaced
    replacement: str | None = None  # namespace/name of the new pod
    node: str | None = None  # where the replacement runs


@dataclass(frozen=True)
class Removal:
    """One node removed: the pods that moved, and those left (DaemonSet, mirror pods)."""

    node: str
    moved: tuple[Move, ...]
    kept: tuple[tuple[str, str], ...]  # (namespace/name, why it was left)


class DrainBlocked(ConflictError):
    """A drain stopped with its node cordoned, not deleted: a PodDisruptionBudget still
    forbade an eviction at the timeout, or a pod to refuse landed after the check."""


class DrainRefused(ConflictError):
    """Nodes run pods a drain would lose (no controller, emptyDir data); nothing changed."""


def _key(pod: KubeObject) -> str:
    meta = pod["metadata"]
    return f"{meta['namespace']}/{meta['name']}"


def refusals(
    node: str, pods: list[KubeObject], force: bool, delete_emptydir_data: bool
) -> list[str]:
    """Why draining ``node`` would lose pods the caller did not agree to lose (one line per
    kind of loss, naming the pods and the flag that allows it); [] when none."""
    evicted = [p for p in pods if drains.kept_reason(p) is None]
    lines = []
    bare = [_key(p) for p in evicted if drains.unreplaced(p)]
    if bare and not force:
        lines.append(
            f"  node {node} runs pods no controller would replace once evicted: "
            f"{', '.join(bare)}; delete them, or run them under a controller (a Deployment), "
            "or pass --force to evict them anyway (they are not replaced)"
        )
    local = [
        f"{_key(p)} (volumes {', '.join(volumes)})"
        for p in evicted
        if (volumes := drains.local_volumes(p))
    ]
    if local and not delete_emptydir_data:
        lines.append(
            f"  node {node} runs pods with emptyDir volumes, whose data an eviction deletes: "
            f"{', '.join(local)}; pass --delete-emptydir-data to evict them anyway"
        )
    return lines


def drain_and_delete(
    kube: KubeClient,
    provider: ClusterProvider,
    handle: str,
    node: str,
    deadline: float,
    force: bool,
    delete_emptydir_data: bool,
) -> Removal:
    """Drain the cordoned ``node``, free its machine, delete it; what moved."""
    pods = drains.pods_on(kube, node)
    # A pod bound to the node since the check (by its nodeName: the scheduler no longer
    # places any): refused as before, the node left cordoned as kubectl leaves it.
    late = refusals(node, pods, force, delete_emptydir_data)
    if late:
        raise DrainBlocked(
            f"node {node} stays cordoned (not deleted), nothing evicted: pods landed on it "
            "after the check\n" + "\n".join(late)
        )
    kept = tuple((_key(p), why) for p in pods if (why := drains.kept_reason(p)) is not None)
    leaving = [p for p in pods if drains.kept_reason(p) is None]
    namespaces = {p["metadata"]["namespace"] for p in leaving}
    before = {str(p["metadata"]["uid"]) for ns in namespaces for p in kube.list("v1", "Pod", ns)}
    _evict(kube, node, leaving, deadline)
    _wait_gone(kube, node, leaving, deadline)
    provider.remove_node(handle, node)
    kube.delete("v1", "Node", node)
    _wait_until(lambda: kube.get("v1", "Node", node) is None, f"node {node} deleted", deadline)
    return Removal(node, _moves(kube, leaving, before, deadline), kept)


def _evict(kube: KubeClient, node: str, pods: list[KubeObject], deadline: float) -> None:
    """Evict each pod, retrying the ones a budget refuses until ``deadline``."""
    pending = {_key(p): p for p in pods}
    refused: dict[str, str] = {}
    evicted: list[str] = []
    while True:
        for key, pod in list(pending.items()):
            why = kube.evict(pod["metadata"]["namespace"], pod["metadata"]["name"])
            if why is None:
                del pending[key]
                refused.pop(key, None)
                evicted.append(key)
            else:
                refused[key] = why
        if not pending:
            return
        if time.monotonic() + RETRY_EVICTION > deadline:
            raise DrainBlocked(_blocked_message(node, refused, evicted))
        time.sleep(RETRY_EVICTION)


def _blocked_message(node: str, refused: Mapping[str, str], evicted: list[str]) -> str:
    lines = [
        f"node {node} stays cordoned (not deleted): a PodDisruptionBudget still forbids "
        "evicting these pods at the timeout:"
    ]
    for pod, why in sorted(refused.items()):
        budget = drains.budget_named(why)
        named = f"PodDisruptionBudget {pod.split('/')[0]}/{budget}" if budget else "a budget"
        lines.append(f"  pod {pod}: {named}: {why}")
    if evicted:
        lines.append(f"evicted before that: {', '.join(evicted)}")
    lines.append(
        "scale the workload up or relax the budget, then remove the node again "
        "(or pass a longer --timeout)"
    )
    return "\n".join(lines)


def _wait_gone(kube: KubeClient, node: str, pods: list[KubeObject], deadline: float) -> None:
    uids = {str(p["metadata"]["uid"]) for p in pods}

    def gone() -> bool:
        return not any(str(p["metadata"]["uid"]) in uids for p in drains.pods_on(kube, node))

    _wait_until(gone, f"the pods evicted from node {node} gone", deadline)


def _wait_until(check: Callable[[], bool], what: str, deadline: float) -> None:
    while not check():
        if time.monotonic() + POLL > deadline:
            raise ClusterError(f"{what}: not reached within the timeout; pass a longer --timeout")
        time.sleep(POLL)


def _moves(
    kube: KubeClient, evicted: list[KubeObject], before: set[str], deadline: float
) -> tuple[Move, ...]:
    """Each evicted pod with the replacement its controller made (new uid, same controller,
    Running), waited for until ``deadline``; a pod with no controller has none."""
    owners = {_key(p): drains.controller_of(p) for p in evicted}
    wanted = [o for o in owners.values() if o is not None]

    def replacements() -> dict[tuple[str, str, str], list[KubeObject]]:
        found: dict[tuple[str, str, str], list[KubeObject]] = {}
        for ns in {p["metadata"]["namespace"] for p in evicted}:
            for pod in kube.list("v1", "Pod", ns):
                owner = drains.controller_of(pod)
                running = (pod.get("status") or {}).get("phase") == "Running"
                if owner and running and str(pod["metadata"]["uid"]) not in before:
                    found.setdefault((ns, *owner), []).append(pod)
        return found

    def enough() -> bool:
        got = replacements()
        need: dict[tuple[str, str, str], int] = {}
        for p in evicted:
            owner = owners[_key(p)]
            if owner is not None:
                k = (p["metadata"]["namespace"], *owner)
                need[k] = need.get(k, 0) + 1
        return all(len(got.get(k, [])) >= n for k, n in need.items())

    if wanted:
        # Not all replaced by the deadline: reported as not (yet) replaced, node removed.
        with contextlib.suppress(ClusterError):
            _wait_until(enough, "replacement pods Running", deadline)
    found = replacements()
    moves = []
    for pod in evicted:
        ns, owner = pod["metadata"]["namespace"], owners[_key(pod)]
        if owner is None:
            moves.append(Move(_key(pod), None))
            continue
        new = found.get((ns, *owner), [])
        taken = new.pop(0) if new else None
        moves.append(
            Move(
                _key(pod),
                _owner_name(kube, ns, owner),
                _key(taken) if taken else None,
                (taken.get("spec") or {}).get("nodeName") if taken else None,
            )
        )
    return tuple(moves)


def _owner_name(kube: KubeClient, namespace: str, owner: tuple[str, str]) -> str:
    """ "Deployment web" for a ReplicaSet a Deployment owns; else "Kind name"."""
    kind, name = owner
    if kind == "ReplicaSet":
        replica_set = kube.get("apps/v1", "ReplicaSet", name, namespace) or {}
        parent = drains.controller_of(replica_set)
        if parent is not None:
            return f"{parent[0]} {parent[1]}"
    return f"{kind} {name}"


def removal_data(removal: Removal) -> dict[str, Any]:
    """A removed node and what moved, as plain data."""
    return {
        "node": removal.node,
        "moved": [
            {"pod": m.pod, "owner": m.owner, "replacement": m.replacement, "node": m.node}
            for m in removal.moved
        ],
        "kept": [{"pod": pod, "reason": why} for pod, why in removal.kept],
    }
