"""Putting translated services together into template content, checked by the parser."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kapstan.errors import TemplateError
from kapstan.importers.names import dns_label
from kapstan.importers.result import ImportResult, Report
from kapstan.importers.yamlio import dump, dump_all
from kapstan.model.manifest import Placeholder
from kapstan.model.template import TEMPLATE_FILE
from kapstan.model.values import Scalar
from kapstan.render.configdelivery import pod_templates
from kapstan.render.placeholders import has_placeholder, parse
from kapstan.templates.parser import parse_template

KubeObject = dict[str, Any]


@dataclass
class ServiceOut:
    """One Kapstan service being built: its objects and its relations."""

    name: str
    objects: list[KubeObject] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # config key -> variable (kapstan.yaml env:)
    files: dict[str, str] = field(default_factory=dict)  # file name -> config key (files:)

    def depend(self, other: str) -> None:
        if other != self.name and other not in self.depends_on:
            self.depends_on.append(other)

    def call(self, other: str) -> None:
        if other != self.name and other not in self.calls:
            self.calls.append(other)


def manifest_path(service: str) -> str:
    return f"services/{service}.yaml"


def assemble(
    name: str,
    services: list[ServiceOut],
    config: dict[str, Scalar],
    report: Report,
    promote: Sequence[str] = (),
) -> ImportResult:
    """Template content for ``services``; raises TemplateError if it would not parse.

    ``promote``: the keys written as the template's ``promote:`` (``image_keys``); without
    them a promotion carries the image references' keys all the same.
    """
    template = dns_label(name, "imported")
    _break_cycles(services, report)
    files = {manifest_path(s.name): dump_all(s.objects) for s in services if s.objects}
    spec: dict[str, Any] = {"name": template, "services": {}}
    for s in services:
        if not s.objects:
            continue
        entry: dict[str, Any] = {"manifests": [manifest_path(s.name)]}
        if s.depends_on:
            entry["dependsOn"] = list(s.depends_on)
        if s.calls:
            entry["calls"] = list(s.calls)
        if s.env:
            entry["env"] = dict(s.env)
        if s.files:
            entry["files"] = dict(s.files)
        spec["services"][s.name] = entry
    if not spec["services"]:
        raise TemplateError(f"{name}: nothing to import: no service or manifest was found")
    if config:
        spec["config"] = dict(sorted(config.items()))
    if promote:  # written out, so a reader sees what a promotion carries (and may edit it)
        spec["promote"] = list(promote)
    files[TEMPLATE_FILE] = dump(spec)
    parsed = parse_template(files)
    return ImportResult(
        files=files,
        report=list(report.lines),
        config=dict(sorted(config.items())),
        name=template,
        services=tuple(parsed.services),
    )


def image_keys(objects: Iterable[KubeObject]) -> list[str]:
    """The keys the images of ``objects``' containers use, sorted: what a promotion carries."""
    keys: set[str] = set()
    for obj in objects:
        for template in pod_templates(obj):
            for group in ("initContainers", "containers"):
                for container in template["spec"].get(group) or []:
                    image = container.get("image")
                    if isinstance(image, str) and has_placeholder(image):
                        keys |= {p.key for p in parse(image) if isinstance(p, Placeholder)}
    return sorted(keys)


def _break_cycles(services: list[ServiceOut], report: Report) -> None:
    """Drop each dependsOn that would close a cycle (keeping it as ``calls``), and say so."""
    kept: dict[str, list[str]] = {s.name: [] for s in services}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(kept.get(node, ()))
        return False

    for s in services:
        for target in s.depends_on:
            if target in kept and reaches(target, s.name):
                report.add(
                    f"service {s.name}",
                    f"dependsOn {target} left out: it would make a dependency cycle "
                    f"({target} already waits for {s.name}); kept as calls",
                )
                s.call(target)
            elif target in kept:
                kept[s.name].append(target)
        s.depends_on = kept[s.name]
        s.calls = [c for c in s.calls if c in kept]
