"""Where clusters and nodes Kapstan creates come from: the ``ClusterProvider`` port.

The lifecycle verbs (``kapstan.actions.clusterlife``) decide; a provider only makes and
unmakes machines. Everything that is plain Kubernetes (waiting for nodes to be Ready,
cordoning, draining with evictions, deleting the Node object) is done by the actions over
``kapstan.kube`` whatever the provider, so a provider stays small. The sandbox's provider
(``kapstan.sandbox.provider.SandboxProvider``) is wired in by the front doors; what a
managed cloud's (a GKE or EKS node pool) would implement is in docs/providers.md.

A provider names what it created with a *handle* (the sandbox's name), kept in the
cluster's ``sandbox`` column: a cluster with a handle is one Kapstan created and may delete.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from kapstan.model.provisioning import CreatedCluster, NodeShape

__all__ = ["ClusterProvider", "CreatedCluster", "NodeShape"]


@runtime_checkable
class ClusterProvider(Protocol):
    """Makes and unmakes clusters and their nodes' machines; never decides, never drains.

    Every method is bounded in time and raises a ``KapstanError`` naming what failed.
    ``create`` cleans up after itself when it fails (nothing is left running); the others
    are idempotent (deleting what is gone is not an error).
    """

    kind: str  # "sandbox": shown in messages and the audit log

    def create(self, name: str, *, nodes: int, metrics: bool) -> CreatedCluster:
        """Start a control plane with ``nodes`` nodes (``metrics``: metrics.k8s.io served
        too); returns once its API answers (the nodes' readiness is the caller's to wait for)."""
        ...

    def delete(self, handle: str) -> None:
        """Stop the control plane and free everything it held (machines, disks, state)."""
        ...

    def add_nodes(self, handle: str, count: int, shape: NodeShape) -> list[str]:
        """Start ``count`` machines that register as nodes; their Node names."""
        ...

    def remove_node(self, handle: str, node: str) -> None:
        """Free node ``node``'s machine. Called once the node is drained; the caller deletes
        the Node object after (a cloud controller may have done it already)."""
        ...
