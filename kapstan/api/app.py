"""``create_app``: the Kapstan API as one FastAPI app.

    /healthz /readyz /metrics          unauthenticated probes and Prometheus metrics
    /openapi.json /docs                the API description, generated from ``schemas``
    /api/v1/...                        the versioned API (``routers``)

The store is opened in the lifespan (one per process; its calls are thread-safe) and
closed after running operations have had ``shutdown_wait`` seconds to finish. The console
(or anything else) is added with ``extras``: callables given the app, e.g.
``lambda app: app.include_router(web.router)`` or ``app.mount("/static", ...)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

import kapstan
from kapstan.api.appmetrics import ApplicationMetrics
from kapstan.api.driftchecks import DriftLifespan
from kapstan.api.errors import install_error_handlers
from kapstan.api.headers import SecurityHeadersMiddleware
from kapstan.api.limits import DEFAULT_MAX_BODY, BodyLimitMiddleware
from kapstan.api.metrics import RequestMetricsMiddleware
from kapstan.api.proxies import ForwardedSchemeMiddleware, TrustedProxies
from kapstan.api.reaper import ReaperLifespan
from kapstan.api.rolloutruns import RolloutLifespan
from kapstan.api.routers import (
    applications,
    approvals,
    appviews,
    audit,
    clusters,
    configs,
    deletions,
    deploys,
    diagnosis,
    drift,
    environments,
    health,
    hooks,
    instances,
    logrules,
    market,
    operations,
    quotas,
    rollouts,
    templates,
    users,
)
from kapstan.api.state import ApiState
from kapstan.web import console

# A request is matched against the routes in this order, one pattern after another (and
# its router's again to dispatch): the probes, then the application routers, read most,
# before the rest. Reordering is safe while routers of different prefixes never match the
# same path; routers sharing /api/v1/applications keep their relative order.
ROUTERS = (
    health,
    applications,
    appviews,
    instances,
    deploys,
    users,
    templates,
    configs,
    environments,
    clusters,
    quotas,
    logrules,
    rollouts,
    diagnosis,
    drift,
    operations,
    approvals,
    audit,
    hooks,
    market,
    deletions,
)
Extra = Callable[[FastAPI], None]


def create_app(
    store_url: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    shutdown_wait: float = 30.0,
    extras: Sequence[Extra] = (),
    proxies: TrustedProxies | None = None,
    started: Callable[[], None] | None = None,
) -> FastAPI:
    """The API on the store at ``store_url`` (default: ``$KAPSTAN_DB``, else the user's).

    ``proxies``: the peers whose X-Forwarded-For/-Proto are believed (``api.proxies``);
    none by default. ``started``: called once the store is open, before the first request
    (``kapstan.api.serve.settle_memory`` in a server process).
    """
    state = ApiState(store_url, environ, proxies=proxies or TrustedProxies())
    state.metrics.registry.register(ApplicationMetrics(state))  # per application, at scrape

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(state.open)
        if started is not None:
            started()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(lambda: state.close(shutdown_wait))

    app = FastAPI(
        title="Kapstan",
        version=getattr(kapstan, "__version__", "0.1.0"),
        description="Templates, configs, environments and applications, deployed service "
        "by service. Authenticate with 'Authorization: Bearer <token>'.",
        lifespan=lifespan,
    )
    app.state.kapstan = state
    for module in ROUTERS:
        app.include_router(module.router)
    for extra in (*extras, console.install):  # the web console under /ui
        extra(app)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_body=max_body)
    app.add_middleware(RequestMetricsMiddleware, metrics=state.metrics)
    app.add_middleware(ReaperLifespan)
    app.add_middleware(RolloutLifespan)  # rollouts let go before the store closes
    app.add_middleware(DriftLifespan)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(ForwardedSchemeMiddleware, proxies=state.proxies)
    return app
