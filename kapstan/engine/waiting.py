"""Wait: until every applied object of a service is healthy, one fails, or time runs out.

Driven by the operation's shared watches (``kapstan.engine.watches``), not by polling or
by a watch per service: read each object once (not those whose kind is done once applied),
judge it with ``kapstan.health``, and while some are still progressing, follow them on the
stream of their kind and namespace and judge again whenever one of them changes. On
failure or timeout, say what is still pending and why: conditions, recent events, the
failing pod's container state and last log lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kapstan.engine.ports import Clock, Cluster
from kapstan.engine.watches import Watcher, WatchHub, is_newer
from kapstan.health import (
    Health,
    HealthStatus,
    done_once_applied,
    explain_failure,
    health_of,
    pods_for,
    worst_pods,
)
from kapstan.model.rendered import KubeObject
from kapstan.render.resources import ResourceKey, key_of

# At most this long between two looks at the journal (cancel, lost lock) and the deadline.
CHECK_SLICE = 2
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


def _refresh(
    cluster: Cluster,
    watcher: Watcher,
    objects: Sequence[KubeObject],
    current: list[KubeObject | None],
    pending: Sequence[int],
) -> bool:
    """Take what the streams saw since the last look; True if an object moved.

    A stream that gave up leaves its objects to a direct read at every look.
    """
    moved = False
    for i in pending:
        obj = objects[i]
        watcher.follow(obj)
        if watcher.stopped(obj):
            fresh = _read(cluster, obj)
        else:
            seen = watcher.latest(obj)
            if seen is None or not is_newer(seen[1], current[i]):
                continue
            fresh = None if seen[0] else seen[1]
        moved = moved or fresh is not current[i]
        current[i] = fresh
    return moved


def wait_ready(
    cluster: Cluster,
    objects: Sequence[KubeObject],
    *,
    timeout: float,
    progress: Progress | None = None,
    check: Callable[[], None] | None = None,
    clock: Clock,
    watches: WatchHub | None = None,
    answers: Mapping[ResourceKey, KubeObject] | None = None,
) -> WaitResult:
    """Wait for ``objects``, as just applied; ``check`` is called between two looks and may
    raise to stop.

    ``watches``: the operation's shared streams; without, this wait opens its own.
    ``answers``: the objects as their apply returned them (``applying.apply_objects``),
    the state the wait starts from; an object without one is read first.
    """
    hub = watches or WatchHub(cluster)
    try:
        with hub.watcher() as watcher:
            return _wait(cluster, watcher, objects, timeout, progress, check, clock, answers or {})
    finally:
        if watches is None:
            hub.close()


def _wait(
    cluster: Cluster,
    watcher: Watcher,
    objects: Sequence[KubeObject],
    timeout: float,
    progress: Progress | None,
    check: Callable[[], None] | None,
    clock: Clock,
    answers: Mapping[ResourceKey, KubeObject],
) -> WaitResult:
    deadline = clock.monotonic() + timeout
    # A ConfigMap, a Secret, a Role... is done once applied; the others start from what
    # their apply answered (read back only without one).
    current = [
        obj if done_once_applied(obj) else answers.get(key_of(obj)) or _read(cluster, obj)
        for obj in objects
    ]
    pending = list(range(len(objects)))
    last: dict[str, Health] = {}
    while True:
        if check is not None:
            check()
        still = []
        for i in pending:
            obj, label = objects[i], _label(objects[i])
            health = health_of(current[i])
            if last.get(label) != health and progress:
                progress(label, health)
            last[label] = health
            if health.status is HealthStatus.FAILED:
                return WaitResult(
                    False, f"{label} failed: {health.message}", explain(cluster, current[i] or obj)
                )
            if health.status is not HealthStatus.HEALTHY:
                still.append(i)
        pending = still
        if not pending:
            return WaitResult(True, "ready")
        remaining = deadline - clock.monotonic()
        if remaining <= 0:
            waiting = "; ".join(
                f"{_label(objects[i])}: {last[_label(objects[i])].describe()}" for i in pending
            )
            first = pending[0]
            return WaitResult(
                False,
                f"timed out after {timeout:.0f}s, still waiting for {waiting}",
                explain(cluster, current[first] or objects[first]),
            )
        if not _refresh(cluster, watcher, objects, current, pending):
            watcher.wait(min(CHECK_SLICE, remaining))
            _refresh(cluster, watcher, objects, current, pending)


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
