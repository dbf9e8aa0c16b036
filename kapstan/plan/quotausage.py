"""What a deploy would use of an environment's quota, and the refusals when it would not fit.

Pure arithmetic, the way the apiserver's quota and LimitRanger admission count:

- a pod's requests and limits: per resource, the sum over its containers or the largest
  of its init containers, whichever is more; a container without a request takes its
  limit (API defaulting), else the LimitRange's default request; without a limit, the
  LimitRange's default (or its max);
- pods per workload: ``replicas`` (or an autoscaler's minimum in the same service, when
  higher), a Job's parallelism, one per node for a DaemonSet, one for a bare Pod; a
  CronJob counts as one run of its Job;
- objects: one per Service, Secret, ConfigMap, PVC... (``count/RESOURCE.GROUP`` too), node
  ports and load balancers per Service, and PVC storage per StorageClass (a StatefulSet's
  claim templates once per replica; a claim without a class in the cluster's default one).

A deploy is refused when, after it, the environment would use more than the quota of a
resource and the service asks more of it than it has now (lowering a quota refuses no
deploy that does not grow). "Now" outside Kapstan (the namespace's own ConfigMap, pods
someone else runs) comes from the live quota's ``status.used`` minus what Kapstan's
deployed services use.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kapstan.model.rendered import KubeObject
from kapstan.plan import quantities, scaling
from kapstan.plan.quota import CONTAINER_RESOURCES, Quota, class_key
from kapstan.render.resources import group_of

Usage = dict[str, Decimal]
_WORKLOADS = ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "DaemonSet")
_COUNTED = {
    ("", "Service"): "services",
    ("", "Secret"): "secrets",
    ("", "ConfigMap"): "configmaps",
    ("", "PersistentVolumeClaim"): "persistentvolumeclaims",
    ("", "ReplicationController"): "replicationcontrollers",
    ("", "ResourceQuota"): "resourcequotas",
}


@dataclass(frozen=True)
class Facts:
    """What the arithmetic needs of the cluster: nodes (DaemonSet pods), default class."""

    nodes: int = 1
    default_class: str | None = None


@dataclass(frozen=True)
class Ask:
    """What one service uses: amounts per quota key, how each was counted, and the
    containers the quota or LimitRange would refuse outright."""

    service: str
    usage: Usage
    detail: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


def service_ask(
    service: str, objects: Sequence[KubeObject], quota: Quota, facts: Facts = Facts()
) -> Ask:
    """What ``objects`` (one service's) use of the quota's resources."""
    counter = _Counter(service, quota, facts, scaling.targets(objects))
    for obj in objects:
        counter.add(obj)
    return Ask(
        service,
        dict(counter.usage),
        {k: tuple(v) for k, v in counter.detail.items()},
        tuple(counter.problems),
    )


def total(asks: Iterable[Ask]) -> Usage:
    summed: Usage = defaultdict(Decimal)
    for ask in asks:
        for key, amount in ask.usage.items():
            summed[key] += amount
    return dict(summed)


def outside(used: Mapping[str, object], kapstan: Iterable[Ask]) -> Usage:
    """What the namespace uses beyond Kapstan's deployed services: the live quota's
    ``status.used`` less their usage (never below zero; unreadable quantities skipped)."""
    ours = total(kapstan)
    found: Usage = {}
    for key, text in used.items():
        if not quantities.is_quantity(text):
            continue
        rest = quantities.parse(text, key) - ours.get(key, Decimal(0))
        if rest > 0:
            found[key] = rest
    return found


def refusals(
    quota: Quota,
    asks: Sequence[Ask],
    *,
    others: Usage,
    current: Mapping[str, Usage],
) -> list[str]:
    """One line per service and resource this deploy would take over the quota.

    ``asks``: the services deployed, in order; ``others``: what everything else in the
    namespace uses; ``current``: what each service of ``asks`` uses now (as deployed).
    """
    lines = [line for ask in asks for line in ask.problems]
    limits = {key: quantities.parse(text, f"quota {key}") for key, text in quota.hard.items()}
    # Every deployed service counts as it is now until its turn: an unchanged one later in
    # the deploy still holds its share while an earlier one grows.
    used: Usage = defaultdict(Decimal, others)
    for ask in asks:
        for key, amount in current.get(ask.service, {}).items():
            used[key] += amount
    for ask in asks:
        before = current.get(ask.service, {})
        for key in set(before) | set(ask.usage):
            used[key] -= before.get(key, Decimal(0))
        for key, hard in limits.items():
            amount = ask.usage.get(key, Decimal(0))
            if amount and used[key] + amount > hard and amount > before.get(key, Decimal(0)):
                left = max(hard - used[key], Decimal(0))
                how = "; ".join(ask.detail.get(key, ()))
                lines.append(
                    f"service {ask.service!r} asks {key} {quantities.show(amount, key)}"
                    f"{f' ({how})' if how else ''} but only {quantities.show(left, key)} of "
                    f"the quota's {quantities.show(hard, key)} is left"
                )
        for key, amount in ask.usage.items():
            used[key] += amount
    return lines


class _Counter:
    def __init__(
        self, service: str, quota: Quota, facts: Facts, autoscaled: scaling.Targets
    ) -> None:
        self.service = service
        self.quota = quota
        self.facts = facts
        self.autoscaled = autoscaled
        self.usage: Usage = defaultdict(Decimal)
        self.detail: dict[str, list[str]] = defaultdict(list)
        self.problems: list[str] = []

    def add(self, obj: KubeObject) -> None:
        kind = str(obj.get("kind") or "")
        group = group_of(str(obj.get("apiVersion") or ""))
        name = f"{kind} {(obj.get('metadata') or {}).get('name')}"
        self.count(_count_key(group, kind), 1, name)
        if (group, kind) in _COUNTED:
            self.count(_COUNTED[(group, kind)], 1, name)
        spec = obj.get("spec") or {}
        if kind == "Service":
            self.service_ports(spec, name)
        elif kind == "PersistentVolumeClaim":
            self.claim(spec, name, 1)
        pods, pod_spec = self.pods(kind, obj)
        if pods and pod_spec is not None:
            self.count("pods", pods, name)
            self.pod_resources(pod_spec, pods, name)
        if kind == "StatefulSet":
            for template in spec.get("volumeClaimTemplates") or []:
                claim = f"{name} claim {(template.get('metadata') or {}).get('name')}"
                self.count("persistentvolumeclaims", pods, claim)
                self.count("count/persistentvolumeclaims", pods, claim)
                self.claim(template.get("spec") or {}, claim, pods)

    def count(self, key: str, amount: int | Decimal, what: str) -> None:
        if not amount:
            return
        self.usage[key] += amount
        self.detail[key].append(what if amount == 1 else f"{amount} x {what}")

    def service_ports(self, spec: Mapping[str, Any], name: str) -> None:
        kind = spec.get("type") or "ClusterIP"
        ports = len(spec.get("ports") or [])
        if kind == "LoadBalancer":
            self.count("services.loadbalancers", 1, name)
        if kind == "NodePort" or (
            kind == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is not False
        ):
            self.count("services.nodeports", ports, name)

    def claim(self, spec: Mapping[str, Any], name: str, copies: int) -> None:
        requested = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        size = _quantity(requested)
        storage_class = spec.get("storageClassName") or self.facts.default_class
        what = name if copies == 1 else f"{copies} x {name}"
        self._amount("requests.storage", size * copies, what)
        if storage_class:
            self.count(class_key(storage_class, "persistentvolumeclaims"), copies, name)
            key = class_key(storage_class, "requests.storage")
            self._amount(key, size * copies, what)

    def pods(self, kind: str, obj: KubeObject) -> tuple[int, Mapping[str, Any] | None]:
        spec = obj.get("spec") or {}
        if kind == "Pod":
            return 1, spec
        if kind == "CronJob":
            kind, spec = "Job", ((spec.get("jobTemplate") or {}).get("spec") or {})
        template = (spec.get("template") or {}).get("spec")
        if kind == "Job":
            parallel = _int(spec.get("parallelism"), 1)
            completions = spec.get("completions")
            return (min(parallel, _int(completions, parallel)) if completions else parallel), (
                template
            )
        if kind == "DaemonSet":
            return self.facts.nodes, template
        if kind in _WORKLOADS:
            replicas = _int(spec.get("replicas"), 1)
            target = (kind, str((obj.get("metadata") or {}).get("name")))
            replicas = max(replicas, self.autoscaled.get(target, 0))
            return replicas, template
        return 0, None

    def pod_resources(self, pod: Mapping[str, Any], pods: int, name: str) -> None:
        per_pod: Usage = defaultdict(Decimal)
        for section in ("requests", "limits"):
            for resource in CONTAINER_RESOURCES:
                key = f"{section}.{resource}"
                amounts = [
                    self.container(c, section, resource, name) for c in _list(pod, "containers")
                ]
                inits = [
                    self.container(c, section, resource, name) for c in _list(pod, "initContainers")
                ]
                summed = sum((a for a in amounts if a is not None), Decimal(0))
                biggest = max((a for a in inits if a is not None), default=Decimal(0))
                per_pod[key] = max(summed, biggest)
        for key, amount in per_pod.items():
            self._amount(key, amount * pods, f"{pods} x {quantities.show(amount, key)} {name}")

    def container(
        self, c: Mapping[str, Any], section: str, resource: str, name: str
    ) -> Decimal | None:
        """The container's effective request or limit after the LimitRange's defaults."""
        value = _effective(c.get("resources") or {}, self.quota, section, resource)
        key = f"{section}.{resource}"
        where = f"service {self.service!r}: {name} container {c.get('name')!r}"
        if value is None:
            if key in self.quota.hard:
                self.problems.append(
                    f"{where} has no {key}, which the quota on {key} requires: set it in the "
                    f"manifest, or give the environment a default (kapstan env quota set ENV "
                    f"--default{'-request' if section == 'requests' else ''} {resource}=...)"
                )
            return None
        low = self.quota.container.get("min", {}).get(resource)
        high = self.quota.container.get("max", {}).get(resource)
        if section == "requests" and low is not None and value < quantities.parse(low, key):
            self.problems.append(
                f"{where} asks {key} {quantities.show(value, key)}, below the environment's "
                f"container min {low}"
            )
        if section == "limits" and high is not None and value > quantities.parse(high, key):
            self.problems.append(
                f"{where} asks {key} {quantities.show(value, key)}, above the environment's "
                f"container max {high}"
            )
        return value

    def _amount(self, key: str, amount: Decimal, what: str) -> None:
        if amount:
            self.usage[key] += amount
            self.detail[key].append(what)


def _effective(
    resources: Mapping[str, Any], quota: Quota, section: str, resource: str
) -> Decimal | None:
    """As the apiserver defaults them: a LimitRange's default limit is its max when unset,
    its default request its default limit (else its min); a container's request its own
    limit when it sets one."""
    requests = resources.get("requests") or {}
    limits = resources.get("limits") or {}
    given = quota.container
    default = given.get("default", {}).get(resource) or given.get("max", {}).get(resource)
    if section == "limits":
        text = limits.get(resource) or default
    else:
        text = (
            requests.get(resource)
            or limits.get(resource)
            or given.get("defaultRequest", {}).get(resource)
            or default
            or given.get("min", {}).get(resource)
        )
    return None if text is None else _quantity(text)


def _count_key(group: str, kind: str) -> str:
    lower = kind.lower()
    if lower.endswith(("s", "x", "ch", "sh")):
        plural = lower + "es"
    elif lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u"):
        plural = lower[:-1] + "ies"
    else:
        plural = lower + "s"
    return f"count/{plural}.{group}" if group else f"count/{plural}"


def _quantity(text: object) -> Decimal:
    # A manifest's bad quantity is the apiserver's to refuse, with its own message.
    return quantities.parse(text, "") if quantities.is_quantity(text) else Decimal(0)


def _int(value: object, default: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return default


def _list(pod: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    found = pod.get(key) or []
    return [c for c in found if isinstance(c, Mapping)] if isinstance(found, list) else []
