"""Per-application Prometheus metrics, read at scrape time from the store and the clusters.

kapstan_application_services_desired{application,environment}       services in its template
kapstan_application_services_ready{application,environment}         of those, healthy now
kapstan_service_replicas_ready{application,environment,service}     ready replicas (live)
kapstan_service_replicas_desired{application,environment,service}   desired replicas (live)
kapstan_service_drifted{application,environment,service}            1: the last check found drift
kapstan_application_drifted{application,environment}                1: a service drifted
kapstan_application_last_operation_success{application,environment,kind,status}
                                                                    1: the newest operation succeeded
kapstan_application_last_operation_duration_seconds{application,environment,kind}
                                                                    its duration (so far, if running)

Every server process reads the same store, so any worker answers a scrape alike (unlike the
process-local counters of ``api.metrics``). Live readiness costs a read of each workload:
readings are kept ``ttl`` seconds, and an application whose cluster cannot be read has no
readiness samples (its drift and operation samples remain).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from kapstan.actions.status import ServiceStatus, app_status
from kapstan.api.state import ApiState
from kapstan.errors import KapstanError
from kapstan.model.health import HealthStatus
from kapstan.model.operation import Step

TTL_SECONDS = 15.0
APP = ["application", "environment"]
SERVICE = [*APP, "service"]
# In the order ``collect`` fills them.
FAMILIES = (
    ("kapstan_application_services_desired", "Services in the template", APP),
    ("kapstan_application_services_ready", "Services healthy now", APP),
    ("kapstan_service_replicas_ready", "Ready replicas, read live", SERVICE),
    ("kapstan_service_replicas_desired", "Desired replicas, read live", SERVICE),
    ("kapstan_service_drifted", "The last drift check found drift", SERVICE),
    ("kapstan_application_drifted", "A service of the app drifted", APP),
    (
        "kapstan_application_last_operation_success",
        "The newest operation succeeded",
        [*APP, "kind", "status"],
    ),
    (
        "kapstan_application_last_operation_duration_seconds",
        "The newest operation's duration (so far, if running)",
        [*APP, "kind"],
    ),
)


@dataclass(frozen=True)
class _Reading:
    at: float
    statuses: list[ServiceStatus] | None  # None: the cluster could not be read


class ApplicationMetrics(Collector):
    """A collector on the app's registry (``Metrics.registry``)."""

    def __init__(self, state: ApiState, ttl: float = TTL_SECONDS) -> None:
        self.state = state
        self.ttl = ttl
        self._readings: dict[str, _Reading] = {}
        self._lock = threading.Lock()

    def describe(self) -> Iterator[Metric]:
        return iter(self._families())  # names only: no store read at registration

    def collect(self) -> Iterator[Metric]:
        families = self._families()
        store = self.state.store
        if store is None:
            return iter(families)
        (svc_desired, svc_ready, ready, desired, drifted, app_drifted, success, duration) = families
        drift = {(d.app, d.service): d.drifted for d in store.list_drift()}
        for application in store.list_applications():
            app, env = application.name, application.environment
            labels = [app, env]
            statuses = self._statuses(app)
            if statuses is not None:
                svc_desired.add_metric(labels, len(statuses))
                healthy = [s for s in statuses if s.health.status is HealthStatus.HEALTHY]
                svc_ready.add_metric(labels, len(healthy))
                for s in statuses:
                    ready.add_metric([*labels, s.service], s.ready)
                    desired.add_metric([*labels, s.service], s.desired)
            checked = {s: d for (a, s), d in drift.items() if a == app}
            for service, found in checked.items():
                drifted.add_metric([*labels, service], 1 if found else 0)
            if checked:
                app_drifted.add_metric(labels, 1 if any(checked.values()) else 0)
            last = store.list_operations(app, 1)
            if last:
                op = last[0]
                ok = 1 if op.status is Step.SUCCEEDED else 0
                success.add_metric([*labels, op.kind, op.status.value], ok)
                end = op.finished_at or store.now()
                duration.add_metric([*labels, op.kind], (end - op.started_at).total_seconds())
        return iter(families)

    def _statuses(self, app: str) -> list[ServiceStatus] | None:
        now = time.monotonic()
        with self._lock:
            kept = self._readings.get(app)
        if kept is not None and now - kept.at < self.ttl:
            return kept.statuses
        store = self.state.store
        assert store is not None
        try:
            statuses: list[ServiceStatus] | None = app_status(
                store, app, clients=self.state.clusters.connect
            )
        except KapstanError:
            statuses = None
        with self._lock:
            self._readings[app] = _Reading(now, statuses)
        return statuses

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        return [GaugeMetricFamily(name, text, labels=labels) for name, text, labels in FAMILIES]
