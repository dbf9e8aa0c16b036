"""Pod: healthy when running and Ready (or completed); failed when a container cannot
start or keeps crashing, with the container, its reason, exit code and restarts named.
"""

from __future__ import annotations

from kapstan.health.objects import (
    KubeObject,
    because,
    condition,
    integer,
    is_false,
    is_true,
    items,
    mapping,
    text,
)
from kapstan.model.health import Health

# Waiting reasons that do not clear without a change (image, config, or the program).
FAILING_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "ErrImageNeverPull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "PreCreateHookError",
        "PostStartHookError",
    }
)


def pod_health(obj: KubeObject) -> Health:
    phase = text(obj, "status", "phase")
    if phase == "Succeeded":
        return Health.healthy("pod completed")
    if phase == "Failed":
        return Health.failed(_failure(obj))
    failing = [c for c in container_statuses(obj) if waiting_reason(c) in FAILING_REASONS]
    if failing:
        return Health.failed("; ".join(describe_container(c) for c in failing))
    if phase == "Pending":
        return Health.progressing(_pending(obj))
    if phase == "Running":
        return _running(obj)
    return Health.unknown(f"pod phase is {phase or 'not reported'}")


def container_statuses(pod: KubeObject) -> list[KubeObject]:
    """Init containers first (they run first), then the app containers."""
    return items(pod, "status", "initContainerStatuses") + items(pod, "status", "containerStatuses")


def waiting_reason(status: KubeObject) -> str:
    return text(status, "state", "waiting", "reason")


def describe_container(status: KubeObject) -> str:
    """``container api: CrashLoopBackOff (back-off ...); last exit code 1 (Error); 5 restarts``."""
    state = _state(mapping(status, "state"))
    if state == "running" and status.get("ready") is not True:
        state = "running, not ready"
    parts = [f"container {text(status, 'name')}: {state}"]
    last = mapping(status, "lastState", "terminated")
    if last:
        parts.append(f"last {_exit(last)}")
    restarts = integer(status, "restartCount")
    if restarts:
        parts.append(f"{restarts} restart{'s' if restarts != 1 else ''}")
    return "; ".join(parts)


def _state(state: KubeObject) -> str:
    if "waiting" in state:
        waiting = mapping(state, "waiting")
        message = text(waiting, "message")
        return text(waiting, "reason") + (f" ({message})" if message else "")
    if "terminated" in state:
        return _exit(mapping(state, "terminated"))
    return "running" if "running" in state else "state not reported"


def _exit(terminated: KubeObject) -> str:
    reason, message = text(terminated, "reason"), text(terminated, "message")
    line = f"exit code {integer(terminated, 'exitCode')}" + (f" ({reason})" if reason else "")
    return line + (f": {message}" if message else "")


def _failure(pod: KubeObject) -> str:
    reason, message = text(pod, "status", "reason"), text(pod, "status", "message")
    if reason or message:
        return f"pod failed: {': '.join(p for p in (reason, message) if p)}"
    broken = [c for c in container_statuses(pod) if integer(c, "state", "terminated", "exitCode")]
    if broken:
        return "pod failed: " + "; ".join(describe_container(c) for c in broken)
    return "pod failed"


def _pending(pod: KubeObject) -> str:
    scheduled = condition(pod, "PodScheduled")
    if scheduled is not None and is_false(scheduled):
        return f"not scheduled: {because(scheduled)}"
    waiting = [c for c in container_statuses(pod) if waiting_reason(c)]
    if waiting:
        return "; ".join(describe_container(c) for c in waiting)
    return "pod pending"


def _running(pod: KubeObject) -> Health:
    if is_true(condition(pod, "Ready")):
        return Health.healthy("pod running and ready")
    names = [
        text(c, "name")
        for c in items(pod, "status", "containerStatuses")
        if c.get("ready") is not True
    ]
    if names:
        noun = "container" if len(names) == 1 else "containers"
        return Health.progressing(f"{noun} {', '.join(names)} not ready")
    ready = condition(pod, "Ready")
    return Health.progressing(f"pod not ready: {because(ready) if ready else 'no Ready condition'}")
