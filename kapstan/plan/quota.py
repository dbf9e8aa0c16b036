"""An environment's quota: what it holds, how it is checked, and the objects it becomes.

Stored as JSON in ``environments.quota``::

    {"hard": {"requests.cpu": "4", "pods": "50",
              "standard.storageclass.storage.k8s.io/requests.storage": "100Gi"},
     "container": {"default": {"cpu": "500m"}, "defaultRequest": {"memory": "128Mi"}},
     "applied": [inventory entries of the objects applied for it]}

``hard`` is a ResourceQuota's ``spec.hard`` (kept as the user wrote each quantity);
``container`` is the LimitRange item of type Container (defaults, default requests, min
and max per container). Rendered as ResourceQuota ``kapstan-quota`` and LimitRange
``kapstan-limits`` in the environment's namespace, labelled as Kapstan's and the
environment's: the only objects ``kapstan env quota`` ever prunes (with the uid recorded
in ``applied``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kapstan.errors import InputError
from kapstan.model.rendered import KubeObject
from kapstan.plan import quantities
from kapstan.render import labels

QUOTA_NAME = "kapstan-quota"
LIMITS_NAME = "kapstan-limits"
ENVIRONMENT_LABEL = "kapstan.io/environment"
CLASS_INFIX = ".storageclass.storage.k8s.io/"
CLASS_RESOURCES = ("requests.storage", "persistentvolumeclaims")
COMPUTE = (
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
    "requests.storage",
    "requests.ephemeral-storage",
    "limits.ephemeral-storage",
)
COUNTS = (
    "pods",
    "services",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "replicationcontrollers",
    "resourcequotas",
    "services.loadbalancers",
    "services.nodeports",
)
# Kubernetes reads "cpu" as "requests.cpu" in a quota: stored under the one name.
ALIASES = {
    "cpu": "requests.cpu",
    "memory": "requests.memory",
    "ephemeral-storage": "requests.ephemeral-storage",
}
CONTAINER_FIELDS = ("default", "defaultRequest", "min", "max")
CONTAINER_RESOURCES = ("cpu", "memory", "ephemeral-storage")
_COUNT_KEY = re.compile(r"^count/[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")
_CLASS_NAME = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")


@dataclass(frozen=True)
class Quota:
    """``hard``: quota key -> quantity; ``container``: LimitRange field -> resource -> quantity."""

    hard: Mapping[str, str] = field(default_factory=dict)
    container: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.hard and not any(self.container.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "hard": dict(sorted(self.hard.items())),
            "container": {f: dict(sorted(v.items())) for f, v in self.container.items() if v},
        }


def class_key(storage_class: str, resource: str) -> str:
    """The quota key of ``resource`` (requests.storage or persistentvolumeclaims) in a class."""
    return f"{storage_class}{CLASS_INFIX}{resource}"


def check_key(key: str, where: str) -> str:
    """``key`` as stored (aliases resolved); InputError naming ``where`` if Kubernetes has no
    such quota resource."""
    key = ALIASES.get(key, key)
    if key in COMPUTE or key in COUNTS or _COUNT_KEY.match(key):
        return key
    storage_class, infix, resource = key.partition(CLASS_INFIX)
    if infix and resource in CLASS_RESOURCES and _CLASS_NAME.match(storage_class):
        return key
    known = ", ".join((*COMPUTE, *COUNTS))
    raise InputError(
        f"{where}: {key!r} is not a quota resource; use one of {known}, count/RESOURCE[.GROUP] "
        f"or CLASS{CLASS_INFIX}requests.storage|persistentvolumeclaims"
    )


def check_value(key: str, text: object, where: str) -> str:
    """The quantity as text; InputError naming ``where`` if it does not fit ``key``."""
    if key in COUNTS or key.startswith("count/") or key.endswith("/persistentvolumeclaims"):
        quantities.count(text, where)
    else:
        quantities.parse(text, where)
    return str(text).strip()


def check_container_entry(field_name: str, resource: str, text: object, where: str) -> str:
    if field_name not in CONTAINER_FIELDS:
        raise InputError(
            f"{where}: {field_name!r} is not a container limit; use one of "
            f"{', '.join(CONTAINER_FIELDS)}"
        )
    if resource not in CONTAINER_RESOURCES:
        raise InputError(
            f"{where}: {resource!r} is not a container resource; use one of "
            f"{', '.join(CONTAINER_RESOURCES)}"
        )
    quantities.parse(text, where)
    return str(text).strip()


def quota_of(data: Mapping[str, Any] | None, where: str = "quota") -> Quota:
    """The quota in stored or API JSON, checked; InputError naming the first bad key."""
    data = data or {}
    if not isinstance(data, Mapping):
        raise InputError(f"{where} must be an object with 'hard' and 'container'")
    unknown = sorted(set(data) - {"hard", "container", "applied"})
    if unknown:
        raise InputError(f"{where}: unknown field(s) {', '.join(unknown)}; use hard, container")
    hard_in = _mapping(data.get("hard"), f"{where}.hard")
    hard: dict[str, str] = {}
    for key, text in hard_in.items():
        at = f"{where}.hard[{key!r}]"
        stored = check_key(str(key), at)
        hard[stored] = check_value(stored, text, at)
    container: dict[str, dict[str, str]] = {}
    for field_name, entries in _mapping(data.get("container"), f"{where}.container").items():
        at = f"{where}.container.{field_name}"
        for resource, text in _mapping(entries, at).items():
            value = check_container_entry(str(field_name), str(resource), text, f"{at}.{resource}")
            container.setdefault(str(field_name), {})[str(resource)] = value
    quota = Quota(hard, container)
    check_ranges(quota, where)
    return quota


def check_ranges(quota: Quota, where: str) -> None:
    """InputError when a container default lies outside its own min..max (the apiserver
    refuses such a LimitRange)."""
    c = quota.container
    for resource in CONTAINER_RESOURCES:
        low, high = c.get("min", {}).get(resource), c.get("max", {}).get(resource)
        for name in ("default", "defaultRequest"):
            text = c.get(name, {}).get(resource)
            if text is None:
                continue
            value = quantities.parse(text, where)
            if low is not None and value < quantities.parse(low, where):
                raise InputError(
                    f"{where}: container {name} {resource} {text} is below its min {low}"
                )
            if high is not None and value > quantities.parse(high, where):
                raise InputError(
                    f"{where}: container {name} {resource} {text} is above its max {high}"
                )


def changed(
    quota: Quota,
    hard: Mapping[str, str],
    container: Mapping[tuple[str, str], str],
    unset: tuple[str, ...] = (),
) -> Quota:
    """``quota`` with the (already checked) keys of ``hard`` and ``container`` set, and the
    quota keys or ``FIELD.RESOURCE`` container entries of ``unset`` taken out."""
    new_hard = {**quota.hard, **hard}
    new_container = {f: dict(v) for f, v in quota.container.items()}
    for (field_name, resource), text in container.items():
        new_container.setdefault(field_name, {})[resource] = text
    for key in unset:
        field_name, _, resource = key.partition(".")
        if ALIASES.get(key, key) in new_hard:
            del new_hard[ALIASES.get(key, key)]
        elif resource in new_container.get(field_name, {}):
            del new_container[field_name][resource]
        else:
            raise InputError(
                f"unset {key!r}: the quota has no such key (its keys: "
                f"{', '.join(_keys(new_hard, new_container)) or 'none'})"
            )
    result = Quota(new_hard, {f: v for f, v in new_container.items() if v})
    check_ranges(result, "quota")
    return result


def objects(quota: Quota, *, environment: str, namespace: str) -> list[KubeObject]:
    """The ResourceQuota and LimitRange ``quota`` becomes (only those it has content for)."""
    meta_labels = {labels.MANAGED_BY: "kapstan", ENVIRONMENT_LABEL: environment}
    found: list[KubeObject] = []
    if quota.hard:
        found.append(
            {
                "apiVersion": "v1",
                "kind": "ResourceQuota",
                "metadata": _meta(QUOTA_NAME, namespace, meta_labels),
                "spec": {"hard": dict(sorted(quota.hard.items()))},
            }
        )
    item: dict[str, Any] = {"type": "Container"}
    item.update({f: dict(sorted(v.items())) for f, v in quota.container.items() if v})
    if len(item) > 1:
        found.append(
            {
                "apiVersion": "v1",
                "kind": "LimitRange",
                "metadata": _meta(LIMITS_NAME, namespace, meta_labels),
                "spec": {"limits": [item]},
            }
        )
    return found


def owned(live: KubeObject | None, entry: Mapping[str, str], environment: str) -> tuple[bool, str]:
    """May Kapstan delete ``live`` for environment ``environment``? And why not, if not."""
    if live is None:
        return False, "already gone"
    meta = live.get("metadata") or {}
    if entry.get("uid") and meta.get("uid") != entry["uid"]:
        return False, "it was recreated by someone else (uid differs from what Kapstan applied)"
    found = meta.get("labels") or {}
    if found.get(labels.MANAGED_BY) != "kapstan" or found.get(ENVIRONMENT_LABEL) != environment:
        return False, f"it no longer carries Kapstan's labels for environment {environment}"
    return True, ""


def _keys(hard: Mapping[str, str], container: Mapping[str, Mapping[str, str]]) -> list[str]:
    return sorted(hard) + sorted(f"{f}.{r}" for f, v in container.items() for r in v)


def _meta(name: str, namespace: str, meta_labels: Mapping[str, str]) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": dict(meta_labels)}


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(f"{where} must be an object (key: quantity), not {type(value).__name__}")
    return value
