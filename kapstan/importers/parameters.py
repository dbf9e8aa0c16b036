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
        counts.update({(name, value) for name, value in _literal_env(workload.obj)})
    shared: set[str] = set()
    for (name, value), count in counts.most_common():
        if count < 2:
            continue
        targets = referenced(name, value, groups.service_owner, namespaces)
        if targets and name not in shared:
            shared.add(name)
            key = f"{SHARED}.env.{key_part(name)}"
            config[key] = value
            users = _replace(groups, name, value, key)
            report.add(
                f"env {name}",
                f"the value {value!r} names service {', '.join(targets)} in "
                f"{', '.join(users)}: made shared config key {key}",
            )
            continue
        users = _replace(groups, name, value, None)
        keys = [f"{service}.env.{key_part(name)}" for service in users]
        for key in keys:
            config[key] = value
        report.add(
            f"env {name}",
            f"the value {value!r} is set in {', '.join(users)} but names no service: "
            f"not shared (equal by coincidence), made per-service config keys {', '.join(keys)}",
        )


def _literal_env(obj: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(e.get("name")), e["value"])
        for c in containers(obj)
        for e in c.get("env") or []
        if isinstance(e.get("value"), str) and "$" not in e["value"]
    ]


def _replace(groups: Groups, name: str, value: str, shared: str | None) -> list[str]:
    """Put ``${shared}`` (None: ``${<service>.env.<name>}``) where ``name`` is ``value``."""
    users: list[str] = []
    for service, workload in groups.workloads.items():
        for c in containers(workload.obj):
            for e in c.get("env") or []:
                if e.get("name") == name and e.get("value") == value:
                    key = shared or f"{service}.env.{key_part(name)}"
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
