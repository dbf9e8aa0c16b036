"""The order resources of one service are applied in (and pruned in, reversed).

Things others refer to go first: namespaces and CRDs, identities and RBAC, config,
storage, networking, then the workloads, then what points at workloads (HPA, Ingress).
"""

from __future__ import annotations

from collections.abc import Sequence

from kapstan.model.rendered import KubeObject

KIND_ORDER: tuple[str, ...] = (
    "Namespace",
    "CustomResourceDefinition",
    "PriorityClass",
    "StorageClass",
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "ConfigMap",
    "Secret",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Service",
    "Endpoints",
    "EndpointSlice",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Pod",
    "Job",
    "CronJob",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Ingress",
)
_RANK = {kind: i for i, kind in enumerate(KIND_ORDER)}
# Unknown kinds (custom resources) go after the built-in workloads they usually extend.
_UNKNOWN_RANK = _RANK["CronJob"] + 0.5

WORKLOAD_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet", "Pod"}
)


def rank(obj: KubeObject) -> float:
    return _RANK.get(str(obj.get("kind", "")), _UNKNOWN_RANK)


def apply_order(objects: Sequence[KubeObject]) -> list[KubeObject]:
    """``objects`` sorted for apply; a stable sort keeps file order within a kind."""
    return sorted(objects, key=rank)


def prune_order(objects: Sequence[KubeObject]) -> list[KubeObject]:
    """The reverse: what points at workloads goes first, namespaces last."""
    return sorted(objects, key=rank, reverse=True)
