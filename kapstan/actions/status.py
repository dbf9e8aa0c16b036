"""Status of an application's services, read live: revision, ready/desired, health and why."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from kapstan.actions.clusters import environment_client
from kapstan.actions.rendering import RenderedAppVersion, render_application
from kapstan.actions.storeports import StatusReads
from kapstan.errors import KapstanError
from kapstan.health import Health, HealthStatus, health_of
from kapstan.health.autoscalers import autoscaler_status
from kapstan.kube import KubeClient, RetryPolicy, connect
from kapstan.model.autoscaling import AutoscalerStatus
from kapstan.model.rendered import KubeObject
from kapstan.model.servicestatus import ServiceStatus as ServiceStatus
from kapstan.plan.order import WORKLOAD_KINDS
from kapstan.plan.ownership import Claimant, Conflict, conflict_of

_ORDER = {
    HealthStatus.FAILED: 0,
    HealthStatus.MISSING: 1,
    HealthStatus.UNKNOWN: 2,
    HealthStatus.PROGRESSING: 3,
    HealthStatus.HEALTHY: 4,
}


class Connector(Protocol):
    """How a read gets a client: ``kapstan.kube.connect``, or a pool of kept clients."""

    def __call__(
        self,
        kubeconfig: str,
        context: str | None = None,
        *,
        timeout: float = ...,
        retry: RetryPolicy | None = ...,
        impersonate: str | None = ...,
    ) -> AbstractContextManager[KubeClient]: ...


def _replicas(obj: KubeObject) -> tuple[int, int]:
    status = obj.get("status") or {}
    spec = obj.get("spec") or {}
    kind = obj.get("kind")
    if kind == "DaemonSet":
        return int(status.get("numberReady") or 0), int(status.get("desiredNumberScheduled") or 0)
    if kind in ("Job", "CronJob"):
        return int(status.get("succeeded") or 0), int(spec.get("completions") or 1)
    return int(status.get("readyReplicas") or 0), int(spec.get("replicas", 1) or 0)


def _not_ours(c: Conflict) -> str:
    verb = "created by" if c.adoptable else "owned by"
    return f"{c.resource}: not this application's, {verb} {c.owner}"


def _worst(healths: list[Health]) -> Health:
    if not healths:
        return Health(HealthStatus.HEALTHY, "no workloads")
    return min(healths, key=lambda h: _ORDER[h.status])


def app_status(
    store: StatusReads,
    app: str,
    *,
    clients: Connector = connect,
    rendered_app: RenderedAppVersion | None = None,
    timeout: float = 30,
) -> list[ServiceStatus]:
    """Per service: its last revision, live readiness and health, whether it drifted, and
    what its autoscaler (HPA) decided and why.

    ``rendered_app``: ``app`` already rendered at its current versions (a page that shows it
    several ways renders it once). ``timeout``: seconds each request to the cluster may take.
    """
    version = rendered_app or render_application(store, app)
    env = store.get_environment(version.environment)
    out: list[ServiceStatus] = []
    drift = {d.service: d.drifted for d in store.list_drift(app)}
    with environment_client(env, clients, timeout=timeout) as cluster:
        for name, rendered in version.rendered.services.items():
            latest = store.latest_revision(app, name, status=None)
            healths: list[Health] = []
            ready = desired = 0
            scaler: AutoscalerStatus | None = None
            for obj in rendered.objects:
                meta = obj.get("metadata") or {}
                live = cluster.get(
                    str(obj["apiVersion"]),
                    str(obj["kind"]),
                    str(meta["name"]),
                    meta.get("namespace"),
                )
                taken = conflict_of(live, Claimant(app, version.environment))
                if taken is not None:
                    # Not this application's object (see plan.ownership): never its health.
                    healths.append(Health(HealthStatus.FAILED, _not_ours(taken)))
                    continue
                if obj.get("kind") in WORKLOAD_KINDS or live is None:
                    health = health_of(live)
                    label = f"{obj.get('kind')} {meta.get('name')}"
                    healths.append(
                        Health(health.status, f"{label}: {health.message or health.status.value}")
                    )
                if live is not None and obj.get("kind") == "HorizontalPodAutoscaler":
                    scaler = autoscaler_status(live)
                if live is not None and obj.get("kind") in WORKLOAD_KINDS:
                    r, d = _replicas(live)
                    ready, desired = ready + r, desired + d
            out.append(
                ServiceStatus(
                    name,
                    latest.number if latest else None,
                    latest.status if latest else "never deployed",
                    ready,
                    desired,
                    _worst(healths),
                    outdated=bool(latest and latest.hash != rendered.hash),
                    drifted=drift.get(name),
                    autoscaler=scaler,
                )
            )
    return out


def health_by_service(
    store: StatusReads, app: str, *, clients: Connector = connect
) -> dict[str, str]:
    """Service -> health status, for lists (the API's, the console's); a cluster that cannot be
    read is one ``(cluster)`` entry saying why, so a list never fails for one app."""
    try:
        statuses = app_status(store, app, clients=clients)
    except KapstanError as exc:
        return {"(cluster)": f"unknown: {exc.message}"}
    return {s.service: s.health.status.value for s in statuses}
