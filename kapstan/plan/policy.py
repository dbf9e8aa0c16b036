"""The resource policy: workloads without CPU/memory requests and limits, warned or refused.

Chosen per environment by the config key ``kapstan.resourcePolicy`` (``off``, ``warn`` or
``reject``; default ``warn``), so production can refuse what development tolerates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from kapstan.errors import InputError
from kapstan.model.rendered import KubeObject, RenderedService
from kapstan.model.values import Value

POLICY_KEY = "kapstan.resourcePolicy"
Policy = Literal["off", "warn", "reject"]
POLICIES: tuple[Policy, ...] = ("off", "warn", "reject")
_NEEDED = (("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory"))


@dataclass(frozen=True)
class Violation:
    service: str
    workload: str
    container: str
    missing: tuple[str, ...]

    def describe(self) -> str:
        return (
            f"service {self.service!r}: {self.workload} container {self.container!r} has no "
            f"{', '.join(self.missing)}"
        )


def policy_of(values: Mapping[str, Value]) -> Policy:
    raw = values.get(POLICY_KEY, "warn")
    for p in POLICIES:
        if raw == p:
            return p
    raise InputError(f"config key {POLICY_KEY} must be one of {', '.join(POLICIES)}, not {raw!r}")


def _pod_spec(obj: KubeObject) -> Mapping[str, object]:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    if obj.get("kind") == "Pod":
        return spec
    return (spec.get("template") or {}).get("spec") or {}


def violations(services: Sequence[RenderedService]) -> list[Violation]:
    out = []
    for svc in services:
        for obj in svc.objects:
            if obj.get("kind") not in (
                "Deployment",
                "StatefulSet",
                "DaemonSet",
                "Job",
                "CronJob",
                "Pod",
            ):
                continue
            containers = _pod_spec(obj).get("containers") or []
            for c in containers if isinstance(containers, list) else []:
                resources = c.get("resources") or {}
                missing = tuple(
                    f"{kind}.{what}"
                    for kind, what in _NEEDED
                    if what not in (resources.get(kind) or {})
                )
                if missing:
                    out.append(
                        Violation(
                            svc.name,
                            f"{obj['kind']} {obj['metadata']['name']}",
                            str(c.get("name")),
                            missing,
                        )
                    )
    return out


def enforce(policy: Policy, found: Sequence[Violation]) -> list[str]:
    """Warnings to show (``warn``), or InputError listing every violation (``reject``)."""
    if policy == "off" or not found:
        return []
    lines = [v.describe() for v in found]
    if policy == "reject":
        raise InputError(
            f"resource policy 'reject' ({POLICY_KEY}) refuses {len(found)} container(s) without requests "
            "and limits; nothing was applied:\n  " + "\n  ".join(lines)
        )
    return lines
