"""ReplicaSet: done when it runs the wanted number of replicas and all are available."""

from __future__ import annotations

from kapstan.health.objects import KubeObject, generation_pending, integer, plural
from kapstan.model.health import Health


def replica_set_health(obj: KubeObject) -> Health:
    pending = generation_pending(obj)
    if pending is not None:
        return pending
    wanted = integer(obj, "spec", "replicas", default=1)
    current = integer(obj, "status", "replicas")
    available = integer(obj, "status", "availableReplicas")
    if current < wanted:
        return Health.progressing(f"{current}/{wanted} replicas created")
    if current > wanted:
        return Health.progressing(
            f"{plural(current - wanted, 'extra replica')} pending termination"
        )
    if available < wanted:
        return Health.progressing(f"{available}/{wanted} replicas available")
    return Health.healthy(f"{wanted}/{wanted} replicas available")
