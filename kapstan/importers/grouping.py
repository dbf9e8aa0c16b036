"""Grouping objects into services: one workload each, with the objects that belong to it.

A Service belongs to the workload its selector picks; ConfigMaps, Secrets, PVCs and
ServiceAccounts to the one workload that uses them (used by several: the ``shared``
service, which they then depend on); an HPA to its scale target; an Ingress to the owner
of its first backend; a PodDisruptionBudget or NetworkPolicy to the workload it selects.
Namespaced leftovers go to ``shared``; cluster-scoped objects are reported, not imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kapstan.importers.manifestload import Doc
from kapstan.importers.names import dns_label, unique
from kapstan.importers.podspecs import WORKLOAD_KINDS, pod_labels, references, selects
from kapstan.importers.result import Report

SHARED = "shared"
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "StorageClass",
        "PersistentVolume",
        "PriorityClass",
        "IngressClass",
        "RuntimeClass",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "APIService",
        "CSIDriver",
        "Node",
        "ClusterIssuer",
    }
)


@dataclass
class Groups:
    """Service name -> its docs (workload first), and Service object name -> owner."""

    members: dict[str, list[Doc]] = field(default_factory=dict)
    workloads: dict[str, Doc] = field(default_factory=dict)
    service_owner: dict[str, str] = field(default_factory=dict)
    uses_shared: set[str] = field(default_factory=set)


def group(docs: list[Doc], report: Report, prefix: str = "") -> Groups:
    """Group ``docs``; a workload named ``<prefix>-x`` makes service ``x`` (Helm releases)."""
    groups = Groups()
    owner: dict[int, str] = {}
    taken: set[str] = {SHARED}
    for doc in docs:
        if doc.kind in WORKLOAD_KINDS:
            wanted = _unprefixed(doc.name, prefix)
            name = dns_label(wanted)
            name = unique(name if name not in taken else f"{name}-{doc.kind.lower()}", taken)
            if name != wanted:
                report.add(f"{doc.source}: {doc.kind} {doc.name}", _renamed(wanted, name))
            groups.workloads[name] = doc
            groups.members[name] = [doc]
            owner[id(doc)] = name
    _assign_services(docs, groups, owner, report)
    _assign_references(docs, groups, owner, report)
    _assign_by_target(docs, groups, owner, report)
    for doc in docs:
        if id(doc) in owner:
            continue
        if doc.kind in CLUSTER_SCOPED:
            report.add(
                f"{doc.source}: {doc.kind} {doc.name}",
                "not imported: cluster-scoped; Kapstan deploys into one namespace per environment",
            )
            continue
        groups.members.setdefault(SHARED, []).append(doc)
        owner[id(doc)] = SHARED
        report.add(
            f"{doc.source}: {doc.kind} {doc.name}", f"used by no workload: put in service {SHARED}"
        )
    for name, members in groups.members.items():
        if name != SHARED:
            members.sort(key=lambda d: d.kind not in WORKLOAD_KINDS)
    return groups


def _renamed(wanted: str, name: str) -> str:
    """Why service ``name`` is not called ``wanted`` (its objects keep their own names)."""
    if wanted == SHARED:
        why = f"{SHARED} is the service that holds objects several workloads use"
    elif dns_label(wanted) != wanted:
        why = "a service name must be a DNS label"
    else:
        why = f"another workload is already service {wanted}"
    return f"service named {name}, not {wanted}: {why} (the objects keep their names)"


def _assign_services(
    docs: list[Doc], groups: Groups, owner: dict[int, str], report: Report
) -> None:
    for doc in docs:
        if doc.kind != "Service":
            continue
        selector = (doc.obj.get("spec") or {}).get("selector") or {}
        matches = [n for n, w in groups.workloads.items() if selects(selector, pod_labels(w.obj))]
        if not matches:
            continue
        if len(matches) > 1:
            report.add(
                f"{doc.source}: Service {doc.name}",
                f"selects the pods of {', '.join(matches)}: put with {matches[0]}",
            )
        _own(groups, owner, doc, matches[0])
        groups.service_owner[doc.name] = matches[0]


def _assign_references(
    docs: list[Doc], groups: Groups, owner: dict[int, str], report: Report
) -> None:
    users: dict[tuple[str, str], list[str]] = {}
    for name, workload in groups.workloads.items():
        for ref in references(workload.obj):
            users.setdefault(ref, []).append(name)
        if workload.kind == "StatefulSet":
            for claim in (workload.obj.get("spec") or {}).get("volumeClaimTemplates") or []:
                report.add(
                    f"{workload.source}: StatefulSet {workload.name}",
                    f"volumeClaimTemplate {(claim.get('metadata') or {}).get('name')}: PVCs are made by the StatefulSet, one per pod",
                )
    for doc in docs:
        who = users.get((doc.kind, doc.name))
        if not who or id(doc) in owner:
            continue
        if len(who) == 1:
            _own(groups, owner, doc, who[0])
            continue
        groups.members.setdefault(SHARED, []).append(doc)
        owner[id(doc)] = SHARED
        groups.uses_shared.update(who)
        report.add(
            f"{doc.source}: {doc.kind} {doc.name}",
            f"used by {', '.join(who)}: put in service {SHARED}, which they depend on",
        )


def _assign_by_target(
    docs: list[Doc], groups: Groups, owner: dict[int, str], report: Report
) -> None:
    by_kind_name = {(w.kind, w.name): n for n, w in groups.workloads.items()}
    for doc in docs:
        if id(doc) in owner:
            continue
        spec: dict[str, Any] = doc.obj.get("spec") or {}
        target: str | None = None
        if doc.kind == "HorizontalPodAutoscaler":
            ref = spec.get("scaleTargetRef") or {}
            target = by_kind_name.get((str(ref.get("kind")), str(ref.get("name"))))
        elif doc.kind in ("PodDisruptionBudget", "NetworkPolicy"):
            selector = (
                (spec.get("selector") or spec.get("podSelector") or {}).get("matchLabels")
            ) or {}
            target = next(
                (n for n, w in groups.workloads.items() if selects(selector, pod_labels(w.obj))),
                None,
            )
        elif doc.kind == "Ingress":
            owners = [groups.service_owner[s] for s in _backends(spec) if s in groups.service_owner]
            if len(set(owners)) > 1:
                report.add(
                    f"{doc.source}: Ingress {doc.name}",
                    f"routes to {', '.join(dict.fromkeys(owners))}: put with {owners[0]}, which the others do not wait for",
                )
            target = owners[0] if owners else None
        if target is not None:
            _own(groups, owner, doc, target)


def _backends(spec: dict[str, Any]) -> list[str]:
    names = []
    default = ((spec.get("defaultBackend") or {}).get("service") or {}).get("name")
    if default:
        names.append(str(default))
    for rule in spec.get("rules") or []:
        for path in (rule.get("http") or {}).get("paths") or []:
            name = ((path.get("backend") or {}).get("service") or {}).get("name")
            if name:
                names.append(str(name))
    return names


def _own(groups: Groups, owner: dict[int, str], doc: Doc, service: str) -> None:
    owner[id(doc)] = service
    groups.members[service].append(doc)


def _unprefixed(name: str, prefix: str) -> str:
    return name[len(prefix) + 1 :] if prefix and name.startswith(f"{prefix}-") else name
