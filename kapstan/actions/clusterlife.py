"""Cluster lifecycle for clusters Kapstan creates: create, nodes list|add|remove, delete.

    create:  name free? key set? -> provider.create -> nodes Ready -> register (sandbox set)
             (any failure after the provider started: the provider deletes it, nothing is
             registered)
    add:     provider.add_nodes -> wait until they are Ready
    remove:  take the cluster's drain lock (``drainlocks``: one removal at a time) ->
             choose the nodes -> refuse, before anything is written, nodes running pods no
             controller replaces (unless force) or with emptyDir data (unless
             delete_emptydir_data), naming them -> for each node: cordon -> evict its pods
             (PodDisruptionBudgets honoured, refusals retried until the timeout) -> wait
             until they are gone -> provider.remove_node -> delete the Node -> wait for the
             controllers' replacements: what moved where -> release the lock
    delete:  created by Kapstan? no environment on it? -> provider.delete -> forget it

The provider (``kapstan.actions.providers``) only makes and unmakes machines; everything
else is plain Kubernetes through ``kapstan.kube``, so draining works alike whatever the
provider. A drain a PodDisruptionBudget still forbids at the timeout stops with the node
cordoned (not deleted), naming the budget and the pods it holds; so does one that finds,
once the node is cordoned, a pod the check before did not see (as ``kubectl drain``, which
cordons first and leaves the node cordoned when it refuses).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kapstan.actions import drainlocks
from kapstan.actions.clusters import connect_cluster, read_kubeconfig, register
from kapstan.actions.providers import ClusterProvider, NodeShape
from kapstan.actions.storeports import ClusterEdits, ClusterReads
from kapstan.errors import (
    ClusterError,
    ConflictError,
    InputError,
    KapstanError,
    NotFoundError,
    SecretKeyError,
)
from kapstan.health.objects import condition, is_true
from kapstan.kube import KubeClient, KubeObject
from kapstan.kube import drain as drains
from kapstan.model.records import Cluster

READY_TIMEOUT = 120.0  # seconds for new nodes to become Ready
POLL = 0.5  # seconds between reads while waiting on the cluster
RETRY_EVICTION = 1.0  # seconds between eviction attempts a budget refused
MAX_NODES = 100

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


@dataclass(frozen=True)
class NodeState:
    """One node as ``cluster nodes`` lists it."""

    name: str
    ready: bool
    cordoned: bool
    capacity: Mapping[str, str]
    pods: int  # pods bound to it that have not finished


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


def create_cluster(
    store: ClusterEdits,
    provider: ClusterProvider,
    name: str,
    *,
    nodes: int = 3,
    metrics: bool = False,
    author: str,
    via: str,
    timeout: float = READY_TIMEOUT,
) -> Cluster:
    """Start a cluster with ``provider`` and register it as ``name`` (see the docstring)."""
    if not 1 <= nodes <= MAX_NODES:
        raise InputError(f"--nodes must be between 1 and {MAX_NODES}, not {nodes}")
    _check_free(store, name)
    if store.checksum_key() is None:
        raise SecretKeyError(
            f"cluster {name}'s kubeconfig is stored encrypted, and this store has no secret "
            "key: set $KAPSTAN_SECRET_KEY (or create one: `kapstan secret-key generate`)"
        )
    created = provider.create(name, nodes=nodes, metrics=metrics)
    registered = False
    try:
        found = read_kubeconfig(created.kubeconfig, None)
        cluster = register(store, name, found, author=author, sandbox=created.handle)
        registered = True
        with connect_cluster(store, name, timeout=timeout) as kube:
            _wait_ready(kube, name, None, nodes, timeout)
    except BaseException:
        provider.delete(created.handle)
        if registered:
            store.remove_cluster(name)
        raise
    details = {"server": found.server, "provider": provider.kind, "nodes": nodes, "via": via}
    store.audit(author, "cluster.create", kind="cluster", name=name, details=details)
    return cluster


def delete_cluster(
    store: ClusterEdits, provider: ClusterProvider, name: str, *, author: str, via: str
) -> None:
    """Stop cluster ``name`` (one Kapstan created) and forget it; refused while environments
    use it, naming them."""
    handle = _handle(store, name, "deleting it")
    users = store.environments_on_cluster(name)
    if users:
        raise ConflictError(
            f"cluster {name} runs environment(s) {', '.join(users)}; delete them first "
            "(`kapstan env delete ENV`): deleting the cluster would take their applications"
        )
    provider.delete(handle)
    store.remove_cluster(name)
    details = {"provider": provider.kind, "handle": handle, "via": via}
    store.audit(author, "cluster.delete", kind="cluster", name=name, details=details)


def list_nodes(store: ClusterReads, name: str, *, timeout: float = 30) -> list[NodeState]:
    """Cluster ``name``'s nodes read live: Ready, cordoned, capacity, pods."""
    with connect_cluster(store, name, timeout=timeout) as kube:
        return _nodes(kube)


