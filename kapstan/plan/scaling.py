"""Who owns ``spec.replicas``: Kapstan never fights an autoscaler over it.

When a HorizontalPodAutoscaler (Kapstan's own from ``autoscaling:`` or any other in the
namespace) targets a workload, the autoscaler owns its replica count:

- on create, Kapstan sets the manifest's replicas, or the HPA's minimum when higher;
- on update, Kapstan leaves ``spec.replicas`` out of what it applies, and plans and diffs
  ignore it.

Server-side apply removes a field its manager applied before and applies no more: if
"kapstan" still owns ``spec.replicas`` (it created the workload, or no autoscaler has
changed the count since), leaving it out would reset the Deployment to 1 replica. So
ownership is handed over first, as the Kubernetes documentation describes ("Transferring
ownership"): a separate field manager applies the live count, then Kapstan's apply
without it releases Kapstan's claim and the count stays. The handover manager disappears
by itself the first time the autoscaler changes the count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kapstan.model.rendered import KubeObject

HPA_KIND = "HorizontalPodAutoscaler"
SCALABLE = ("Deployment", "StatefulSet", "ReplicaSet")
KAPSTAN_MANAGER = "kapstan"
HANDOVER_MANAGER = "kapstan-replicas-handover"

Targets = Mapping[tuple[str, str], int]  # (kind, name) -> the highest minReplicas


def targets(hpas: Iterable[KubeObject]) -> dict[tuple[str, str], int]:
    """The workloads the autoscalers target, each with the highest minimum they ask for."""
    found: dict[tuple[str, str], int] = {}
    for hpa in hpas:
        if hpa.get("kind") != HPA_KIND or (hpa.get("metadata") or {}).get("deletionTimestamp"):
            continue
        spec = hpa.get("spec") or {}
        ref = spec.get("scaleTargetRef") or {}
        if not ref.get("kind") or not ref.get("name"):
            continue
        key = (str(ref["kind"]), str(ref["name"]))
        found[key] = max(found.get(key, 0), _int(spec.get("minReplicas"), 1))
    return found


def autoscaled(obj: KubeObject, found: Targets) -> bool:
    return obj.get("kind") in SCALABLE and _key(obj) in found


def shape(obj: KubeObject, live: KubeObject | None, found: Targets) -> KubeObject:
    """``obj`` as Kapstan applies it: replicas left to the autoscaler that targets it."""
    if not autoscaled(obj, found):
        return obj
    spec = dict(obj.get("spec") or {})
    if live is None:
        spec["replicas"] = max(_int(spec.get("replicas"), 1), found[_key(obj)])
    else:
        spec.pop("replicas", None)
    return {**obj, "spec": spec}


def owns_replicas(live: KubeObject, manager: str = KAPSTAN_MANAGER) -> bool:
    """Does ``manager`` (by apply) own ``spec.replicas`` of ``live``?"""
    for entry in (live.get("metadata") or {}).get("managedFields") or []:
        if entry.get("manager") != manager or entry.get("subresource"):
            continue
        fields: Mapping[str, Any] = entry.get("fieldsV1") or {}
        if "f:replicas" in (fields.get("f:spec") or {}):
            return True
    return False


def handover(obj: KubeObject, live: KubeObject | None, found: Targets) -> KubeObject | None:
    """The apply that hands ``spec.replicas`` over before Kapstan stops applying it, if
    Kapstan owns it now; None when there is nothing to hand over."""
    if live is None or not autoscaled(obj, found) or not owns_replicas(live):
        return None
    meta = live.get("metadata") or {}
    where = {"name": meta.get("name")}
    if meta.get("namespace"):
        where["namespace"] = meta["namespace"]
    replicas = _int((live.get("spec") or {}).get("replicas"), 1)
    return {
        "apiVersion": live.get("apiVersion") or obj.get("apiVersion"),
        "kind": obj.get("kind"),
        "metadata": where,
        "spec": {"replicas": replicas},
    }


def _key(obj: KubeObject) -> tuple[str, str]:
    return (str(obj.get("kind")), str((obj.get("metadata") or {}).get("name")))


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return default
