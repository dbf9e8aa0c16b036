"""Plain Kubernetes manifests (a file or a folder) to a Kapstan template.

The pipeline: load objects -> group them into services by workload -> infer dependencies
from environment values, ConfigMap values and command lines that name another service's
Service -> turn image tags, replica counts and repeated env values into config keys ->
assemble and parse.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from kapstan.errors import InputError
from kapstan.importers.assembly import ServiceOut, assemble
from kapstan.importers.grouping import SHARED, Groups, group
from kapstan.importers.manifestload import Doc, load_manifests, manifest_files, unescaped
from kapstan.importers.names import dns_label
from kapstan.importers.parameters import parameterize
from kapstan.importers.podspecs import command_values, env_values, references
from kapstan.importers.proof import prove
from kapstan.importers.references import referenced
from kapstan.importers.result import ImportResult, Report
from kapstan.importers.sources import read_text
from kapstan.importers.yamlio import load_documents
from kapstan.model.template import TEMPLATE_FILE
from kapstan.model.values import Scalar


def import_manifests(path: str | os.PathLike[str], *, name: str | None = None) -> ImportResult:
    """Translate the manifests at ``path`` (a file, or a folder read recursively)."""
    root = Path(path)
    _refuse_template(root)
    report = Report()
    docs, namespaces = load_manifests(root, report)
    default = root.resolve().stem if root.is_file() else root.resolve().name
    wanted = name or default
    if dns_label(wanted, "imported") != wanted:
        report.add(
            f"template {wanted}",
            f"named {dns_label(wanted, 'imported')}: a template name must be a DNS label",
        )
    source = tuple(unescaped(d.obj) for d in docs)  # before translating changes them
    result = translate_documents(docs, wanted, report, namespaces)
    return prove(replace(result, source_objects=source))


def _refuse_template(root: Path) -> None:
    """A Kapstan template folder (``root`` or one below it) is not plain manifests: say so,
    and which command reads it."""
    for file in manifest_files(root):
        if file.name != TEMPLATE_FILE:
            continue
        documents = load_documents(read_text(file), str(file))
        data = documents[0][1] if len(documents) == 1 else None
        if isinstance(data, dict) and "services" in data and "apiVersion" not in data:
            raise InputError(
                f"{file}: this is a Kapstan template (kapstan.yaml with services:), not plain "
                f"manifests: save it with `kapstan template import {file.parent}`"
            )


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
    parameterize(groups, keys, report, namespaces)
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
        values = [(name, value, f"{name}={value}") for name, value in env_values(workload.obj)]
        for kind, ref in references(workload.obj):
            data = (config_maps.get(ref) or {}).get("data") if kind == "ConfigMap" else None
            values += [
                (str(k), v, f"{k}={v}") for k, v in (data or {}).items() if isinstance(v, str)
            ]
        # A word of a command line names a service too: ``--cache-server=tcp://redis:6379``.
        values += [
            (name, word, f"command line {word}") for name, word in command_values(workload.obj)
        ]
        for name, value, shown in values:
            for target in referenced(name, value, groups.service_owner, namespaces):
                if target != service and target not in outs[service].depends_on:
                    outs[service].depend(target)
                    outs[service].call(target)
                    report.add(
                        f"{workload.source}: {workload.kind} {workload.name}",
                        f"dependsOn and calls {target} inferred from {shown}",
                    )
