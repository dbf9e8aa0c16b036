"""Reading plain manifests: a file or a folder (recursive), one object per document.

Strings are escaped (a literal ``${`` becomes ``$${``) so they render as written; fields a
live cluster adds (status, uid, resourceVersion, managedFields...) and hard-coded namespaces
are removed, since the environment picks the namespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kapstan.errors import InputError
from kapstan.importers.result import Report
from kapstan.importers.sources import read_text
from kapstan.importers.yamlio import load_documents
from kapstan.render.placeholders import escape
from kapstan.templates.folders import resolve_inside

# Fields a live cluster adds to metadata (read from a cluster, a manifest carries them).
SERVER_FIELDS = (
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "managedFields",
    "selfLink",
)
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


@dataclass
class Doc:
    """One object and where it came from (``path:line``)."""

    source: str
    obj: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.obj["kind"])

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])


def manifest_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise InputError(f"{path}: no such file or folder")
    files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    for file in files:  # a link may not bring in a file from outside the folder
        resolve_inside(path, file)
    if not files:
        raise InputError(f"{path}: no .yaml or .yml files found")
    return files


def load_manifests(path: Path, report: Report) -> tuple[list[Doc], set[str]]:
    """Every object under ``path`` and the namespaces they named."""
    docs: list[Doc] = []
    namespaces: set[str] = set()
    for file in manifest_files(path):
        shown = file.relative_to(path).as_posix() if path.is_dir() else file.name
        docs.extend(parse_manifests(read_text(file), shown, str(file), report, namespaces))
    return docs, namespaces


def parse_manifests(
    text: str, shown: str, real: str, report: Report, namespaces: set[str]
) -> list[Doc]:
    """Objects of one file's text; ``shown`` names it in reports, ``real`` in errors."""
    out: list[Doc] = []
    for line, data in load_documents(text, real):
        for obj in _items(data, f"{real}:{line}"):
            doc = Doc(f"{shown}:{line}", escaped(obj))
            ns = _clean(doc.obj)
            if ns:
                namespaces.add(ns)
                report.add(
                    f"{doc.source}: {doc.kind} {doc.name}",
                    f"namespace {ns} removed: the environment's namespace is used",
                )
            out.append(doc)
    return out


def _items(data: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(data, dict):
        raise InputError(
            f"{where}: a manifest must be a mapping with apiVersion, kind and metadata.name"
        )
    if str(data.get("kind", "")).endswith("List") and isinstance(data.get("items"), list):
        return [o for item in data["items"] for o in _items(item, where)]
    for field in ("apiVersion", "kind"):
        if not isinstance(data.get(field), str) or not data[field]:
            raise InputError(
                f"{where}: missing {field}; every manifest needs apiVersion, kind and metadata.name"
            )
    metadata = data.get("metadata")
    if not isinstance(metadata, dict) or not metadata.get("name"):
        raise InputError(f"{where}: {data['kind']} without metadata.name")
    return [data]


def _clean(obj: dict[str, Any]) -> str:
    obj.pop("status", None)
    metadata = obj["metadata"]
    for field in SERVER_FIELDS:
        metadata.pop(field, None)
    annotations = metadata.get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(LAST_APPLIED, None)
        if not annotations:
            metadata.pop("annotations")
    return str(metadata.pop("namespace", "") or "")


def escaped(value: Any) -> Any:
    """``value`` with every string escaped so that it renders literally."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, list):
        return [escaped(v) for v in value]
    if isinstance(value, dict):
        return {k: escaped(v) for k, v in value.items()}
    return value


def unescaped(value: Any) -> Any:
    """A copy of ``value`` as written before ``escaped``: what the source means literally."""
    if isinstance(value, str):
        return value.replace("$${", "${")
    if isinstance(value, list):
        return [unescaped(v) for v in value]
    if isinstance(value, dict):
        return {k: unescaped(v) for k, v in value.items()}
    return value
