"""Wait: until every applied object of a service is healthy, one fails, or time runs out.

Driven by watches, not sleep-polling: read the object, judge it with ``kapstan.health``,
and if it is still progressing, watch its kind (the service's labels, from the version
just read) until the next change, then judge again. On failure or timeout, say what is
still pending and why: conditions, recent events, the failing pod's container state and
last log lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kapstan.engine.ports import Clock, Cluster
from kapstan.errors import ClusterError
from kapstan.health import Health, HealthStatus, explain_failure, health_of, pods_for, worst_pods
from kapstan.model.rendered import KubeObject
from kapstan.render import labels

WATCH_SLICE = 10  # seconds per watch call: bounded, and the deadline is checked between them
CHECK_SLICE = 2  # with a ``check`` (cancel, lost lock), at most this long between two checks
PODDED_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"})


@dataclass(frozen=True)
class WaitResult:
    ok: bool
    message: str
    details: tuple[str, ...] = ()


Progress = Callable[[str, Health], None]


def _read(cluster: Cluster, obj: KubeObject) -> KubeObject | None:
    meta = obj.get("metadata") or {}
    return cluster.get(
        str(obj["apiVersion"]), str(obj["kind"]), str(meta["name"]), meta.get("namespace")
    )


def _label(obj: KubeObject) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')} {meta.get('name')}"


def _watch_once(
    cluster: Cluster, obj: KubeObject, current: KubeObject | None, seconds: int, clock: Clock
) -> None:
    """Block until the next change to objects of this kind for this service, or ``seconds``."""
    meta = obj.get("metadata") or {}
    selector = {
        k: v
        for k, v in (meta.get("labels") or {}).items()
        if k in (labels.APP_LABEL, labels.SERVICE_LABEL)
    }
    version = ((current or {}).get("metadata") or {}).get("resourceVersion")
    try:
        for _event in cluster.watch(
            str(obj["apiVersion"]),
            str(obj["kind"]),
            meta.get("namespace"),
            labels=selector or None,
            resource_version=version,
            timeout_seconds=max(1, seconds),
        ):
            return
    except ClusterError:
        # An expired resourceVersion (410) or a dropped watch: judge again from a fresh read.
        clock.sleep(0.2)


def wait_ready(
    cluster: Cluster,
    objects: Sequence[KubeObject],
    *,
    timeout: float,
    progress: Progress | None = None,
    check: Callable[[], None] | None = None,
    clock: Clock,
) -> WaitResult:
    """Wait for ``objects``; ``check`` is called between two looks and may raise to stop."""
    deadline = clock.monotonic() + timeout
    pending = list(objects)
    last: dict[str, Health] = {}
    slice_ = WATCH_SLICE if check is None else CHECK_SLICE
    while pending:
        if check is not None:
            check()
        obj = pending[0]
        current = _read(cluster, obj)
        health = health_of(current)
        if last.get(_label(obj)) != health and progress:
            progress(_label(obj), health)
        last[_label(obj)] = health
        if health.status is HealthStatus.HEALTHY:
            pending.pop(0)
            continue
        if health.status is HealthStatus.FAILED:
            return WaitResult(
                False, f"{_label(obj)} failed: {health.message}", explain(cluster, current or obj)
            )
        remaining = deadline - clock.monotonic()
        if remaining <= 0:
            waiting = "; ".join(
                f"{_label(o)}: {last.get(_label(o), health).describe()}" for o in pending
            )
            return WaitResult(
                False,
                f"timed out after {timeout:.0f}s, still waiting for {waiting}",
                explain(cluster, current or obj),
            )
        _watch_once(cluster, obj, current, int(min(slice_, remaining)) or 1, clock)
    return WaitResult(True, "ready")


def explain(cluster: Cluster, workload: KubeObject) -> tuple[str, ...]:
    """Readable reasons for a workload that failed or is late."""
    meta = workload.get("metadata") or {}
    namespace = meta.get("namespace")
    pods: list[Mapping[str, Any]] = []
    if workload.get("kind") in PODDED_KINDS and namespace:
        pods = list(pods_for(workload, cluster.list("v1", "Pod", namespace)))
    events: list[Mapping[str, Any]] = list(cluster.events_for(workload))
    logs: dict[str, str] = {}
    for pod in worst_pods(pods):
        events.extend(cluster.events_for(pod))
        name = str((pod.get("metadata") or {}).get("name"))
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            if status.get("ready"):
                continue
            text = cluster.pod_logs(str(namespace), name, str(status.get("name")), tail_lines=10)
            if text:
                logs[f"{name}/{status.get('name')}"] = text
    return tuple(explain_failure(workload, pods, events, logs))
