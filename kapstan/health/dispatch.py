"""``health_of``: which check answers for an object, chosen by API group and kind."""

from __future__ import annotations

from collections.abc import Callable

from kapstan.health.autoscalers import autoscaler_health
from kapstan.health.cronjobs import cron_job_health
from kapstan.health.daemonsets import daemon_set_health
from kapstan.health.deployments import deployment_health
from kapstan.health.generic import (
    custom_resource_health,
    definition_health,
    exists_health,
)
from kapstan.health.ingresses import ingress_health
from kapstan.health.jobs import job_health
from kapstan.health.objects import KubeObject, group_of, kind_of, text
from kapstan.health.pods import pod_health
from kapstan.health.replicasets import replica_set_health
from kapstan.health.services import service_health
from kapstan.health.statefulsets import stateful_set_health
from kapstan.health.volumeclaims import volume_claim_health
from kapstan.model.health import DEFAULT_OPTIONS, Health, HealthOptions

Check = Callable[[KubeObject], Health]

_CHECKS: dict[tuple[str, str], Check] = {
    ("apps", "Deployment"): deployment_health,
    ("apps", "StatefulSet"): stateful_set_health,
    ("apps", "DaemonSet"): daemon_set_health,
    ("apps", "ReplicaSet"): replica_set_health,
    ("batch", "Job"): job_health,
    ("batch", "CronJob"): cron_job_health,
    ("", "Pod"): pod_health,
    ("", "PersistentVolumeClaim"): volume_claim_health,
    ("networking.k8s.io", "Ingress"): ingress_health,
    ("autoscaling", "HorizontalPodAutoscaler"): autoscaler_health,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): definition_health,
}

# Built-in kinds that have nothing to wait for: they are done once the API server has them.
_PLAIN_KINDS = {
    ("", "Namespace"),
    ("", "ConfigMap"),
    ("", "Secret"),
    ("", "ServiceAccount"),
    ("", "Endpoints"),
    ("", "LimitRange"),
    ("", "ResourceQuota"),
    ("", "PersistentVolume"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("networking.k8s.io", "IngressClass"),
    ("policy", "PodDisruptionBudget"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("storage.k8s.io", "StorageClass"),
    ("discovery.k8s.io", "EndpointSlice"),
}


def health_of(obj: KubeObject | None, options: HealthOptions = DEFAULT_OPTIONS) -> Health:
    """The health of one object as read from the cluster; ``None`` (not found) is MISSING."""
    if obj is None:
        return Health.missing()
    if not kind_of(obj):
        return Health.unknown("object has no kind")
    deleted = text(obj, "metadata", "deletionTimestamp")
    if deleted:
        return Health.progressing(f"being deleted since {deleted}")
    return check_for(obj, options)(obj)


def done_once_applied(obj: KubeObject) -> bool:
    """Whether ``obj``'s kind is healthy as soon as it exists: an apply that succeeded says
    all there is to know, and a wait need not read it back."""
    return check_for(obj) is exists_health


def check_for(obj: KubeObject, options: HealthOptions = DEFAULT_OPTIONS) -> Check:
    key = (group_of(obj), kind_of(obj))
    if key == ("", "Service"):
        return lambda service: service_health(service, options)
    if key in _PLAIN_KINDS:
        return exists_health
    return _CHECKS.get(key, custom_resource_health)
