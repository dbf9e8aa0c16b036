"""Kubeconfig files: loading one context, with errors that name the file and the context.

Also builds the raw HTTP client (lightkube's own kubeconfig-to-httpx2 adapter) used for the
few calls lightkube has no verb for: ``/version``, API discovery and bounded watches.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import yaml
from lightkube import Client, KubeConfig
from lightkube.config import client_adapter
from lightkube.config.kubeconfig import SingleConfig
from lightkube.core.exceptions import ConfigError

from kapstan.errors import ClusterError

SERVICE_ACCOUNT = "system:serviceaccount:"


@dataclass(frozen=True)
class Target:
    """One context of one kubeconfig file, loaded."""

    kubeconfig: Path
    context: str
    config: SingleConfig
    # The Kubernetes identity every request is made as (Impersonate-User), or None.
    impersonate: str | None = None

    @property
    def server(self) -> str:
        return str(self.config.cluster.server)

    @property
    def origin(self) -> str:
        """How messages name the cluster: server, file and context."""
        return f"{self.server} (kubeconfig {self.kubeconfig}, context {self.context})"

    @property
    def namespace(self) -> str:
        return str(self.config.namespace or "default")


def load(kubeconfig: str | Path, context: str | None, impersonate: str | None = None) -> Target:
    path = Path(kubeconfig).expanduser()
    if not path.is_file():
        raise ClusterError(f"kubeconfig {path} does not exist; pass the path of a kubeconfig file")
    try:
        whole = KubeConfig.from_file(path)
    except (ConfigError, yaml.YAMLError, OSError, TypeError, KeyError) as exc:
        raise ClusterError(f"kubeconfig {path} cannot be read: {exc}") from exc
    return Target(path, *_context(whole, path, context), impersonate=impersonate)


def _context(whole: Any, path: Path, context: str | None) -> tuple[str, SingleConfig]:
    contexts = sorted(whole.contexts)
    name = context or whole.current_context
    if not name:
        raise ClusterError(
            f"kubeconfig {path} sets no current-context; name one of: {', '.join(contexts)}"
        )
    if name not in whole.contexts:
        raise ClusterError(
            f"context {name!r} is not in kubeconfig {path}; it has: {', '.join(contexts) or 'none'}"
        )
    try:
        return name, whole.get(context_name=name)
    except (ConfigError, KeyError) as exc:
        raise ClusterError(f"context {name!r} of kubeconfig {path} is incomplete: {exc}") from exc


def lightkube_client(target: Target, field_manager: str, timeout: float) -> Any:
    """A lightkube Client for ``target``; unreadable certificates name the kubeconfig."""
    client = _guarded(
        target,
        lambda: Client(
            target.config,
            field_manager=field_manager,
            timeout=httpx2.Timeout(timeout),
            trust_env=False,
        ),
    )
    # lightkube has no parameter for extra headers: its httpx2 client (``_client._client``)
    # merges its own headers into every request it builds, so they go there.
    client._client._client.headers.update(impersonation_headers(target.impersonate))
    return client


def raw_http(target: Target, timeout: float) -> httpx2.Client:
    """An httpx2 client with the kubeconfig's server, CA and credentials."""
    params = client_adapter.ConnectionParams(timeout=httpx2.Timeout(timeout), trust_env=False)
    client: httpx2.Client = _guarded(target, lambda: client_adapter.Client(target.config, params))
    client.headers.update(impersonation_headers(target.impersonate))
    return client


def impersonation_headers(identity: str | None) -> list[tuple[str, str]]:
    """Impersonate-User, and for a service account the groups the apiserver would give it.

    The apiserver adds no groups to an impersonated user: without these a service
    account's own RoleBindings to ``system:serviceaccounts`` would not apply.
    """
    if not identity:
        return []
    headers = [("Impersonate-User", identity)]
    if identity.startswith(SERVICE_ACCOUNT):
        namespace = identity[len(SERVICE_ACCOUNT) :].split(":")[0]
        groups = ("system:serviceaccounts", f"system:serviceaccounts:{namespace}",
                  "system:authenticated")  # fmt: skip
        headers += [("Impersonate-Group", g) for g in groups]
    return headers


def _guarded(target: Target, build: Any) -> Any:
    try:
        return build()
    except (ConfigError, OSError, ssl.SSLError, AssertionError) as exc:
        raise ClusterError(
            f"cannot use context {target.context!r} of kubeconfig {target.kubeconfig}: {exc}"
        ) from exc
