"""What a cluster provider is asked for and answers (``kapstan.actions.providers``): plain
values, here so that a provider adapter (the sandbox's) can speak them without importing
the actions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class NodeShape:
    """What one new node offers to pods (Kubernetes quantities)."""

    cpu: str = "4"
    memory: str = "8Gi"
    pods: str = "110"

    def capacity(self) -> dict[str, str]:
        return {"cpu": self.cpu, "memory": self.memory, "pods": self.pods}


@dataclass(frozen=True)
class CreatedCluster:
    """A control plane a provider started: its handle, and an admin kubeconfig file (read
    and stored encrypted at once; the file may name certificate files next to it)."""

    handle: str
    kubeconfig: Path
