"""HorizontalPodAutoscaler: healthy once it exists; trouble is reported, never blocking.

An HPA that cannot scale (no metrics-server, a missing target) leaves the workload running
at its current size, so a deploy should not wait on it or fail for it. ``AbleToScale`` or
``ScalingActive`` being False turns into a message that says why autoscaling is off.
"""

from __future__ import annotations

from kapstan.health.objects import (
    KubeObject,
    because,
    condition,
    conditions,
    integer,
    is_false,
    name_of,
)
from kapstan.model.autoscaling import AutoscalerStatus, ScalingCondition
from kapstan.model.health import Health

# The order ``app status`` lists them in: can it scale, does it have metrics, is it capped.
_CONDITIONS = ("AbleToScale", "ScalingActive", "ScalingLimited")


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


def autoscaler_status(obj: KubeObject) -> AutoscalerStatus:
    """The HPA's replica counts and its conditions' reasons, as ``app status`` shows them."""
    found = {str(c.get("type")): c for c in conditions(obj)}
    return AutoscalerStatus(
        name=name_of(obj),
        current=integer(obj, "status", "currentReplicas"),
        desired=integer(obj, "status", "desiredReplicas"),
        min=integer(obj, "spec", "minReplicas", default=1),
        max=integer(obj, "spec", "maxReplicas"),
        conditions=tuple(
            ScalingCondition(
                kind,
                str(found[kind].get("status") or "Unknown"),
                str(found[kind].get("reason") or ""),
                str(found[kind].get("message") or ""),
            )
            for kind in _CONDITIONS
            if kind in found
        ),
    )
