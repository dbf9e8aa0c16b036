"""Literal values offered as config keys: image tags, replica counts, repeated env values.

Each value is replaced by a ``${key}`` placeholder and becomes the key's default in the
``config:`` block: ``<service>.image.tag`` (``<service>.<container>.image.tag`` for a second
container), ``<service>.replicas``, and for an environment variable that several workloads
set to the same literal value ``shared.env.<NAME>`` when that value names a service, else
``<service>.env.<NAME>`` each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from typing import Any

from kapstan.importers.grouping import SHARED, Groups
from kapstan.importers.names import key_part, split_image
from kapstan.importers.podspecs import containers
from kapstan.importers.references import referenced
from kapstan.importers.result import Report
from kapstan.importers.yamlio import Quoted
from kapstan.model.values import Scalar


def parameterize(
    groups: Groups, config: dict[str, Scalar], report: Report, namespaces: Collection[str] = ()
) -> None:
    for service, workload in groups.workloads.items():
        _images(service, workload.obj, config)
        _replicas(service, workload.obj, config)
    _repeated_env(groups, config, report, namespaces)
    _repeated_tags(config, report)


def _images(service: str, obj: dict[str, Any], config: dict[str, Scalar]) -> None:
    for index, container in enumerate(containers(obj)):
        image = container.get("image")
        if not isinstance(image, str) or "$" in image:
            continue
        repo, tag = split_image(image)
        if tag is None:
            continue
        prefix = (
            service if index == 0 else f"{service}.{key_part(str(container.get('name', index)))}"
        )
        key = f"{prefix}.image.tag"
        if key in config:
            continue
        config[key] = tag
        container["image"] = Quoted(f"{repo}:${{{key}}}")


def _replicas(service: str, obj: dict[str, Any], config: dict[str, Scalar]) -> None:
    spec = obj.get("spec")
    if (
        isinstance(spec, dict)
        and isinstance(spec.get("replicas"), int)
        and not isinstance(spec["replicas"], bool)
    ):
        key = f"{service}.replicas"
        config[key] = spec["replicas"]
        spec["replicas"] = f"${{{key}}}"


def _repeated_env(
    groups: Groups, config: dict[str, Scalar], report: Report, namespaces: Collection[str]
) -> None:
    """An env value several workloads set becomes a key; shared only when it means the same.

    ``DB_HOST=postgres`` in two workloads names the same service: one key, so a rename of
    that service is one change. ``PORT=8080`` in two workloads is equal by coincidence:
    each gets its own key, so changing one service's port leaves the other alone.
    """
    counts: Counter[tuple[str, str]] = Counter()
    for workload in groups.workloads.values():
        counts.update(dict.fromkeys(_literal_env(workload.obj), 1))
    shared: set[str] = set()
    # Most used first, then by name and value: the same keys on every import.
    for (name, value), count in sorted(counts.items(), key=lambda c: (-c[1], c[0])):
        if count < 2:
            continue
        targets = referenced(name, value, groups.service_owner, namespaces)
        if targets and name not in shared:
            shared.add(name)
            key = f"{SHARED}.env.{key_part(name)}"
            users = _replace(groups, name, value, key, config)
            report.add(
                f"env {name}",
                f"the value {value!r} names service {', '.join(targets)} in "
                f"{', '.join(users)}: made shared config key {key}",
            )
            continue
        users = _replace(groups, name, value, None, config)
        if not users:
            continue  # each user's key already holds another value: kept literal
        keys = [f"{service}.env.{key_part(name)}" for service in users]
        why = (
            f"{name} already shares a key for another value"
            if targets
            else "names no service: not shared (equal by coincidence)"
        )
        report.add(
            f"env {name}",
            f"the value {value!r} is set in {', '.join(users)} but {why}, "
            f"made per-service config keys {', '.join(keys)}",
        )


def _literal_env(obj: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(e.get("name")), e["value"])
        for c in containers(obj)
        for e in c.get("env") or []
        if isinstance(e.get("value"), str) and "$" not in e["value"]
    ]


def _replace(
    groups: Groups, name: str, value: str, shared: str | None, config: dict[str, Scalar]
) -> list[str]:
    """Put ``${shared}`` (None: ``${<service>.env.<name>}``) where ``name`` is ``value``,
    the key in ``config``; the services changed. A service whose key already holds another
    value (two containers, two values) keeps this one literal."""
    users: list[str] = []
    for service, workload in groups.workloads.items():
        key = shared or f"{service}.env.{key_part(name)}"
        if config.get(key, value) != value:
            continue
        for c in containers(workload.obj):
            for e in c.get("env") or []:
                if e.get("name") == name and e.get("value") == value:
                    config[key] = value
                    e["value"] = Quoted(f"${{{key}}}")
                    if service not in users:
                        users.append(service)
    return users


def _repeated_tags(config: dict[str, Scalar], report: Report) -> None:
    users: dict[str, list[str]] = {}
    for key, value in config.items():
        if key.endswith(".image.tag") and value != "latest":
            users.setdefault(str(value), []).append(key)
    for tag, keys in users.items():
        if len(keys) >= 2:
            report.add(
                f"image tag {tag}",
                f"used by {len(keys)} images: keys {', '.join(keys)} (set them together for a release)",
            )
