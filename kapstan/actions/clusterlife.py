"""Cluster lifecycle for clusters Kapstan creates: create, nodes list|add|remove, delete.

    create:  name free? key set? -> provider.create -> nodes Ready -> register (sandbox set)
             (any failure after the provider started: the provider deletes it, nothing is
             registered)
    add:     provider.add_nodes -> audited -> wait until they are Ready
    remove:  take the cluster's drain lock (``drainlocks``: one removal at a time) ->
             choose the nodes -> refuse, before anything is written, nodes running pods no
             controller replaces (unless force) or with emptyDir data (unless
             delete_emptydir_data), naming them -> for each node: cordon -> evict its pods
             (PodDisruptionBudgets honoured, refusals retried until the timeout) -> wait
             until they are gone -> provider.remove_node -> delete the Node -> wait for the
             controllers' replacements: what moved where -> release the lock
    delete:  created by Kapstan? no environment on it? -> provider.delete -> forget it

Draining one node is ``kapstan.actions.nodedrains``'s, the one-removal-at-a-time lock
``kapstan.actions.drainlocks``'s. The provider (``kapstan.actions.providers``) only makes
and unmakes machines; everything else is plain Kubernetes through ``kapstan.kube``, so
draining works alike whatever the provider. A drain a PodDisruptionBudget still forbids at the timeout stops with the node
cordoned (not deleted), naming the budget and the pods it holds; so does one that finds,
once the node is cordoned, a pod the check before did not see (as ``kubectl drain``, which
cordons first and leaves the node cordoned when it refuses).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kapstan.actions import drainlocks, nodedrains
from kapstan.actions.clusters import connect_cluster, read_kubeconfig, register
from kapstan.actions.nodedrains import DrainBlocked as DrainBlocked  # "as": re-exported,
from kapstan.actions.nodedrains import DrainRefused as DrainRefused  # so callers of
from kapstan.actions.nodedrains import Move as Move  # remove_nodes need one module
from kapstan.actions.nodedrains import Removal as Removal
from kapstan.actions.nodedrains import drain_and_delete, refusals
from kapstan.actions.nodedrains import removal_data as removal_data
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
        refused = [r for n in chosen for r in refusals(n, on[n], force, delete_emptydir_data)]
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
                removal = drain_and_delete(
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
        if time.monotonic() + nodedrains.POLL > deadline:
            waiting = sorted({str(n["metadata"]["name"]) for n in found} - set(ready))
            raise ClusterError(
                f"cluster {cluster}: {len(ready)} of {count} nodes Ready after {timeout:g}s"
                + (f" (not Ready: {', '.join(waiting)})" if waiting else "")
                + f"; see `kapstan cluster show {cluster}` for their conditions, or pass a "
                "longer --timeout"
            )
        time.sleep(nodedrains.POLL)


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


def node_data(node: NodeState) -> dict[str, Any]:
    """A node as plain data (``cluster nodes -o json``, the API)."""
    return {
        "name": node.name,
        "ready": node.ready,
        "cordoned": node.cordoned,
        "capacity": dict(node.capacity),
        "pods": node.pods,
    }
