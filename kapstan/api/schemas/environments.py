"""Environments: clusters, namespaces, reachability, approval gates."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from kapstan.api.schemas.base import Model


class EnvironmentOut(Model):
    name: str
    kubeconfig: str = Field(description="Path of the kubeconfig file on the server.")
    namespace: str
    context: str | None
    config: str | None
    requires_approval: bool
    created_at: datetime
    reachable: bool | None = None
    reachability: str | None = None


class EnvironmentCreate(Model):
    name: str
    kubeconfig: str = Field(description="Path of a kubeconfig file on the server.")
    namespace: str
    context: str | None = None
    config: str | None = None
    requires_approval: bool = False


class EnvironmentClone(Model):
    name: str


class ApprovalSetting(Model):
    required: bool
