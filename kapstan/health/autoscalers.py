"""HorizontalPodAutoscaler: healthy once it exists; trouble is reported, never blocking.

An HPA that cannot scale (no metrics-server, a missing target) leaves the workload running
at its current size, so a deploy should not wait on it or fail for it. ``AbleToScale`` or
``ScalingActive`` being False turns into a message that says why autoscaling is off.
"""

from __future__ import annotations

from kapstan.health.objects import KubeObject, because, condition, integer, is_false
from kapstan.model.health import Health


def autoscaler_health(obj: KubeObject) -> Health:
    size = (
        f"{integer(obj, 'status', 'currentReplicas')} replicas "
        f"(min {integer(obj, 'spec', 'minReplicas', default=1)}, "
        f"max {integer(obj, 'spec', 'maxReplicas')})"
    )
    for kind in ("AbleToScale", "ScalingActive"):
        cond = condition(obj, kind)
        if cond is not None and is_false(cond):
            return Health.healthy(f"{size}; autoscaling inactive, {kind} is False: {because(cond)}")
    return Health.healthy(size)
