"""Plan: for each service, what an apply would do to each resource, and what it would prune.

Reads the cluster (get + server-side apply dry-run, the namespace's HPAs) and the last
deployed revision's inventory; writes nothing. Each resource's plan says whose the live
object is when it is not this application's (``plan.ownership``: the deploy refuses it);
a workload an HPA targets has its replicas left to the HPA (``plan.scaling``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from kapstan.engine import bluegreen, inventory
from kapstan.engine.ports import Cluster, DeployedRevision, InventoryEntry
from kapstan.errors import (
    ClusterError,
    ClusterForbiddenError,
    ClusterUnknownKindError,
    KapstanError,
)
from kapstan.model.rendered import KubeObject, RenderedService
from kapstan.plan import live, order, ownership, scaling

# "remove": a service no longer in the template; its recorded objects are pruned.
ServiceAction = Literal["create", "update", "unchanged", "remove"]


@dataclass(frozen=True)
class ServicePlan:
    """What deploying one service would do."""

    service: str
    action: ServiceAction
    resources: tuple[live.ResourcePlan, ...]
    prune: tuple[InventoryEntry, ...]
    content_hash: str
    previous: DeployedRevision | None
    objects: tuple[KubeObject, ...] = ()
    color: str | None = None  # blue-green: the colour this deploy goes to
    live_color: str | None = None
    # Applied (under scaling.HANDOVER_MANAGER) before ``objects``: an autoscaler's
    # workloads whose spec.replicas Kapstan still owns (see kapstan.plan.scaling).
    handovers: tuple[KubeObject, ...] = ()

    @property
    def conflicts(self) -> list[ownership.Conflict]:
        """Live objects of this service that are not ours (another app's, or foreign)."""
        return [r.conflict for r in self.resources if r.conflict is not None]

    @property
    def changed(self) -> bool:
        return self.action != "unchanged"

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for r in self.resources:
            counts[r.action] = counts.get(r.action, 0) + 1
        if self.prune:
            counts["delete"] = len(self.prune)
        parts = [
            f"{n} to {a}" if a != "unchanged" else f"{n} unchanged"
            for a, n in sorted(counts.items())
        ]
        if self.action == "remove":
            parts.insert(0, "no longer in the template")
        if self.conflicts:
            parts.append(f"{len(self.conflicts)} owned by someone else")
        return f"{self.service}: {self.action} ({', '.join(parts) or 'nothing live'})"


def namespace_exists(cluster: Cluster, namespace: str) -> bool:
    """Whether dry runs can go to ``namespace``. An identity that may not read the Namespace
    (an admin of it through a RoleBinding) is assumed to have one: a dry run that fails
    falls back to comparing with the live object."""
    try:
        return cluster.get("v1", "Namespace", namespace) is not None
    except ClusterForbiddenError:
        return True


@dataclass(frozen=True)
class Checks:
    """What each object's plan is checked against besides its live state."""

    claimant: ownership.Claimant | None = None  # None: no ownership check
    autoscalers: scaling.Targets = dataclasses.field(default_factory=dict)
    recorded: tuple[InventoryEntry, ...] = ()  # the last revision's inventory (uids)


@dataclass(frozen=True)
class ObjectPlan:
    resource: live.ResourcePlan
    obj: KubeObject  # as it will be applied (replicas left to an autoscaler)
    handover: KubeObject | None = None


def plan_object(
    cluster: Cluster,
    obj: KubeObject,
    dry_run_possible: bool,
    checks: Checks | None = None,
    live_now: LiveObjects | None = None,
) -> ObjectPlan:
    """``live_now``: what a plan of many read of the namespace at once (else a GET)."""
    checks = checks or Checks()
    current = (live_now or LiveObjects()).of(cluster, obj)
    shaped = scaling.shape(obj, current, checks.autoscalers)
    ignore = scaling.autoscaled(obj, checks.autoscalers)
    conflict = (
        ownership.conflict_of(
            current, checks.claimant, inventory.recorded_uid(checks.recorded, obj)
        )
        if checks.claimant is not None
        else None
    )
    handover = scaling.handover(obj, current, checks.autoscalers)
    if current is None or not dry_run_possible:
        resource = live.compare(current, shaped, ignore_replicas=ignore)
    else:
        try:
            would_be = cluster.apply(shaped, dry_run=True)
        except ClusterError:
            # An immutable field (a Job's template) refuses the dry-run: the apply replaces it.
            would_be = shaped
        resource = live.compare(current, would_be, ignore_replicas=ignore)
    return ObjectPlan(dataclasses.replace(resource, conflict=conflict), shaped, handover)


def live_autoscalers(cluster: Cluster, namespace: str) -> list[KubeObject]:
    """The namespace's HPAs, as far as the cluster and the credentials let us see them."""
    try:
        return cluster.list("autoscaling/v2", scaling.HPA_KIND, namespace)
    except ClusterUnknownKindError:  # a cluster without autoscaling/v2 has no HPA to fight
        return []
    except ClusterForbiddenError:
        # Credentials that may not read HPAs still deploy; only the template's own are known.
        return []


# A kind with at least LIST_FROM objects to plan is read in one LIST instead of a GET
# each, unless the namespace holds more than LIST_BOUND others of it besides them: a plan
# never reads a crowded namespace whole to save a few GETs.
LIST_FROM = 3
LIST_BOUND = 500
KindKey = tuple[str, str, str | None]  # apiVersion, kind, namespace


@dataclass(frozen=True)
class LiveObjects:
    """Live objects of the kinds listed at once, by name; other kinds are read by GET."""

    listed: dict[KindKey, dict[str, KubeObject]] = dataclasses.field(default_factory=dict)

    @classmethod
    def read(cls, cluster: Cluster, desired: Sequence[KubeObject]) -> LiveObjects:
        wanted: dict[KindKey, int] = {}
        for obj in desired:
            key = _kind_key(obj)
            wanted[key] = wanted.get(key, 0) + 1
        listed: dict[KindKey, dict[str, KubeObject]] = {}
        for key, count in wanted.items():
            if count < LIST_FROM:
                continue
            try:
                found = cluster.list_bounded(*key, limit=LIST_BOUND + count)
            except ClusterError:
                # Not listable here (forbidden, an unknown kind): each object's own GET
                # says so, naming its service.
                continue
            if found is not None:
                listed[key] = {str((o.get("metadata") or {})["name"]): o for o in found}
        return cls(listed)

    def of(self, cluster: Cluster, obj: KubeObject) -> KubeObject | None:
        """The live ``obj``: from the LIST if its kind was listed, else by a GET."""
        key = _kind_key(obj)
        name = str((obj.get("metadata") or {})["name"])
        listed = self.listed.get(key)
        if listed is not None:
            return listed.get(name)
        return cluster.get(key[0], key[1], name, key[2])


def _kind_key(obj: KubeObject) -> KindKey:
    namespace = (obj.get("metadata") or {}).get("namespace")
    return str(obj["apiVersion"]), str(obj["kind"]), str(namespace) if namespace else None


@dataclass(frozen=True)
class Surroundings:
    """What every service's plan reads of its namespace: read once for a plan of many."""

    dry_run_possible: bool
    autoscalers: tuple[KubeObject, ...] = ()  # the live HPAs
    live: LiveObjects = dataclasses.field(default_factory=LiveObjects)

    @classmethod
    def read(
        cls, cluster: Cluster, namespace: str, desired: Sequence[KubeObject] = ()
    ) -> Surroundings:
        """``desired``: the objects about to be planned, so that kinds with many are listed."""
        possible = namespace_exists(cluster, namespace)
        return cls(
            possible,
            tuple(live_autoscalers(cluster, namespace)) if possible else (),
            LiveObjects.read(cluster, desired),
        )

    def targets(self, desired: Sequence[KubeObject]) -> scaling.Targets:
        """The workloads an HPA targets: the live HPAs of the namespace and the desired ones."""
        return scaling.targets([*self.autoscalers, *desired])


def plan_service(
    cluster: Cluster,
    rendered: RenderedService,
    previous: DeployedRevision | None,
    *,
    namespace: str,
    claimant: ownership.Claimant | None = None,
    around: Surroundings | None = None,
) -> ServicePlan:
    """``around``: the namespace as read already (``plan_services`` reads it once for all)."""
    around = around or Surroundings.read(cluster, namespace)
    if rendered.settings.strategy == "blue-green":
        return _plan_blue_green(
            cluster, rendered, previous, around, namespace=namespace, claimant=claimant
        )
    return _plan(cluster, rendered, previous, list(rendered.objects), around, claimant=claimant)


def _plan_blue_green(
    cluster: Cluster,
    rendered: RenderedService,
    previous: DeployedRevision | None,
    around: Surroundings,
    *,
    namespace: str,
    claimant: ownership.Claimant | None = None,
) -> ServicePlan:
    """Unchanged when the live colour already runs this content; else the other colour."""
    current = bluegreen.live_color(cluster, rendered.objects)
    if current is not None:
        same = _keep_old_color(
            _plan(
                cluster,
                rendered,
                previous,
                bluegreen.colored(rendered.objects, current),
                around,
                claimant=claimant,
            ),
            current,
            namespace,
        )
        if not same.changed:
            return dataclasses.replace(same, color=current, live_color=current)
    target = bluegreen.other(current)
    plan = _keep_old_color(
        _plan(
            cluster,
            rendered,
            previous,
            bluegreen.colored(rendered.objects, target),
            around,
            claimant=claimant,
        ),
        target,
        namespace,
    )
    action: ServiceAction = "update" if current is not None else plan.action
    return dataclasses.replace(plan, action=action, color=target, live_color=current)


def _keep_old_color(plan: ServicePlan, color: str, namespace: str) -> ServicePlan:
    """The other colour's Deployments are kept on purpose (rollback): never pruned."""
    kept = {
        (e["kind"], e["name"]) for e in bluegreen.old_color_entries(plan.objects, color, namespace)
    }
    prune = tuple(e for e in plan.prune if (e["kind"], e["name"]) not in kept)
    action = plan.action
    if action == "update" and not prune and all(r.action == "unchanged" for r in plan.resources):
        action = "unchanged"
    return dataclasses.replace(plan, prune=prune, action=action)


def _plan(
    cluster: Cluster,
    rendered: RenderedService,
    previous: DeployedRevision | None,
    desired: list[KubeObject],
    around: Surroundings,
    *,
    claimant: ownership.Claimant | None = None,
) -> ServicePlan:
    ordered = order.apply_order(desired)
    checks = Checks(
        claimant, around.targets(ordered), tuple(previous.inventory) if previous else ()
    )
    planned = [
        plan_object(cluster, o, around.dry_run_possible, checks, around.live) for o in ordered
    ]
    resources = tuple(p.resource for p in planned)
    objects = [p.obj for p in planned]
    handovers = tuple(p.handover for p in planned if p.handover is not None)
    prune = tuple(inventory.stale(previous.inventory if previous else (), objects))
    # A service whose last revision left nothing live (removed, or a first install undone)
    # is created again, as the first time.
    if all(r.action == "create" for r in resources) and not (previous and previous.inventory):
        action: ServiceAction = "create"
    elif any(r.action != "unchanged" for r in resources) or prune:
        action = "update"
    else:
        action = "unchanged"
    return ServicePlan(
        rendered.name,
        action,
        resources,
        prune,
        rendered.hash,
        previous,
        tuple(objects),
        handovers=handovers,
    )


def plan_removal(service: str, previous: DeployedRevision | None) -> ServicePlan:
    """A service no longer in the template: prune everything its last revision recorded.

    Only objects still owned are deleted (``applying.prune``); an empty inventory means
    nothing is live, and the removal only records that.
    """
    prune = tuple(previous.inventory) if previous else ()
    return ServicePlan(service, "remove", (), prune, "", previous)


def plan_services(
    cluster: Cluster,
    services: Sequence[RenderedService],
    previous: dict[str, DeployedRevision | None],
    *,
    namespace: str,
    claimant: ownership.Claimant | None = None,
    max_parallel: int = 1,
) -> list[ServicePlan]:
    """Plan each service, at most ``max_parallel`` at once; plans come in ``services`` order.

    Services are planned in parallel (their reads and dry runs are independent), after
    one read of the namespace for all; the first error in that order is raised, naming
    its service.
    """
    # A blue-green service's colours are other names of the same kinds: the count holds.
    desired = [o for s in services for o in s.objects]
    around = Surroundings.read(cluster, namespace, desired) if services else None

    def plan(rendered: RenderedService) -> ServicePlan:
        try:
            return plan_service(
                cluster,
                rendered,
                previous.get(rendered.name),
                namespace=namespace,
                claimant=claimant,
                around=around,
            )
        except KapstanError as exc:
            raise naming(exc, f"planning service {rendered.name}") from exc

    if max_parallel <= 1 or len(services) <= 1:
        return [plan(s) for s in services]
    with ThreadPoolExecutor(min(max_parallel, len(services)), "plan") as pool:
        return list(pool.map(plan, services))


def naming(exc: KapstanError, what: str) -> KapstanError:
    """``exc``, same type and fields, its message led by ``what`` (the service at fault)."""
    message = f"{what}: {exc.message}"
    # Not ``copy.copy``: it calls __init__ again, and some errors take more than a message.
    named = type(exc).__new__(type(exc), message)
    named.__dict__.update(vars(exc), message=message)
    return named
