"""Helm hooks: test hooks dropped, install/upgrade hook Jobs ordered by ``dependsOn``.

Helm runs a hook object at a point of a release's life (``helm.sh/hook``), in weight
order (``helm.sh/hook-weight``), deleting it as its policy says
(``helm.sh/hook-delete-policy``). Kapstan deploys services in ``dependsOn`` order, so:

- ``test`` hooks (``helm test`` Pods) are dropped and reported: they are not part of the
  application;
- a Job on ``pre-install``/``pre-upgrade`` becomes its own service that every other
  service of its chart depends on; a Job on ``post-install``/``post-upgrade`` a service
  that depends on every other service of its chart; among the hooks of one chart and one
  side, a higher weight depends on every lower one;
- other hook objects (a ConfigMap or ServiceAccount a hook Job uses) lose the hook
  annotations and go with the Job that uses them; a hook Pod is made a Job running it once;
- delete/rollback hooks are dropped and reported (Kapstan has no such moment).

Delete policies: ``before-hook-creation`` (helm's default) is what Kapstan does anyway,
since a changed Job is deleted and created again; ``hook-succeeded`` and ``hook-failed``
are not applied: the finished Job stays, as the record of its run (and its logs), and
runs again when its content changes. Each is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapstan.importers.helmrender import chart_of
from kapstan.importers.manifestload import Doc
from kapstan.importers.result import Report

HOOK = "helm.sh/hook"
WEIGHT = "helm.sh/hook-weight"
DELETE_POLICY = "helm.sh/hook-delete-policy"
BEFORE = frozenset({"pre-install", "pre-upgrade"})
AFTER = frozenset({"post-install", "post-upgrade"})
TESTS = frozenset({"test", "test-success", "test-failure"})
POLICY_MEANING = {
    "before-hook-creation": "what Kapstan does: a changed Job is deleted and created again",
    "hook-succeeded": "not applied: the finished Job stays as the record of its run",
    "hook-failed": "not applied: the failed Job stays, with its logs, and fails the deploy",
}


@dataclass(frozen=True)
class Hook:
    """A hook Job: which chart, which side of its services, its weight."""

    doc: Doc  # its name is read when ordering: random suffixes are dropped after this
    chart: str
    before: bool
    weight: int
    events: tuple[str, ...]
    policies: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.doc.kind, self.doc.name)


def take_hooks(docs: list[Doc], report: Report) -> tuple[list[Doc], list[Hook]]:
    """The documents to import (hook annotations removed) and the hook Jobs among them."""
    kept: list[Doc] = []
    hooks: list[Hook] = []
    for doc in docs:
        annotations = _annotations(doc.obj)
        events = {e.strip() for e in str(annotations.get(HOOK) or "").split(",") if e.strip()}
        if not events:
            kept.append(doc)
            continue
        where = f"{doc.source}: {doc.kind} {doc.name}"
        if events & TESTS:
            # Named by its place only: test Pods are often named with random letters.
            what = f"{doc.source}: {doc.kind}"
            report.add(what, f"helm test hook ({', '.join(sorted(events))}): not imported")
            continue
        if not events & (BEFORE | AFTER):
            report.add(
                where, f"hook {', '.join(sorted(events))}: not imported (no such moment in Kapstan)"
            )
            continue
        weight = _weight(annotations.get(WEIGHT), where, report)
        policies = [
            p.strip()
            for p in str(annotations.get(DELETE_POLICY) or "before-hook-creation").split(",")
            if p.strip()
        ]
        for key in (HOOK, WEIGHT, DELETE_POLICY):
            annotations.pop(key, None)
        if not annotations:
            doc.obj["metadata"].pop("annotations", None)
        kept.append(doc)
        if doc.kind == "Pod":
            doc.obj = as_job(doc.obj)
            report.add(where, "hook Pod made a Job: Kapstan waits for a Job and replaces it")
        if doc.kind != "Job":
            report.add(
                where,
                f"hook {', '.join(sorted(events))}: hook annotations removed, deployed with the service that uses it",
            )
            continue
        before = bool(events & BEFORE)
        chart = chart_of(doc.source)
        hooks.append(Hook(doc, chart, before, weight, tuple(sorted(events)), tuple(policies)))
    return kept, hooks


def as_job(pod: dict[str, Any]) -> dict[str, Any]:
    """A hook Pod as a Job running it once (helm waits for a hook Pod to succeed)."""
    meta = dict(pod.get("metadata") or {})
    spec = dict(pod.get("spec") or {})
    if spec.get("restartPolicy", "Always") == "Always":
        spec["restartPolicy"] = "Never"  # a Job's pods may not restart always
    template: dict[str, Any] = {"spec": spec}
    if meta.get("labels"):
        template["metadata"] = {"labels": dict(meta["labels"])}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": {"backoffLimit": 0, "template": template},
    }


def report_hooks(hooks: list[Hook], report: Report) -> None:
    """One line per hook Job and one per delete policy (after names are made stable)."""
    for hook in hooks:
        where = f"{hook.doc.source}: {hook.doc.kind} {hook.doc.name}"
        side = "before" if hook.before else "after"
        report.add(
            where,
            f"hook {', '.join(hook.events)} (weight {hook.weight}): a service deployed {side} "
            f"the other services of chart {hook.chart} (dependsOn); runs again when it changes",
        )
        for policy in hook.policies:
            meaning = POLICY_MEANING.get(policy, "unknown policy: not applied")
            report.add(where, f"hook-delete-policy {policy}: {meaning}")


def order_hooks(
    spec: dict[str, Any],
    hooks: list[Hook],
    owners: dict[tuple[str, str], str],
    charts: dict[str, str],
    report: Report,
) -> None:
    """Add the hooks' ``dependsOn`` to a kapstan.yaml ``spec``.

    ``owners``: (kind, name) -> service; ``charts``: service -> its chart. An edge that
    would close a cycle (a pre-install Job calling its chart's own Service) is left out
    and reported.
    """
    services: dict[str, Any] = spec["services"]
    hook_of = {owners[h.key]: h for h in hooks if h.key in owners}
    for name, hook in hook_of.items():
        peers = [s for s in services if s not in hook_of and charts.get(s) == hook.chart]
        earlier = [
            s
            for s, h in hook_of.items()
            if h.chart == hook.chart and h.before == hook.before and h.weight < hook.weight
        ]
        edges = [(p, name) for p in peers] if hook.before else [(name, p) for p in peers]
        for source, target in [*edges, *((name, other) for other in earlier)]:
            _depend(services, source, target, report)


def _depend(services: dict[str, Any], source: str, target: str, report: Report) -> None:
    needs = services[source].get("dependsOn") or []
    if target in needs:
        return
    if _reaches(services, target, source):
        report.add(
            f"service {source}",
            f"dependsOn {target} (hook order) left out: {target} already waits for {source}",
        )
        return
    services[source]["dependsOn"] = [*needs, target]


def _reaches(services: dict[str, Any], start: str, goal: str) -> bool:
    seen: set[str] = set()
    todo = [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen and node in services:
            seen.add(node)
            todo.extend(services[node].get("dependsOn") or [])
    return False


def _annotations(obj: dict[str, Any]) -> dict[str, Any]:
    annotations = (obj.get("metadata") or {}).get("annotations")
    return annotations if isinstance(annotations, dict) else {}


def _weight(value: Any, where: str, report: Report) -> int:
    try:
        return int(str(value or "0"))
    except ValueError:
        report.add(where, f"hook-weight {value!r} is not a number: taken as 0")
        return 0
