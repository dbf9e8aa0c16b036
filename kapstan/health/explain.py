"""``explain_failure``: readable lines saying why a workload failed or timed out.

The lines follow what a person would look at, in order: the workload's own health and
conditions, its worst pods and their containers, the latest Warning events about them,
and the last log lines of the failing container. Pure: the caller reads the cluster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from kapstan.health.dispatch import health_of
from kapstan.health.objects import (
    Condition,
    KubeObject,
    because,
    conditions,
    integer,
    kind_of,
    mapping,
    name_of,
    text,
    timestamp,
)
from kapstan.health.pods import FAILING_REASONS, container_statuses, describe_container
from kapstan.model.health import HealthStatus

MAX_PODS = 3
MAX_EVENTS = 5
MAX_LOG_LINES = 10

# Worst first: failed pods explain most, healthy ones nothing.
_RANK = {
    HealthStatus.FAILED: 0,
    HealthStatus.UNKNOWN: 1,
    HealthStatus.PROGRESSING: 2,
    HealthStatus.MISSING: 3,
    HealthStatus.HEALTHY: 4,
}
_EPOCH = datetime.min.replace(tzinfo=UTC)


def explain_failure(
    workload: KubeObject,
    pods: Sequence[KubeObject],
    events: Sequence[KubeObject],
    logs: Mapping[str, str] | None = None,
) -> list[str]:
    """Lines for people. ``logs`` maps ``"<pod>/<container>"`` (or a container name) to
    that container's log text; only the failing containers of the worst pod are shown.
    """
    lines = [f"{kind_of(workload)} {name_of(workload)}: {health_of(workload).describe()}"]
    lines += [f"  condition {_condition(c)}" for c in conditions(workload)]
    worst = worst_pods(pods)
    for pod in worst:
        health = health_of(pod)
        lines.append(f"  pod {name_of(pod)}: {health.describe()}")
        containers = [describe_container(c) for c in container_statuses(pod) if not _fine(c)]
        # A failed pod's message already names its failing containers: do not repeat them.
        lines += [f"    {line}" for line in containers if line not in health.message]
    lines += [f"  event {line}" for line in _event_lines(workload, pods, events)]
    if worst and logs:
        lines += _log_lines(worst[0], logs)
    return lines


def worst_pods(pods: Sequence[KubeObject], limit: int = MAX_PODS) -> list[KubeObject]:
    """Up to ``limit`` unhealthy pods, failed first, then by restarts (most first)."""
    ranked = [(pod, health_of(pod).status) for pod in pods]
    unhealthy = [(pod, status) for pod, status in ranked if status is not HealthStatus.HEALTHY]
    unhealthy.sort(key=lambda ps: (_RANK[ps[1]], -_restarts(ps[0]), name_of(ps[0])))
    return [pod for pod, _ in unhealthy[:limit]]


def _restarts(pod: KubeObject) -> int:
    return sum(integer(c, "restartCount") for c in container_statuses(pod))


def _fine(status: KubeObject) -> bool:
    terminated = mapping(status, "state", "terminated")
    clean_exit = bool(terminated) and integer(terminated, "exitCode") == 0
    return clean_exit or (status.get("ready") is True and not integer(status, "restartCount"))


def _condition(cond: Condition) -> str:
    return f"{cond.get('type', '?')}={cond.get('status', '?')} ({because(cond)})"


def _event_lines(
    workload: KubeObject, pods: Sequence[KubeObject], events: Sequence[KubeObject]
) -> list[str]:
    names = {("Pod", name_of(p)) for p in pods} | {(kind_of(workload), name_of(workload))}
    owned_prefix = f"{name_of(workload)}-"
    relevant = [
        e
        for e in events
        if text(e, "type") == "Warning"
        and (_subject(e) in names or _owned_by_workload(e, owned_prefix))
    ]
    relevant.sort(key=_event_time)
    return [_event(e) for e in relevant[-MAX_EVENTS:]]


def _subject(event: KubeObject) -> tuple[str, str]:
    return (text(event, "involvedObject", "kind"), text(event, "involvedObject", "name"))


def _owned_by_workload(event: KubeObject, prefix: str) -> bool:
    # A Deployment's ReplicaSets (and a CronJob's Jobs) are named after it: their warnings
    # (quota exceeded, admission refused) explain why no pod exists at all.
    kind, name = _subject(event)
    return kind in ("ReplicaSet", "Job") and name.startswith(prefix)


def _event_time(event: KubeObject) -> datetime:
    for path in (
        ("series", "lastObservedTime"),
        ("lastTimestamp",),
        ("eventTime",),
        ("metadata", "creationTimestamp"),
    ):
        moment = timestamp(text(event, *path))
        if moment is not None:
            return moment
    return _EPOCH


def _event(event: KubeObject) -> str:
    kind, name = _subject(event)
    count = integer(event, "count", default=0) or integer(event, "series", "count", default=1)
    times = f" (x{count})" if count > 1 else ""
    when = _event_time(event)
    at = f" at {when.isoformat()}" if when != _EPOCH else ""
    return f"{text(event, 'reason')} on {kind}/{name}{times}{at}: {text(event, 'message')}"


def _log_lines(pod: KubeObject, logs: Mapping[str, str]) -> list[str]:
    lines: list[str] = []
    for status in container_statuses(pod):
        if _fine(status) and text(status, "state", "waiting", "reason") not in FAILING_REASONS:
            continue
        container = text(status, "name")
        log = logs.get(f"{name_of(pod)}/{container}", logs.get(container))
        if not log:
            continue
        tail = log.rstrip("\n").splitlines()[-MAX_LOG_LINES:]
        lines.append(f"  last {len(tail)} log lines of {name_of(pod)}/{container}:")
        lines += [f"    | {line}" for line in tail]
    return lines
