"""Environments: clusters, namespaces, reachability, approval gates."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from kapstan.schemas.base import Model


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
    allowed_namespaces: list[str] = Field(
        default_factory=list, description="Namespaces beyond its own its deploys may write."
    )
    allowed_kinds: list[str] = Field(
        default_factory=list,
        description='Cluster-scoped kinds its deploys may write: "Kind" or "group/Kind".',
    )
    impersonate: str | None = Field(
        None, description="The Kubernetes identity every request is made as, if any."
    )
    shared: bool = Field(False, description="Other environments may use its cluster and namespace.")
    namespace_created: bool = Field(False, description="Kapstan created its namespace.")
    cluster: str | None = Field(None, description="The registered cluster it runs on.")
    self_heal: bool = Field(
        False, description="The server re-applies a service whose live objects drifted."
    )


class EnvironmentCreate(Model):
    name: str
    kubeconfig: str | None = Field(
        None, description="Path of a kubeconfig file on the server (or give cluster)."
    )
    cluster: str | None = Field(None, description="A registered cluster (or give kubeconfig).")
    namespace: str
    context: str | None = None
    config: str | None = None
    requires_approval: bool = False
    allowed_namespaces: list[str] = Field(default_factory=list)
    allowed_kinds: list[str] = Field(default_factory=list)
    impersonate: str | None = None
    shared: bool = False


class EnvironmentClone(Model):
    name: str
    namespace: str | None = Field(
        None, description="The clone's namespace (default: the source's)."
    )
    kubeconfig: str | None = Field(None, description="Path of a kubeconfig file on the server.")
    context: str | None = None
    shared: bool | None = Field(None, description="Default: as the source.")


class BoundarySetting(Model):
    """Fields left out keep their value; ``impersonate: null`` stops impersonating."""

    allowed_namespaces: list[str] | None = None
    allowed_kinds: list[str] | None = None
    impersonate: str | None = None
    shared: bool | None = None


class ApprovalSetting(Model):
    required: bool


class ConfigSetting(Model):
    """The environment's config from now on; null: none."""

    config: str | None


class KubernetesOut(Model):
    """What an environment's cluster runs, as a chart import renders for it."""

    kube_version: str = Field(description="The API server's gitVersion, e.g. v1.36.3.")
    api_versions: list[str] = Field(
        description="Served group/versions and group/version/Kinds (helm's --api-versions)."
    )