def add_nodes(
    store: ClusterEdits,
    provider: ClusterProvider,
    name: str,
    *,
    count: int = 1,
    shape: NodeShape | None = None,
    author: str,
    via: str,
    timeout: float = READY_TIMEOUT,
) -> list[NodeState]:
    """``count`` new nodes of ``shape`` on cluster ``name``, once they are Ready."""
    if not 1 <= count <= MAX_NODES:
        raise InputError(f"--count must be between 1 and {MAX_NODES}, not {count}")
    handle = _handle(store, name, "adding nodes")
    shape = shape or NodeShape()
    added = provider.add_nodes(handle, count, shape)
    # Audited once the provider made them: they exist even if they never become Ready.
    details = {"nodes": added, **shape.capacity(), "via": via}
    store.audit(author, "cluster.nodes.add", kind="cluster", name=name, details=details)
    with connect_cluster(store, name, timeout=timeout) as kube:
        _wait_ready(kube, name, added, len(added), timeout)
        return [n for n in _nodes(kube) if n.name in added]


def remove_nodes(
    store: ClusterEdits,
    provider: ClusterProvider,
    name: str,
    *,
    nodes: Sequence[str] = (),
    count: int | None = None,
    author: str,
    via: str,
    timeout: float = 120.0,
    force: bool = False,
    delete_emptydir_data: bool = False,
    progress: Progress = _quiet,
) -> list[Removal]:
    """Drain and remove ``nodes`` (or the ``count`` least busy) of cluster ``name``, one at a
    time, each within ``timeout`` seconds; DrainBlocked when a budget holds a pod.

    Like ``kubectl drain``: pods no controller replaces are evicted only with ``force``,
    pods with emptyDir volumes only with ``delete_emptydir_data`` (DrainRefused names them
    before anything is written). ``force`` also takes over the drain lock of a removal that
    stopped mid-way (past its deadline), never that of one in progress.
    """
    handle = _handle(store, name, "removing nodes")
    seconds = timeout + drainlocks.SLACK  # the lock outlives each node's deadline
    with (
        connect_cluster(store, name, timeout=min(timeout, 30)) as kube,
        drainlocks.holding(kube, name, f"{author} via {via}", seconds=seconds, force=force) as lock,
    ):
        if lock.took_over is not None:
            progress(f"took over the drain lock of a stopped removal ({lock.took_over.describe()})")
            gone = {"lock": lock.took_over.describe(), "via": via}
            store.audit(author, "cluster.nodes.unlock", kind="cluster", name=name, details=gone)
        chosen = _choose(name, _nodes(kube), nodes, count)
        on = {node: drains.pods_on(kube, node) for node in chosen}
        refused = [r for n in chosen for r in _refusals(n, on[n], force, delete_emptydir_data)]
        if refused:
            raise DrainRefused(
                f"cluster {name}: nothing was changed (no node cordoned):\n" + "\n".join(refused)
            )
        removed: list[Removal] = []
        for node in chosen:
            lock.renew(node, seconds)
            progress(f"node {node}: cordoning and draining")
            deadline = time.monotonic() + timeout
            drains.cordon(kube, node)
            try:
                removal = _remove(
                    kube, provider, handle, node, deadline, force, delete_emptydir_data
                )
            except KapstanError as exc:
                # Cordoned, maybe partly drained: a change to the cluster, so audited, and
                # the message says where the removal stopped and how to go on.
                held = {"node": node, "blocked": exc.message, "via": via}
                store.audit(author, "cluster.nodes.cordon", kind="cluster", name=name, details=held)
                lines = [exc.message]
                if removed:
                    lines.insert(0, f"removed before that: {', '.join(r.node for r in removed)}")
                if not isinstance(exc, DrainBlocked):
                    lines.append(
                        f"node {node} stays cordoned (not deleted); once that is fixed, run "
                        f"`kapstan cluster nodes remove {name} {node}` again"
                    )
                exc.message = "\n".join(lines)
                exc.args = (exc.message,)
                raise
            removed.append(removal)
            details = {"node": node, "moved": [m.pod for m in removal.moved], "via": via}
            store.audit(author, "cluster.nodes.remove", kind="cluster", name=name, details=details)
    return removed


