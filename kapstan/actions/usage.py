"""An application's resource use now: CPU and memory per service and pod, from metrics.k8s.io.

The figures are the metrics API's (metrics-server: each container's usage over its last
scrape window), summed per pod and per service; a pod the metrics API has no figure for
yet (just started) is listed with none. A cluster that serves no metrics API is an error
saying so and what to do, not an empty table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kapstan.actions.diagnose import app_pods, app_scope, open_cluster
from kapstan.actions.status import Connector
from kapstan.actions.storeports import RenderInputs
from kapstan.errors import (
    ClusterError,
    ClusterUnavailableError,
    ClusterUnknownKindError,
    KapstanError,
)
from kapstan.health.objects import KubeObject, items, mapping, text
from kapstan.kube import connect
from kapstan.model.quantities import cpu_millicores, memory_bytes
from kapstan.render.labels import APP_LABEL


@dataclass(frozen=True)
class PodUsage:
    pod: str
    cpu_millicores: float | None  # None: the metrics API has no figure for it yet
    memory_bytes: int | None
    window: str = ""  # over which the figures were measured ("10s")


@dataclass
class ServiceUsage:
    service: str
    pods: list[PodUsage] = field(default_factory=list)

    @property
    def cpu_millicores(self) -> float:
        return sum(p.cpu_millicores or 0.0 for p in self.pods)

    @property
    def memory_bytes(self) -> int:
        return sum(p.memory_bytes or 0 for p in self.pods)


def app_usage(
    store: RenderInputs, app: str, services: Sequence[str] = (), *, clients: Connector = connect
) -> list[ServiceUsage]:
    """Per selected service (template order), its pods' current CPU and memory."""
    scope = app_scope(store, app, services)
    env = scope.environment
    try:
        with open_cluster(scope, clients) as kube:
            pods = app_pods(kube, scope)
            metrics = kube.pod_metrics(env.namespace, {APP_LABEL: app})
    except ClusterUnknownKindError as exc:
        raise ClusterError(
            f"the cluster of environment {env.name} serves no metrics API (metrics.k8s.io): "
            "install metrics-server there (the sandbox runs one: `kapstan sandbox up --metrics`), "
            "then run this again"
        ) from exc
    except ClusterUnavailableError as exc:
        raise ClusterUnavailableError(
            f"the metrics API of environment {env.name}'s cluster does not answer "
            f"({exc.message}); check that metrics-server runs, then run this again"
        ) from exc
    except KapstanError as exc:
        raise type(exc)(f"cluster of environment {env.name} cannot be read: {exc.message}") from exc
    by_pod = {text(m, "metadata", "name"): m for m in metrics}
    return [
        ServiceUsage(
            service, [_pod_usage(text(p, "metadata", "name"), by_pod) for p in pods[service]]
        )
        for service in scope.services
    ]


def _pod_usage(pod: str, by_pod: Mapping[str, KubeObject]) -> PodUsage:
    found = by_pod.get(pod)
    if found is None:
        return PodUsage(pod, None, None)
    cpu, memory = 0.0, 0
    for container in items(found, "containers"):
        usage = mapping(container, "usage")
        try:
            cpu += cpu_millicores(str(usage.get("cpu") or "0"))
            memory += memory_bytes(str(usage.get("memory") or "0"))
        except ValueError:  # not a quantity: the pod counts as unmeasured, not as zero
            return PodUsage(pod, None, None, text(found, "window"))
    return PodUsage(pod, cpu, memory, text(found, "window"))
