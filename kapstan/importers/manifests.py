"""Plain Kubernetes manifests (a file or a folder) to a Kapstan template.

The pipeline: load objects -> group them into services by workload -> infer dependencies
from environment and ConfigMap values that name another service's Service -> turn image
tags, replica counts and repeated env values into config keys -> assemble and parse.
"""

from __future__ import annotations

import os
from pathlib import Path

from kapstan.importers.assembly import ServiceOut, assemble
from kapstan.importers.grouping import SHARED, Groups, group
from kapstan.importers.manifestload import Doc, load_manifests
from kapstan.importers.parameters import parameterize
from kapstan.importers.podspecs import env_values, references
from kapstan.importers.references import referenced
from kapstan.importers.result import ImportResult, Report
from kapstan.model.values import Scalar


def import_manifests(path: str | os.PathLike[str], *, name: str | None = None) -> ImportResult:
    """Translate the manifests at ``path`` (a file, or a folder read recursively)."""
    root = Path(path)
    report = Report()
    docs, namespaces = load_manifests(root, report)
    default = root.resolve().stem if root.is_file() else root.resolve().name
    return translate_documents(docs, name or default, report, namespaces)


def translate_documents(
    docs: list[Doc],
    name: str,
    report: Report,
    namespaces: set[str],
    config: dict[str, Scalar] | None = None,
    prefix: str = "",
) -> ImportResult:
    """Group ``docs`` into services and assemble the template (shared with the Helm importer)."""
    groups = group(docs, report, prefix)
    outs = {s: ServiceOut(s, [d.obj for d in members]) for s, members in groups.members.items()}
    for service in groups.uses_shared:
        outs[service].depend(SHARED)
    _infer_dependencies(groups, docs, outs, namespaces, report)
    keys: dict[str, Scalar] = dict(config or {})
    parameterize(groups, keys, report)
    ordered = sorted(outs.values(), key=lambda s: s.name != SHARED)
    return assemble(name, ordered, keys, report)


def _infer_dependencies(
    groups: Groups,
    docs: list[Doc],
    outs: dict[str, ServiceOut],
    namespaces: set[str],
    report: Report,
) -> None:
    config_maps = {d.name: d.obj for d in docs if d.kind == "ConfigMap"}
    for service, workload in groups.workloads.items():
        values = list(env_values(workload.obj))
        for kind, ref in references(workload.obj):
            data = (config_maps.get(ref) or {}).get("data") if kind == "ConfigMap" else None
            values += [(str(k), v) for k, v in (data or {}).items() if isinstance(v, str)]
        for env_name, value in values:
            for target in referenced(env_name, value, groups.service_owner, namespaces):
                if target != service and target not in outs[service].depends_on:
                    outs[service].depend(target)
                    outs[service].call(target)
                    report.add(
                        f"{workload.source}: {workload.kind} {workload.name}",
                        f"dependsOn and calls {target} inferred from {env_name}={value}",
                    )
