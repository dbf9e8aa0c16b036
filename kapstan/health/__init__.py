"""Health per kind: a raw Kubernetes object in, a ``Health(status, message)`` out.

One module per kind answers "is it done?" the way its controller and ``kubectl rollout
status`` define it; ``health_of`` picks the module by API group and kind. All pure: the
caller reads the objects (see ``kapstan.kube``) and passes plain dicts.
"""

from kapstan.health.dispatch import done_once_applied, health_of
from kapstan.health.explain import explain_failure, worst_pods
from kapstan.health.selectors import matches, pods_for
from kapstan.model.health import Health, HealthOptions, HealthStatus

__all__ = [
    "Health",
    "HealthOptions",
    "HealthStatus",
    "done_once_applied",
    "explain_failure",
    "health_of",
    "matches",
    "pods_for",
    "worst_pods",
]
