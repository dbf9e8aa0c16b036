"""Apply and prune the resources of one service, in order, recording each step.

Server-side apply under Kapstan's field manager, never with a resourceVersion. A Job's
pod template is immutable, so a changed Job is deleted and created again.
"""

from __future__ import annotations

from collections.abc import Sequence

from kapstan import failpoints
from kapstan.engine import inventory
from kapstan.engine.inflight import ApplyPool
from kapstan.engine.ports import Clock, Cluster, InventoryEntry, Journal
from kapstan.errors import ClusterConflictError, ClusterError, ClusterImmutableError
from kapstan.model.rendered import KubeObject
from kapstan.plan import order, scaling
from kapstan.render.resources import ResourceKey, key_of

REPLACE_WAIT = 30.0


def _strip_version(obj: KubeObject) -> KubeObject:
    meta = dict(obj.get("metadata") or {})
    meta.pop("resourceVersion", None)
    return {**obj, "metadata": meta}


def _replace_job(cluster: Cluster, obj: KubeObject, clock: Clock, pool: ApplyPool) -> KubeObject:
    meta = obj.get("metadata") or {}
    cluster.delete(str(obj["apiVersion"]), "Job", str(meta["name"]), meta.get("namespace"))
    deadline = clock.monotonic() + REPLACE_WAIT
    while (
        cluster.get(str(obj["apiVersion"]), "Job", str(meta["name"]), meta.get("namespace"))
        is not None
    ):
        if clock.monotonic() > deadline:
            raise ClusterError(
                f"Job {meta.get('namespace')}/{meta['name']} was not deleted within {REPLACE_WAIT:.0f}s"
            )
        clock.sleep(0.2)
    with pool.slot():
        return cluster.apply(obj)


def hand_over(
    cluster: Cluster,
    handovers: Sequence[KubeObject],
    journal: Journal,
    *,
    service: str,
    pool: ApplyPool,
) -> None:
    """Hand ``spec.replicas`` of autoscaled workloads over before Kapstan stops applying it.

    Not forced: a conflict means the autoscaler changed the count since the plan read it,
    so it owns the field already and there is nothing left to hand over.
    """
    for patch in handovers:
        key = str(key_of(patch))
        try:
            with pool.slot():
                cluster.apply(patch, force=False, field_manager=scaling.HANDOVER_MANAGER)
        except ClusterConflictError:
            continue
        journal.event(
            "replicas",
            "spec.replicas left to its autoscaler (ownership handed over)",
            service=service,
            resource=key,
        )


def apply_objects(
    cluster: Cluster,
    objects: Sequence[KubeObject],
    journal: Journal,
    *,
    service: str,
    clock: Clock,
    pool: ApplyPool,
    answers: dict[ResourceKey, KubeObject] | None = None,
) -> list[dict[str, str]]:
    """Apply ``objects`` in dependency order; return the inventory of what was applied.

    One request at a time for this service, each through a slot of ``pool``. ``answers``,
    if given, gets each object as the apiserver answered its apply: a wait for readiness
    starts from it instead of reading every object again.
    """
    applied: list[dict[str, str]] = []
    for index, obj in enumerate(order.apply_order(objects)):
        journal.check()
        failpoints.hit(f"before-apply:{service}:{index}")
        key = str(key_of(obj))
        try:
            with pool.slot():
                result = cluster.apply(_strip_version(obj))
        except ClusterImmutableError as exc:
            if obj.get("kind") != "Job":
                journal.event("failed", str(exc), service=service, resource=key)
                raise
            # Told by the apiserver's causes (kapstan.kube.errors), not by the message text.
            what = "its pod template" if exc.fields == ("spec.template",) else ", ".join(exc.fields)
            journal.event(
                "replacing",
                f"{what} is immutable: deleting and creating it again",
                service=service,
                resource=key,
            )
            result = _replace_job(cluster, _strip_version(obj), clock, pool)
        except ClusterError as exc:
            journal.event("failed", str(exc), service=service, resource=key)
            raise
        applied.append(inventory.entry(result))
        if answers is not None:
            answers[key_of(obj)] = result
        journal.event("applied", "server-side apply", service=service, resource=key)
        failpoints.hit(f"after-apply:{service}:{index}")
    return applied


def prune(
    cluster: Cluster,
    stale: Sequence[InventoryEntry],
    journal: Journal,
    *,
    app: str,
    service: str,
    reason: str = "no longer in the new revision",
) -> int:
    """Delete what the previous revision created and the new one no longer contains.

    Also what a removed service or a failed first install (atomic) leaves: ``reason``
    says which, in each ``pruned`` event. Returns how many were deleted (the others are
    kept, each with a ``kept`` event saying why).
    """
    deleted = 0
    objs = [{"apiVersion": e["apiVersion"], "kind": e["kind"], "entry": e} for e in stale]
    for item in order.prune_order(objs):
        e: InventoryEntry = item["entry"]
        what = inventory.describe(e)
        current = cluster.get(e["apiVersion"], e["kind"], e["name"], e["namespace"] or None)
        allowed, why = inventory.owned(current, e, app=app, service=service)
        if not allowed:
            journal.event("kept", f"not pruned: {why}", service=service, resource=what)
            continue
        cluster.delete(e["apiVersion"], e["kind"], e["name"], e["namespace"] or None)
        journal.event("pruned", reason, service=service, resource=what)
        deleted += 1
    return deleted
