"""PersistentVolumeClaim: healthy when Bound, progressing while Pending, failed when Lost."""

from __future__ import annotations

from kapstan.health.objects import KubeObject, text
from kapstan.model.health import Health


def volume_claim_health(obj: KubeObject) -> Health:
    phase = text(obj, "status", "phase")
    volume = text(obj, "spec", "volumeName")
    if phase == "Bound":
        return Health.healthy(f"bound to volume {volume}")
    if phase == "Lost":
        return Health.failed(f"claim lost its volume {volume}: the volume no longer exists")
    if phase == "Pending" or not phase:
        storage_class = text(obj, "spec", "storageClassName")
        via = f" (storage class {storage_class})" if storage_class else ""
        return Health.progressing(f"waiting for a volume to be bound{via}")
    return Health.unknown(f"claim phase is {phase}")
