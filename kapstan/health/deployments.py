"""Deployment: done when the latest generation is rolled out and every replica available.

The order follows ``kubectl rollout status``: the observed generation first (every other
field describes it), then the progress deadline, then updated, old and available replicas.
"""

from __future__ import annotations

from kapstan.health.objects import (
    KubeObject,
    condition,
    field,
    generation_pending,
    integer,
    is_false,
    plural,
)
from kapstan.model.health import Health

_DEADLINE = "ProgressDeadlineExceeded"


def deployment_health(obj: KubeObject) -> Health:
    pending = generation_pending(obj)
    if pending is not None:
        return pending
    progressing = condition(obj, "Progressing")
    if progressing is not None and is_false(progressing) and progressing.get("reason") == _DEADLINE:
        detail = progressing.get("message", "").replace('"', "")
        return Health.failed(f"Progress deadline exceeded: {detail}".rstrip(": "))
    rollout = rollout_pending(obj)
    if field(obj, "spec", "paused") is True:
        # A paused rollout does not move until someone resumes it: not done, and said so.
        if rollout is None:
            return Health.healthy("paused; rollout complete")
        return Health.progressing(f"paused, resume it to continue the rollout: {rollout}")
    if rollout is not None:
        return Health.progressing(rollout)
    wanted = integer(obj, "spec", "replicas", default=1)
    return Health.healthy(f"{wanted}/{wanted} replicas updated and available")


def rollout_pending(obj: KubeObject) -> str | None:
    """What the rollout still waits for, or None when it is complete."""
    wanted = integer(obj, "spec", "replicas", default=1)
    updated = integer(obj, "status", "updatedReplicas")
    current = integer(obj, "status", "replicas")
    available = integer(obj, "status", "availableReplicas")
    if updated < wanted:
        return f"{updated}/{wanted} replicas updated"
    if current > updated:
        return f"{plural(current - updated, 'old replica')} pending termination"
    if available < updated:
        return f"{available}/{updated} updated replicas available"
    return None
