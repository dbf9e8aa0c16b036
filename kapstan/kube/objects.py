"""Raw objects on their way in and out: apply bodies, results as plain dicts, event order.

Pure functions; no request is made here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kapstan.errors import ClusterInvalidError
from kapstan.kube.resources import Kind, KubeObject, describe

# Server-owned bookkeeping. A stale resourceVersion or uid would turn an apply into a
# conditional update that fails with 409; managedFields is refused in an apply body.
SERVER_OWNED = ("resourceVersion", "uid", "managedFields", "creationTimestamp", "generation")


def type_of(obj: Mapping[str, Any]) -> tuple[str, str]:
    """(apiVersion, kind) of a raw object, or ClusterInvalidError naming what is missing."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not api_version or not kind:
        name = (obj.get("metadata") or {}).get("name")
        raise ClusterInvalidError(
            f"object {name or '?'} has no apiVersion or kind; every manifest needs both"
        )
    return str(api_version), str(kind)


def for_apply(obj: Mapping[str, Any], kind: Kind, namespace: str | None) -> KubeObject:
    """The body to server-side apply: server-owned metadata stripped, namespace settled."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in SERVER_OWNED}
    if not meta.get("name"):
        raise ClusterInvalidError(
            f"{describe(kind.kind, namespace, None)} has no metadata.name; give it a name"
        )
    meta.pop("namespace", None)
    if kind.namespaced:
        meta["namespace"] = namespace
    return {**obj, "apiVersion": kind.api_version, "kind": kind.kind, "metadata": meta}


def as_dict(result: Any) -> KubeObject:
    """A lightkube result (a dict-backed generic resource) as a plain dict."""
    if hasattr(result, "to_dict"):
        return dict(result.to_dict())
    return dict(result)


def by_time(events: Iterable[KubeObject]) -> list[KubeObject]:
    """Events oldest first, by the best timestamp each carries."""

    def when(event: KubeObject) -> str:
        meta = event.get("metadata") or {}
        stamp = event.get("lastTimestamp") or event.get("eventTime")
        return str(stamp or meta.get("creationTimestamp") or "")

    return sorted(events, key=when)


def involving(obj: Mapping[str, Any]) -> dict[str, str]:
    """A field selector for the Events about ``obj``: by uid when it has one."""
    meta = obj.get("metadata") or {}
    if meta.get("uid"):
        return {"involvedObject.uid": str(meta["uid"])}
    return {"involvedObject.name": str(meta.get("name")), "involvedObject.kind": str(obj["kind"])}
