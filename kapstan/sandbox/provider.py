"""The sandbox as a cluster provider (``kapstan.actions.providers.ClusterProvider``).

A cluster Kapstan creates is a sandbox named like it (its handle): its own state
directory, free ports, its own processes, so several run side by side. Its nodes are kwok
fake nodes, so adding one is creating a Node object kwok then keeps Ready, and removing
one frees no machine (the actions delete the Node object once it is drained).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kapstan.errors import SandboxError
from kapstan.model.provisioning import CreatedCluster, NodeShape
from kapstan.sandbox import api, certs, processes, stages, usage
from kapstan.sandbox.cluster import SandboxState, down, load, up, validate_name

NODE_PREFIX = "kwok-node-"  # the sandbox's own nodes are kwok-node-0 .. kwok-node-(n-1)


def _quiet(_message: str) -> None:
    return None


class SandboxProvider:
    """Clusters as local sandboxes; ``progress`` hears each start-up step."""

    kind = "sandbox"

    def __init__(self, progress: Callable[[str], None] = _quiet) -> None:
        self.progress = progress

    def create(self, name: str, *, nodes: int, metrics: bool) -> CreatedCluster:
        validate_name(name)
        existing = load(name)
        if existing is not None and any(processes.is_running(p) for p in existing.processes):
            # Not ours to stop: a sandbox someone started by hand (or another cluster's).
            raise SandboxError(
                f"a sandbox named {name!r} is already running ({existing.directory}); pick "
                f"another cluster name, or stop it with `kapstan sandbox down --name {name}`"
            )
        state = up(name, nodes=nodes, progress=self.progress, metrics=metrics)  # cleans up on error
        return CreatedCluster(handle=state.name, kubeconfig=state.kubeconfig)

    def delete(self, handle: str) -> None:
        down(handle)

    def add_nodes(self, handle: str, count: int, shape: NodeShape) -> list[str]:
        state = _running(handle)
        client = _client(state)
        try:
            taken = _node_names(client)
            names = _free_names(taken, count)
            for name in names:
                path = usage.METRICS_PATH.replace("{nodeName}", name)
                capacity = {
                    **shape.capacity(),
                    "ephemeral-storage": stages.NODE_CAPACITY["ephemeral-storage"],
                }
                client.create_node(name, capacity, {usage.METRICS_PATH_ANNOTATION: path})
            state.nodes = len(taken) + count
            state.save()
        finally:
            client.close()
        return names

    def remove_node(self, handle: str, node: str) -> None:
        # A kwok node has no machine: only the sandbox's record of how many it has changes.
        state = _running(handle)
        client = _client(state)
        try:
            state.nodes = len([n for n in _node_names(client) if n != node])
            state.save()
        finally:
            client.close()


def _running(handle: str) -> SandboxState:
    state = load(handle)
    if state is None or not all(processes.is_running(p) for p in state.processes):
        raise SandboxError(
            f"sandbox {handle!r} is not running (its machine stopped or it was brought down "
            f"by hand); `kapstan cluster delete` forgets the cluster, then create it again"
        )
    return state


def _client(state: SandboxState) -> api.SandboxClient:
    return api.SandboxClient(state.server, certs.paths(Path(state.directory) / "pki"))


def _node_names(client: api.SandboxClient) -> list[str]:
    found = client.get("/api/v1/nodes") or {}
    return [str(n["metadata"]["name"]) for n in found.get("items") or []]


def _free_names(taken: list[str], count: int) -> list[str]:
    """``count`` names after the highest ``kwok-node-N`` there is (the sandbox's own
    naming, so ``start_custom_metrics`` and people read them alike)."""
    numbers = [int(n[len(NODE_PREFIX) :]) for n in taken if n[len(NODE_PREFIX) :].isdigit()]
    start = max(numbers, default=-1) + 1
    return [f"{NODE_PREFIX}{i}" for i in range(start, start + count)]
