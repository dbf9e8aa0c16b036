"""StatefulSet: done when the latest generation is observed, every replica ready, and the
rolling update has reached every pod it is allowed to reach.

As in ``kubectl rollout status``: a partition limits the update to ordinals at or above it,
so the rollout is complete once ``replicas - partition`` pods are updated. With the
``OnDelete`` strategy the controller never replaces pods itself; the set is healthy once its
replicas are ready, and the message says how many still run the old revision.
"""

from __future__ import annotations

from kapstan.health.objects import KubeObject, generation_pending, integer, plural, text
from kapstan.model.health import Health


def stateful_set_health(obj: KubeObject) -> Health:
    pending = generation_pending(obj)
    if pending is not None:
        return pending
    wanted = integer(obj, "spec", "replicas", default=1)
    ready = integer(obj, "status", "readyReplicas")
    if ready < wanted:
        return Health.progressing(f"{ready}/{wanted} replicas ready")
    updated = integer(obj, "status", "updatedReplicas")
    revision = text(obj, "status", "updateRevision")
    if text(obj, "spec", "updateStrategy", "type") == "OnDelete":
        return _on_delete(wanted, updated, revision, same=revision == _current(obj))
    partition = integer(obj, "spec", "updateStrategy", "rollingUpdate", "partition")
    if partition > 0:
        target = max(wanted - partition, 0)
        if updated < target:
            return Health.progressing(
                f"{updated}/{target} replicas updated (partition {partition})"
            )
        return Health.healthy(
            f"partitioned rollout complete: {plural(updated, 'replica')} at revision {revision}, "
            f"ordinals below {partition} keep the previous revision"
        )
    if revision != _current(obj):
        return Health.progressing(f"{updated}/{wanted} replicas updated to revision {revision}")
    return Health.healthy(f"{wanted}/{wanted} replicas ready at revision {revision}")


def _current(obj: KubeObject) -> str:
    return text(obj, "status", "currentRevision")


def _on_delete(wanted: int, updated: int, revision: str, *, same: bool) -> Health:
    if same:
        return Health.healthy(f"{wanted}/{wanted} replicas ready at revision {revision}")
    return Health.healthy(
        f"{wanted}/{wanted} replicas ready; OnDelete strategy: {plural(wanted - updated, 'replica')}"
        " keep the previous revision until their pods are deleted"
    )
