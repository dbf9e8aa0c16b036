"""Kinds with no kind-specific check: custom resources and plain configuration objects.

Configuration kinds (ConfigMap, Secret, RBAC...) are healthy once they exist. Custom
resources follow the conventions kstatus reads: an observed generation behind the
object's is progressing; ``Stalled=True`` is failed; a ``Ready`` condition decides
otherwise (False is progressing: many controllers report Ready=False while they work,
so only ``Stalled`` or a timeout marks a failure). No Ready condition: healthy.
"""

from __future__ import annotations

from kapstan.health.objects import (
    KubeObject,
    because,
    condition,
    field,
    generation_pending,
    is_true,
)
from kapstan.model.health import Health


def exists_health(obj: KubeObject) -> Health:
    return Health.healthy("exists")


def custom_resource_health(obj: KubeObject) -> Health:
    if field(obj, "status", "observedGeneration") is not None:
        pending = generation_pending(obj)
        if pending is not None:
            return pending
    stalled = condition(obj, "Stalled")
    if stalled is not None and is_true(stalled):
        return Health.failed(f"stalled: {because(stalled)}")
    ready = condition(obj, "Ready")
    if ready is None:
        return Health.healthy("exists (no Ready condition)")
    if is_true(ready):
        return Health.healthy(f"ready: {because(ready)}")
    return Health.progressing(f"not ready: {because(ready)}")


def definition_health(obj: KubeObject) -> Health:
    """A CustomResourceDefinition is usable once ``Established``; rejected names fail it."""
    names = condition(obj, "NamesAccepted")
    if names is not None and names.get("status") == "False":
        return Health.failed(f"names not accepted: {because(names)}")
    if is_true(condition(obj, "Established")):
        return Health.healthy("established")
    return Health.progressing("waiting for the definition to be established")
