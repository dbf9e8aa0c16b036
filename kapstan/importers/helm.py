"""Helm charts (a chart folder or a .tgz) to Kapstan templates.

The pipeline: check the chart and values files -> ``helm template`` for the target
Kubernetes, in a marker namespace (``helmrender``), twice with the real values -> what
differs between those two is chart randomness: generated secrets become secret keys,
random name suffixes go (``helmdrift``) -> hooks: tests dropped, install/upgrade Jobs kept
to be ordered (``helmhooks``) -> render with sentinel values, isolating those the chart
refuses, and trace the rest into ``${values.<path>}`` placeholders with config keys
(``helmvalues``) -> split into services like plain manifests -> hooks ordered by
``dependsOn``, the marker namespace turned into ``${kapstan.namespace}``.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kapstan.errors import InputError
from kapstan.importers.helmbin import require_helm
from kapstan.importers.helmdrift import differences, dotted, random_paths, settle, value_at
from kapstan.importers.helmhooks import Hook, order_hooks, report_hooks, take_hooks
from kapstan.importers.helmrender import MARKER_NAMESPACE, HelmRun, KubeTarget, chart_of
from kapstan.importers.helmvalues import (
    Leaf,
    Tracer,
    deep_merge,
    isolate,
    leaves,
    open_secret,
    shows_stand_in,
    traceable,
    with_sentinels,
)
from kapstan.importers.manifestload import Doc, unescaped
from kapstan.importers.manifests import translate_documents
from kapstan.importers.names import dns_label
from kapstan.importers.proof import prove
from kapstan.importers.result import ImportResult, Report
from kapstan.importers.sources import read_text
from kapstan.importers.yamlio import dump, load_documents
from kapstan.model.template import TEMPLATE_FILE
from kapstan.model.values import Scalar
from kapstan.render.builtins import NAMESPACE_KEY
from kapstan.templates.folders import check_links
from kapstan.templates.parser import parse_template

__all__ = ["KubeTarget", "import_helm"]


def import_helm(
    chart: str | os.PathLike[str],
    *,
    values: Sequence[str | os.PathLike[str]] = (),
    name: str | None = None,
    helm: Path | None = None,
    target: KubeTarget | None = None,
    chart_defaults: bool = False,
) -> ImportResult:
    """Render ``chart`` with ``values`` files for ``target`` and translate it.

    The values set become config keys; with ``chart_defaults`` the chart's own defaults
    (its values.yaml and its subcharts') too. ``target``: the Kubernetes to render for
    (None: helm's own, the version it was built with).
    """
    chart_path = _check_chart(Path(chart))
    files = [Path(v) for v in values]
    user_values = _read_values(files)
    binary = helm or require_helm()
    with tempfile.TemporaryDirectory(prefix="kapstan-helm-") as tmp:
        folder = _unpacked(chart_path, Path(tmp))
        release = dns_label(name or _chart_name(folder), "release")
        run = HelmRun(binary, release, folder, target, chart_path)
        report = Report()
        if target is not None:
            report.add(f"chart {_chart_name(folder)}", f"rendered for {target.describe()}")
        with ThreadPoolExecutor(2) as pool:  # two renderings at once: helm is a process
            second = pool.submit(run.render, files, Report())
            real = run.render(files, report)
            again, _ = take_hooks(second.result(), Report())
        source = tuple(unescaped(d.obj) for d in real)
        real, hooks = take_hooks(real, report)
        random = random_paths(real, again)  # before settle changes the first rendering
        config = settle(real, again, report)
        report_hooks(hooks, report)
        defaults = _chart_defaults(folder, report) if chart_defaults else {}
        plain = Plain(again, random)
        traced = _trace(run, files, real, plain, user_values, defaults, Path(tmp), report)
    result = translate_documents(
        real, release, report, {MARKER_NAMESPACE}, {**config, **traced}, prefix=release
    )
    result = _finish(result, real, hooks, report)
    return prove(replace(result, source_objects=source), source_namespace=MARKER_NAMESPACE)


def _check_chart(path: Path) -> Path:
    if path.is_dir() and (path / "Chart.yaml").is_file():
        check_links(path)  # helm follows a chart's links: none may leave the chart folder
        return path
    if path.is_file() and path.name.endswith((".tgz", ".tar.gz")):
        return path
    raise InputError(f"{path}: not a chart (a folder with Chart.yaml, or a .tgz)")


def _unpacked(chart: Path, tmp: Path) -> Path:
    """The chart folder: ``chart`` itself, or a packaged chart unpacked under ``tmp``."""
    if chart.is_dir():
        return chart
    try:
        with tarfile.open(chart) as archive:
            archive.extractall(tmp / "chart", filter="data")
    except (tarfile.TarError, OSError) as err:
        raise InputError(f"{chart}: not a readable chart archive: {err}") from None
    found = [p.parent for p in (tmp / "chart").glob("*/Chart.yaml")]
    if len(found) != 1:
        raise InputError(f"{chart}: a chart archive holds one folder with Chart.yaml")
    return found[0]


def _chart_name(path: Path) -> str:
    for _, data in load_documents(read_text(path / "Chart.yaml"), str(path / "Chart.yaml")):
        if isinstance(data, dict) and data.get("name"):
            return str(data["name"])
    return path.name


def _read_values(files: list[Path]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for file in files:
        for _, data in load_documents(read_text(file), str(file)):
            if not isinstance(data, dict):
                raise InputError(f"{file}: a values file must be a mapping")
            merged = deep_merge(merged, data)
    return merged


def _chart_defaults(folder: Path, report: Report) -> dict[str, Any]:
    """The chart's values.yaml, with each unpacked subchart's under its name (or alias)."""
    merged = _read_values([folder / "values.yaml"]) if (folder / "values.yaml").is_file() else {}
    aliases = _aliases(folder)
    for sub in sorted((folder / "charts").glob("*")):
        if sub.is_dir() and (sub / "Chart.yaml").is_file():
            name = aliases.get(_chart_name(sub), _chart_name(sub))
            inner = _chart_defaults(sub, report)
            merged = deep_merge({name: inner}, merged) if inner else merged
        elif sub.name.endswith(".tgz"):
            report.add(
                f"chart {folder.name}",
                f"defaults of packaged subchart {sub.name} not made keys: unpack it into charts/",
            )
    return merged


def _aliases(folder: Path) -> dict[str, str]:
    data = load_documents(read_text(folder / "Chart.yaml"), str(folder / "Chart.yaml"))
    chart = data[0][1] if data and isinstance(data[0][1], dict) else {}
    return {
        str(d["name"]): str(d["alias"])
        for d in chart.get("dependencies") or []
        if isinstance(d, dict) and d.get("alias")
    }


@dataclass(frozen=True)
class Plain:
    """The second rendering with the real values, and where the chart is random."""

    docs: list[Doc]
    random: set[tuple[int, tuple[str | int, ...]]]


def _trace(
    run: HelmRun,
    files: list[Path],
    real: list[Doc],
    plain: Plain,
    user_values: dict[str, Any],
    defaults: dict[str, Any],
    tmp: Path,
    report: Report,
) -> dict[str, Scalar]:
    """Config keys for the values found in the manifests; every other value reported."""
    merged = deep_merge(defaults, user_values)
    mine = {leaf.key for leaf in leaves(user_values)}
    found: list[Leaf] = []
    for leaf in leaves(merged):
        if traceable(leaf):
            found.append(leaf)
        elif leaf.key in mine:
            report.add(
                f"values {leaf.key}",
                f"{leaf.value!r} kept literal: booleans, nulls and decimals steer template logic",
            )
    shape = [(d.kind, d.source) for d in real]

    def attempt(group: list[Leaf]) -> list[Any] | str:
        marked_file = tmp / f"sentinels-{len(os.listdir(tmp))}.yaml"
        marked_file.write_text(dump(with_sentinels(merged, found, group)))
        try:
            marked = run.render([*files, marked_file], Report())
        except InputError as err:
            return f"the chart refuses a stand-in value: {_last_line(err.message)}"
        marked, _ = take_hooks(marked, Report())  # as the real rendering: no test hooks
        if [(d.kind, d.source) for d in marked] != shape:
            return "the chart renders other objects when it changes (used in template logic)"
        return [d.obj for d in marked]

    renderings, refused = isolate(found, attempt)
    tracer = Tracer(found)
    for group, marks in renderings:
        _report_computed(real, plain, group, marks, report)
        for doc, mark in zip(real, marks, strict=True):
            if doc.kind == "Secret":
                open_secret(doc.obj, mark)
            doc.obj = tracer.trace(doc.obj, mark)
    _advise_secret_keys(real, found, report)
    config: dict[str, Scalar] = {}
    unused: list[str] = []
    for index, leaf in enumerate(found):
        if index in tracer.used:
            config[leaf.key] = leaf.value
        elif leaf.key in refused:
            report.add(f"values {leaf.key}", f"kept literal: {refused[leaf.key]}")
        elif leaf.key in mine:
            report.add(
                f"values {leaf.key}",
                "not traced to a manifest field (used in logic or transformed): kept literal",
            )
        else:
            unused.append(leaf.key)
    if unused:
        report.add(
            "chart defaults",
            f"{len(unused)} not traced to a manifest field (used in logic, transformed, or "
            f"unused): {', '.join(unused)}",
        )
    return config


def _report_computed(
    real: list[Doc], plain: Plain, group: list[Leaf], marks: list[Any], report: Report
) -> None:
    """Fields the stand-ins changed without showing (``sha256sum``, ``upper``): literal."""
    if len(plain.docs) != len(marks):
        return
    keys = ", ".join(leaf.key for leaf in group)
    for index, (doc, again, mark) in enumerate(zip(real, plain.docs, marks, strict=True)):
        for path in differences(again.obj, mark):
            if (index, path) in plain.random or shows_stand_in(value_at(mark, path)):
                continue
            report.add(
                f"{doc.source}: {doc.kind} {doc.name}",
                f"{dotted(path)} is computed from {'one or more of ' if len(group) > 1 else ''}"
                f"{keys} (a checksum or another function): kept literal, so it does not "
                "change when those keys do",
            )


def _advise_secret_keys(docs: list[Doc], found: list[Leaf], report: Report) -> None:
    """A value traced into a Secret is a secret: say how to keep it out of the template."""
    for doc in docs:
        entries = doc.obj.get("stringData") if doc.kind == "Secret" else None
        for entry, text in (entries or {}).items():
            for leaf in found:
                if f"${{{leaf.key}}}" in str(text):
                    report.add(
                        f"values {leaf.key}",
                        f"fills Secret {doc.name} {entry}: its default is in the template in "
                        f"plain text; give each environment its own with `kapstan config set "
                        f"--secret CONFIG {leaf.key}`",
                    )


def _last_line(message: str) -> str:
    """helm's own words: the first line of its error, without our prefix and its ``Error:``."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    first = lines[0] if lines else message
    return first.split("Error: ", 1)[-1]


def _finish(
    result: ImportResult, docs: list[Doc], hooks: list[Hook], report: Report
) -> ImportResult:
    """Hooks ordered by dependsOn; the marker namespace becomes ``${kapstan.namespace}``."""
    files = dict(result.files)
    if hooks:
        owners: dict[tuple[str, str], str] = {}
        charts: dict[str, str] = {}
        sources = {(d.kind, d.name): chart_of(d.source) for d in docs}
        for path, text in files.items():
            if path == TEMPLATE_FILE:
                continue
            service = Path(path).stem
            for _, obj in load_documents(text, path):
                key = (str(obj.get("kind")), str((obj.get("metadata") or {}).get("name")))
                owners[key] = service
                charts.setdefault(service, sources.get(key, ""))
        spec = load_documents(files[TEMPLATE_FILE], TEMPLATE_FILE)[0][1]
        order_hooks(spec, hooks, owners, charts, report)
        files[TEMPLATE_FILE] = dump(spec)
    # The marker is a plain DNS label: in any YAML scalar it can become a placeholder as text.
    files = {p: t.replace(MARKER_NAMESPACE, f"${{{NAMESPACE_KEY}}}") for p, t in files.items()}
    parsed = parse_template(files)  # still a template Kapstan reads
    return replace(result, files=files, services=tuple(parsed.services), report=list(report.lines))
