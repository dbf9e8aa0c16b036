"""The services a rule selects, and how their pods are found among the node's log files.

A pod's logs are in ``/var/log/pods/<namespace>_<pod>_<uid>/<container>/<restarts>.log``;
its name is its workload's name plus what the controller adds, so each workload kind has
its own pod-name pattern (``api`` must not take the pods of ``api-gateway``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kapstan.errors import InputError
from kapstan.model.logrules import LogRule
from kapstan.model.rendered import KubeObject

# What the controllers append to the workload's name (Kubernetes' name generators:
# 5 random characters; a ReplicaSet's pod-template-hash; a StatefulSet's ordinal; a
# CronJob's scheduled minute; an indexed Job's index).
POD_NAME_SUFFIX = {
    "Deployment": r"-[a-z0-9]{1,10}-[a-z0-9]{5}",
    "ReplicaSet": r"-[a-z0-9]{5}",
    "StatefulSet": r"-[0-9]+",
    "DaemonSet": r"-[a-z0-9]{5}",
    "Job": r"(-[0-9]+)?-[a-z0-9]{5}",
    "CronJob": r"-[0-9]+(-[0-9]+)?-[a-z0-9]{5}",
    "Pod": "",
}


@dataclass(frozen=True)
class Mount:
    """An emptyDir volume ``volume`` mounted at ``path`` in ``container``."""

    container: str
    path: str
    volume: str


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    containers: tuple[str, ...]
    mounts: tuple[Mount, ...] = ()

    @property
    def pod_pattern(self) -> str:
        """RE2 pattern of the names of this workload's pods."""
        return _re_escape(self.name) + POD_NAME_SUFFIX[self.kind]


@dataclass(frozen=True)
class ServiceTarget:
    """One deployed service of an application, with the workloads that make its pods."""

    app: str
    service: str
    workloads: tuple[Workload, ...]


def workloads_of(objects: Sequence[KubeObject]) -> tuple[Workload, ...]:
    """The pod-making objects among a service's manifests, with containers and emptyDirs."""
    found = []
    for obj in objects:
        kind = str(obj.get("kind", ""))
        if kind not in POD_NAME_SUFFIX:
            continue
        pod = _pod_spec(obj)
        containers = [c for c in pod.get("containers") or [] if isinstance(c, Mapping)]
        empty = {
            v.get("name")
            for v in pod.get("volumes") or []
            if isinstance(v, Mapping) and "emptyDir" in v
        }
        mounts = tuple(
            Mount(str(c.get("name")), str(m.get("mountPath")), str(m.get("name")))
            for c in containers
            for m in c.get("volumeMounts") or []
            if isinstance(m, Mapping) and m.get("name") in empty
        )
        names = tuple(str(c.get("name")) for c in containers)
        meta = obj.get("metadata") or {}
        found.append(Workload(kind, str(meta.get("name", "")), names, mounts))
    return tuple(found)


def _pod_spec(obj: KubeObject) -> Mapping[str, Any]:
    spec: Any = obj.get("spec") or {}
    kind = obj.get("kind")
    if kind == "Pod":
        return spec if isinstance(spec, Mapping) else {}
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    template = spec.get("template") or {}
    pod = template.get("spec") if isinstance(template, Mapping) else None
    return pod if isinstance(pod, Mapping) else {}


def selected(rule: LogRule, targets: Sequence[ServiceTarget]) -> list[ServiceTarget]:
    """The targets ``rule`` selects: all when it names none; ``service`` in any app;
    ``app/service`` exactly."""
    if not rule.services:
        return list(targets)
    return [t for t in targets if _named(rule, t)]


def _named(rule: LogRule, target: ServiceTarget) -> bool:
    return any(ref in (target.service, f"{target.app}/{target.service}") for ref in rule.services)


def unmatched(rule: LogRule, targets: Sequence[ServiceTarget]) -> list[str]:
    """The service names of ``rule`` that select no deployed service (a typo, or not yet
    deployed), for the warning a show or an apply prints."""
    return [
        ref
        for ref in rule.services
        if not any(ref in (t.service, f"{t.app}/{t.service}") for t in targets)
    ]


def check_services(rule: LogRule, known: Sequence[str]) -> None:
    """InputError when a template rule names a service the template does not have."""
    for ref in rule.services:
        if ref not in known:
            raise InputError(
                f"{rule.where}: log rule {rule.name!r}: field 'services': {ref!r} is not a "
                f"service of this template (services: {', '.join(known)})"
            )


def _re_escape(text: str) -> str:
    # Names are DNS labels or subdomains: only '.' means something in a pattern.
    return text.replace(".", r"\.")
