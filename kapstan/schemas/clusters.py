"""Clusters: registered Kubernetes APIs (never their kubeconfig), and one read live."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from kapstan.schemas.base import Model


class ClusterCreate(Model):
    name: str
    kubeconfig: str = Field(
        description="Path of a kubeconfig file on the server; its content is stored encrypted."
    )
    context: str | None = Field(None, description="Its context to register (default: current).")


class ClusterOut(Model):
    name: str
    server: str
    context: str | None
    sandbox: str | None = Field(None, description="The sandbox, when Kapstan created it.")
    created_by: str
    created_at: datetime
    environments: list[str] = Field(default_factory=list, description="Environments on it.")


class ClusterReportOut(Model):
    """The cluster read live; ``errors`` names each part that could not be read, and why."""

    name: str
    server: str
    context: str | None
    sandbox: str | None
    created_by: str
    created_at: datetime
    reachable: bool
    version: str | None
    latency_ms: float | None
    live: bool | None
    nodes: list[dict[str, Any]]
    pods: dict[str, int]
    components: list[dict[str, Any]]
    api_services: list[dict[str, Any]]
    environments: list[dict[str, str]]
    applications: list[dict[str, Any]]
    errors: dict[str, str]


class ClusterNew(Model):
    """A cluster for Kapstan to create: a sandbox control plane on the server's machine."""

    name: str
    nodes: int = Field(3, ge=1, le=100, description="How many nodes to start with.")
    metrics: bool = Field(False, description="Serve metrics.k8s.io too.")


class NodeOut(Model):
    name: str
    ready: bool
    cordoned: bool = Field(description="Unschedulable: no new pod lands there.")
    capacity: dict[str, str]
    pods: int = Field(description="Pods bound to it that have not finished.")


class NodesAdd(Model):
    count: int = Field(1, ge=1, le=100)
    cpu: str = "4"
    memory: str = "8Gi"
    pods: str = "110"
    timeout: float = Field(120.0, gt=0, le=600, description="Seconds to wait for Ready.")


class NodesRemove(Model):
    nodes: list[str] = Field(default_factory=list, description="Default: the least busy.")
    count: int | None = Field(None, ge=1, le=100)
    timeout: float = Field(120.0, gt=0, le=600, description="Seconds for each node's drain.")
    force: bool = Field(
        False,
        description="Evict pods no controller replaces (lost); take over the lock of a "
        "removal that stopped mid-way.",
    )
    delete_emptydir_data: bool = Field(
        False, description="Evict pods with emptyDir volumes (their data is deleted)."
    )


class MoveOut(Model):
    pod: str
    owner: str | None = Field(description="Its controller; null: none, so not replaced.")
    replacement: str | None = Field(description="The pod its controller made instead.")
    node: str | None = Field(description="Where the replacement runs.")


class KeptOut(Model):
    pod: str
    reason: str


class NodeRemovalOut(Model):
    """One node removed: each pod evicted and where it went; the pods a drain leaves."""

    node: str
    moved: list[MoveOut]
    kept: list[KeptOut]
