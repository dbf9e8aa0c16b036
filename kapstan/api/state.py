"""What one API process holds: the store, the runner, the limiter, the nonces, the metrics,
the access cache.

One ``ApiState`` per app, on ``app.state.kapstan``; the store is opened in the lifespan.
Nothing here is a module global, so tests can run several apps side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request

from kapstan.actions.memo import Lru
from kapstan.actions.providers import ClusterProvider
from kapstan.api.authcache import AccessCache
from kapstan.api.clusters import Clusters
from kapstan.api.flows.nonces import NonceCache
from kapstan.api.metrics import Metrics
from kapstan.api.proxies import TrustedProxies
from kapstan.api.ratelimit import LoginLimiter
from kapstan.api.runner import OperationRunner
from kapstan.errors import StoreError
from kapstan.store import Store

if TYPE_CHECKING:  # the checker module imports this one
    from kapstan.api.driftchecks import DriftChecker


@dataclass
class ApiState:
    store_url: str | None
    environ: Mapping[str, str] | None
    metrics: Metrics = field(default_factory=Metrics)
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    nonces: NonceCache = field(default_factory=NonceCache)
    proxies: TrustedProxies = field(default_factory=TrustedProxies)  # whose X-Forwarded-For counts
    clusters: Clusters = field(default_factory=Clusters)  # kube clients for read-only views
    access: AccessCache = field(default_factory=AccessCache)  # tokens and roles, for seconds
    # (template, version, stored digest) -> its services: versions never change, and this
    # state has one store, so its digest names one content.
    services: Lru[tuple[str, int, str], tuple[str, ...]] = field(
        default_factory=lambda: Lru(max_entries=1024, max_weight=1 << 20, weigh=len)
    )
    store: Store | None = None
    runner: OperationRunner | None = None
    drift: DriftChecker | None = None  # the periodic drift check (``api.driftchecks``)
    # Where `cluster create` and node changes go; None: local sandboxes (api.routers.clusters).
    cluster_provider: ClusterProvider | None = None

    def open(self) -> None:
        self.store = Store.open(self.store_url, environ=self.environ)
        self.runner = OperationRunner(self.metrics)

    def close(self, wait: float = 30.0) -> None:
        if self.runner is not None:
            self.runner.join(wait)
        self.clusters.close()
        if self.store is not None:
            self.store.close()
            self.store = None


def state_of(request: Request) -> ApiState:
    state = request.app.state.kapstan
    assert isinstance(state, ApiState)
    return state


def store_of(request: Request) -> Store:
    store = state_of(request).store
    if store is None:
        raise StoreError("the store is not open (the server is starting or stopping); retry")
    return store


def clusters_of(request: Request) -> Clusters:
    return state_of(request).clusters


def runner_of(request: Request) -> OperationRunner:
    runner = state_of(request).runner
    if runner is None:
        raise StoreError("the server is starting or stopping; retry")
    return runner
