"""Helm charts (a chart folder or a .tgz) to Kapstan templates.

The pipeline: check the chart and values files -> ``helm template`` with the real values ->
again with sentinel values (see ``helmvalues``) -> trace the values that were set into
``${values.<path>}`` placeholders with config keys -> split into services like plain
manifests (``manifests.translate_documents``).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kapstan.errors import InputError
from kapstan.importers.helmbin import require_helm
from kapstan.importers.helmvalues import Leaf, Tracer, deep_merge, leaves, traceable, with_sentinels
from kapstan.importers.manifestload import Doc, parse_manifests
from kapstan.importers.manifests import translate_documents
from kapstan.importers.names import dns_label
from kapstan.importers.result import ImportResult, Report
from kapstan.importers.sources import read_text
from kapstan.importers.yamlio import dump, load_documents
from kapstan.model.values import Scalar
from kapstan.templates.folders import check_links

RENDER_TIMEOUT = 120


def import_helm(
    chart: str | os.PathLike[str],
    *,
    values: Sequence[str | os.PathLike[str]] = (),
    name: str | None = None,
    helm: Path | None = None,
) -> ImportResult:
    """Render ``chart`` with ``values`` files and translate it; the values set become keys."""
    chart_path = _check_chart(Path(chart))
    user_values = _read_values([Path(v) for v in values])
    binary = helm or require_helm()
    release = dns_label(name or _chart_name(chart_path), "release")
    report = Report()
    real = _render(binary, release, chart_path, [Path(v) for v in values], report)
    found = [leaf for leaf in leaves(user_values) if traceable(leaf)]
    for leaf in leaves(user_values):
        if not traceable(leaf):
            report.add(
                f"values {leaf.key}",
                f"{leaf.value!r} kept literal: booleans and nulls steer template logic",
            )
    docs, config = _trace(binary, release, chart_path, values, real, found, user_values, report)
    return translate_documents(docs, release, report, {"default"}, config, prefix=release)


def _check_chart(path: Path) -> Path:
    if path.is_dir() and (path / "Chart.yaml").is_file():
        check_links(path)  # helm follows a chart's links: none may leave the chart folder
        return path
    if path.is_file() and path.name.endswith((".tgz", ".tar.gz")):
        return path
    raise InputError(f"{path}: not a chart (a folder with Chart.yaml, or a .tgz)")


def _chart_name(path: Path) -> str:
    if path.is_dir():
        for _, data in load_documents(read_text(path / "Chart.yaml"), str(path / "Chart.yaml")):
            if isinstance(data, dict) and data.get("name"):
                return str(data["name"])
    return path.name.split(".tgz")[0].rsplit("-", 1)[0]


def _read_values(files: list[Path]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for file in files:
        for _, data in load_documents(read_text(file), str(file)):
            if not isinstance(data, dict):
                raise InputError(f"{file}: a values file must be a mapping")
            merged = deep_merge(merged, data)
    return merged


def _render(
    binary: Path, release: str, chart: Path, values: list[Path], report: Report
) -> list[Doc]:
    args = [str(binary), "template", release, str(chart)]
    for file in values:
        args += ["--values", str(file)]
    try:
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=RENDER_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise InputError(f"{chart}: helm template took longer than {RENDER_TIMEOUT}s") from None
    if done.returncode != 0:
        raise InputError(f"{chart}: helm template failed: {done.stderr.strip()}")
    return _split(done.stdout, report)


def _split(output: str, report: Report) -> list[Doc]:
    """Rendered documents, each named by its ``# Source:`` template."""
    docs: list[Doc] = []
    for chunk in output.split("\n---"):
        source = next(
            (
                ln.split(":", 1)[1].strip()
                for ln in chunk.splitlines()
                if ln.startswith("# Source:")
            ),
            "helm output",
        )
        docs.extend(
            parse_manifests(chunk, source, f"helm template output ({source})", report, set())
        )
    return docs


def _trace(
    binary: Path,
    release: str,
    chart: Path,
    values: Sequence[str | os.PathLike[str]],
    real: list[Doc],
    found: list[Leaf],
    user_values: dict[str, Any],
    report: Report,
) -> tuple[list[Doc], dict[str, Scalar]]:
    if not found:
        return real, {}
    with tempfile.TemporaryDirectory(prefix="kapstan-helm-") as tmp:
        marked_file = Path(tmp) / "sentinels.yaml"
        marked_file.write_text(dump(with_sentinels(user_values, found)))
        try:
            marked = _render(binary, release, chart, [*map(Path, values), marked_file], Report())
        except InputError as err:
            report.add(
                f"chart {chart.name}",
                f"values kept literal: rendering with traced values failed ({err})",
            )
            return real, {}
    if [(d.kind, d.source) for d in marked] != [(d.kind, d.source) for d in real]:
        report.add(
            f"chart {chart.name}",
            "values kept literal: the chart renders other objects when values change",
        )
        return real, {}
    tracer = Tracer(found)
    for doc, mark in zip(real, marked, strict=True):
        doc.obj = tracer.trace(doc.obj, mark.obj)
    config: dict[str, Scalar] = {}
    for index, leaf in enumerate(found):
        if index in tracer.used:
            config[leaf.key] = leaf.value
        else:
            report.add(
                f"values {leaf.key}",
                "not traced to a manifest field (used in logic or transformed): kept literal",
            )
    return real, config
