"""DaemonSet: done when every node that should run a pod runs an updated, available one.

As ``kubectl rollout status``: updated pods first, then available pods. With ``OnDelete``
the controller replaces no pod itself, so only availability is waited for.
"""

from __future__ import annotations

from kapstan.health.objects import KubeObject, generation_pending, integer, text
from kapstan.model.health import Health


def daemon_set_health(obj: KubeObject) -> Health:
    pending = generation_pending(obj)
    if pending is not None:
        return pending
    desired = integer(obj, "status", "desiredNumberScheduled")
    updated = integer(obj, "status", "updatedNumberScheduled")
    available = integer(obj, "status", "numberAvailable")
    on_delete = text(obj, "spec", "updateStrategy", "type") == "OnDelete"
    if updated < desired and not on_delete:
        return Health.progressing(f"{updated}/{desired} scheduled pods updated")
    if available < desired:
        return Health.progressing(f"{available}/{desired} pods available")
    if on_delete and updated < desired:
        return Health.healthy(
            f"{available}/{desired} pods available; OnDelete strategy: "
            f"{desired - updated} keep the previous revision until deleted"
        )
    return Health.healthy(f"{available}/{desired} pods updated and available")
