"""Prometheus metrics, one registry per app (so several apps in one process never clash).

kapstan_operations_started_total{kind}            deploys/rollbacks that got an operation
kapstan_operations_finished_total{kind,status}    ... and how they ended
kapstan_operation_failures_total{kind,stage}      refused before starting, or failed while running
kapstan_operation_duration_seconds{kind}          from start to end
kapstan_api_request_duration_seconds{method,route,status}   by route template, not raw path

Per-application gauges (services ready/desired, drift, the last operation) are read from
the store at scrape time: ``kapstan.api.appmetrics``, registered on the same registry.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.started = Counter(
            "kapstan_operations_started", "Operations started", ["kind"], registry=r
        )
        self.finished = Counter(
            "kapstan_operations_finished", "Operations finished", ["kind", "status"], registry=r
        )
        self.failures = Counter(
            "kapstan_operation_failures", "Operations that failed", ["kind", "stage"], registry=r
        )
        self.duration = Histogram(
            "kapstan_operation_duration_seconds",
            "Operation duration",
            ["kind"],
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800),
            registry=r,
        )
        self.requests = Histogram(
            "kapstan_api_request_duration_seconds",
            "API request latency",
            ["method", "route", "status"],
            registry=r,
        )


class RequestMetricsMiddleware:
    """Times every HTTP request; the label is the matched route's template (bounded)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.requests.labels(scope["method"], route, str(status)).observe(
                time.perf_counter() - start
            )