def _check_free(store: ClusterReads, name: str) -> None:
    try:
        store.get_cluster(name)
    except NotFoundError:
        return
    raise ConflictError(
        f"cluster {name!r} is registered already; `kapstan cluster show {name}` shows it, "
        "or pick another name"
    )


def _handle(store: ClusterReads, name: str, doing: str) -> str:
    """The provider's handle of cluster ``name``; InputError when Kapstan did not create it."""
    cluster = store.get_cluster(name)
    if cluster.sandbox is None:
        raise InputError(
            f"cluster {name} was registered (`cluster add`), not created by Kapstan, so "
            f"{doing} is its own provider's business; `kapstan cluster remove {name}` "
            "forgets it"
        )
    return cluster.sandbox


def _nodes(kube: KubeClient) -> list[NodeState]:
    pods = kube.list("v1", "Pod", None)
    busy: dict[str, int] = {}
    for pod in pods:
        node = (pod.get("spec") or {}).get("nodeName")
        if node and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
            busy[node] = busy.get(node, 0) + 1
    return [
        NodeState(
            name=str(n["metadata"]["name"]),
            ready=_ready(n),
            cordoned=bool((n.get("spec") or {}).get("unschedulable")),
            capacity=dict((n.get("status") or {}).get("capacity") or {}),
            pods=busy.get(str(n["metadata"]["name"]), 0),
        )
        for n in sorted(kube.list("v1", "Node"), key=lambda n: str(n["metadata"]["name"]))
    ]


def _ready(node: KubeObject) -> bool:
    return is_true(condition(node, "Ready"))


def _wait_ready(
    kube: KubeClient, cluster: str, names: Sequence[str] | None, count: int, timeout: float
) -> None:
    """Until ``count`` nodes (of ``names``, if given) are Ready; at the timeout a
    ClusterError naming those that are not."""
    deadline = time.monotonic() + timeout
    while True:
        found = [
            n for n in kube.list("v1", "Node") if names is None or n["metadata"]["name"] in names
        ]
        ready = [str(n["metadata"]["name"]) for n in found if _ready(n)]
        if len(ready) >= count:
            return
        if time.monotonic() + POLL > deadline:
            waiting = sorted({str(n["metadata"]["name"]) for n in found} - set(ready))
            raise ClusterError(
                f"cluster {cluster}: {len(ready)} of {count} nodes Ready after {timeout:g}s"
                + (f" (not Ready: {', '.join(waiting)})" if waiting else "")
                + f"; see `kapstan cluster show {cluster}` for their conditions, or pass a "
                "longer --timeout"
            )
        time.sleep(POLL)


def _choose(
    cluster: str, states: list[NodeState], names: Sequence[str], count: int | None
) -> list[str]:
    """The nodes to remove: those named, or the ``count`` with fewest pods; refused when no
    Ready, schedulable node would be left."""
    known = {s.name: s for s in states}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise NotFoundError(
            f"cluster {cluster} has no node {', '.join(unknown)}; its nodes: "
            f"{', '.join(known) or 'none'} (`kapstan cluster nodes {cluster}`)"
        )
    if names and count is not None:
        raise InputError("name the nodes to remove or pass --count N, not both")
    if not names:
        wanted = 1 if count is None else count
        if wanted < 1:
            raise InputError(f"--count must be at least 1, not {wanted}")
        # The least busy first; among equals the newest (highest) name.
        by_name = sorted(states, key=lambda s: s.name, reverse=True)
        by_load = sorted(by_name, key=lambda s: s.pods)
        names = [s.name for s in by_load[:wanted]]
    left = [s for s in states if s.name not in names and s.ready and not s.cordoned]
    if not left:
        raise ConflictError(
            f"removing {', '.join(names)} would leave cluster {cluster} no Ready, schedulable "
            f"node for its pods; add one first (`kapstan cluster nodes add {cluster}`)"
        )
    return list(dict.fromkeys(names))


def _key(pod: KubeObject) -> str:
    meta = pod["metadata"]
    return f"{meta['namespace']}/{meta['name']}"


def _refusals(
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


def _remove(
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
    late = _refusals(node, pods, force, delete_emptydir_data)
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


def node_data(node: NodeState) -> dict[str, Any]:
    """A node as plain data (``cluster nodes -o json``, the API)."""
    return {
        "name": node.name,
        "ready": node.ready,
        "cordoned": node.cordoned,
        "capacity": dict(node.capacity),
        "pods": node.pods,
    }


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
