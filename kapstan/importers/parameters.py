"""Literal values offered as config keys: image tags, replica counts, repeated env values.

Each value is replaced by a ``${key}`` placeholder and becomes the key's default in the
``config:`` block: ``<service>.image.tag`` (``<service>.<container>.image.tag`` for a second
container), ``<service>.replicas``, and ``shared.env.<NAME>`` for an environment variable
that several workloads set to the same literal value.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from kapstan.importers.grouping import Groups
from kapstan.importers.names import key_part, split_image
from kapstan.importers.podspecs import containers
from kapstan.importers.result import Report
from kapstan.importers.yamlio import Quoted
from kapstan.model.values import Scalar


def parameterize(groups: Groups, config: dict[str, Scalar], report: Report) -> None:
    for service, workload in groups.workloads.items():
        _images(service, workload.obj, config)
        _replicas(service, workload.obj, config)
    _repeated_env(groups, config, report)
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


def _repeated_env(groups: Groups, config: dict[str, Scalar], report: Report) -> None:
    counts: Counter[tuple[str, str]] = Counter()
    for workload in groups.workloads.values():
        seen = {
            (str(e.get("name")), e["value"])
            for c in containers(workload.obj)
            for e in c.get("env") or []
            if isinstance(e.get("value"), str) and "$" not in e["value"]
        }
        counts.update(seen)
    chosen: dict[str, str] = {}
    for (name, value), count in counts.most_common():
        if count >= 2 and name not in chosen:
            chosen[name] = value
    for name, value in chosen.items():
        key = f"shared.env.{key_part(name)}"
        config[key] = value
        users = []
        for service, workload in groups.workloads.items():
            for c in containers(workload.obj):
                for e in c.get("env") or []:
                    if e.get("name") == name and e.get("value") == value:
                        e["value"] = Quoted(f"${{{key}}}")
                        users.append(service)
        report.add(
            f"env {name}",
            f"the value {value!r} is repeated in {', '.join(dict.fromkeys(users))}: made config key {key}",
        )


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
