"""Label selectors, evaluated as the API server does, and the pods a workload selects.

``matchLabels`` and every ``matchExpressions`` entry must all hold (a logical AND). An
empty selector selects everything; a missing one selects nothing (as for a ReplicaSet).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kapstan.errors import InputError
from kapstan.health.objects import KubeObject, field, items, kind_of, mapping, text


def matches(selector: KubeObject | None, labels: Mapping[str, str]) -> bool:
    """True when ``labels`` satisfy a LabelSelector (``matchLabels``/``matchExpressions``)."""
    if selector is None:
        return False
    wanted = mapping(selector, "matchLabels")
    if any(labels.get(key) != value for key, value in wanted.items()):
        return False
    return all(_holds(expr, labels) for expr in items(selector, "matchExpressions"))


def _holds(expr: KubeObject, labels: Mapping[str, str]) -> bool:
    key, operator = text(expr, "key"), text(expr, "operator")
    values = field(expr, "values") or []
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    raise InputError(
        f"label selector on key {key!r} uses unknown operator {operator!r}; "
        "use In, NotIn, Exists or DoesNotExist"
    )


def selector_of(workload: KubeObject) -> KubeObject | None:
    """The LabelSelector of a workload; a Service's plain map is read as ``matchLabels``."""
    selector = field(workload, "spec", "selector")
    if not isinstance(selector, Mapping):
        return None
    if kind_of(workload) == "Service":
        # An empty Service selector means "no managed endpoints", not "every pod".
        return {"matchLabels": selector} if selector else None
    return selector


def pods_for(workload: KubeObject, pods: Iterable[KubeObject]) -> list[KubeObject]:
    """The pods in the workload's namespace that its selector selects, in input order."""
    selector = selector_of(workload)
    namespace = text(workload, "metadata", "namespace")
    return [
        pod
        for pod in pods
        if text(pod, "metadata", "namespace") == namespace and matches(selector, _labels(pod))
    ]


def _labels(obj: KubeObject) -> Mapping[str, str]:
    return {k: v for k, v in mapping(obj, "metadata", "labels").items() if isinstance(v, str)}
