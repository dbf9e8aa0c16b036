"""Change detection: which services' rendered output changes between two renders, and why.

Pure. A service is reported when its content hash differs (or it was added/removed);
the reasons are the used keys whose values differ (secrets compared by value equality,
never shown), and the source files (manifests, its kapstan.yaml entry) whose digest
differs. A hash change with no such reason is explained by the app/namespace.
"""

from __future__ import annotations

from collections.abc import Mapping

from kapstan.model.changes import ServiceChange
from kapstan.model.rendered import RenderedApp, RenderedService
from kapstan.model.values import Value


def detect_changes(old: RenderedApp | None, new: RenderedApp) -> list[ServiceChange]:
    """Changed, added and removed services: new services in template order, removed last."""
    before: Mapping[str, RenderedService] = old.services if old else {}
    out: list[ServiceChange] = []
    for name, service in new.services.items():
        previous = before.get(name)
        if previous is None:
            out.append(ServiceChange(name, "added", None, service.hash))
        elif previous.hash != service.hash:
            out.append(_changed(previous, service, old, new))
    for name, service in before.items():
        if name not in new.services:
            out.append(ServiceChange(name, "removed", service.hash, None))
    return out


def _changed(
    old: RenderedService, new: RenderedService, old_app: RenderedApp | None, new_app: RenderedApp
) -> ServiceChange:
    keys = changed_keys(old.inputs, new.inputs)
    files = tuple(
        sorted(
            p
            for p in old.sources.keys() | new.sources.keys()
            if old.sources.get(p) != new.sources.get(p)
        )
    )
    notes: list[str] = []
    if old_app is not None and old_app.namespace != new_app.namespace:
        notes.append(f"namespace {old_app.namespace} -> {new_app.namespace}")
    if old_app is not None and old_app.app != new_app.app:
        notes.append(f"application {old_app.app} -> {new_app.app}")
    if not (keys or files or notes):
        notes.append("rendered output differs")
    return ServiceChange(new.name, "changed", old.hash, new.hash, keys, files, tuple(notes))


def changed_keys(old: Mapping[str, Value], new: Mapping[str, Value]) -> tuple[str, ...]:
    """Keys present in either mapping whose values differ (type-aware: 1 != True)."""
    return tuple(
        sorted(
            k
            for k in old.keys() | new.keys()
            if not same_value(old.get(k, _ABSENT), new.get(k, _ABSENT))
        )
    )


_ABSENT = object()


def same_value(a: object, b: object) -> bool:
    """Equal and of the same type; SecretValues compare without being revealed."""
    return type(a) is type(b) and a == b
