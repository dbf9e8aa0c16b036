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
