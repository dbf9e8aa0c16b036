"""Inventory: which objects Kapstan created for a service, and which of them to prune.

An object is pruned only when all three hold: the last deployed revision of that service
recorded it (with its uid), the new revision no longer contains it, and the live object
still has that uid and Kapstan's labels for that app and service. Anything else, even with
the same labels, is never touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kapstan.engine.ports import InventoryEntry
from kapstan.model.rendered import KubeObject
from kapstan.render import labels
from kapstan.render.resources import group_of


def entry(obj: KubeObject) -> dict[str, str]:
    """The inventory entry of an applied object (as the server returned it, with its uid)."""
    meta = obj.get("metadata") or {}
    return {
        "apiVersion": str(obj.get("apiVersion", "")),
        "kind": str(obj.get("kind", "")),
        "namespace": str(meta.get("namespace") or ""),
        "name": str(meta.get("name", "")),
        "uid": str(meta.get("uid") or ""),
    }


def _identity(apiv: str, kind: str, namespace: str, name: str) -> tuple[str, str, str, str]:
    return (group_of(apiv), kind, namespace, name)


def describe(e: InventoryEntry) -> str:
    where = f"{e['namespace']}/" if e.get("namespace") else ""
    return f"{e['kind']} {where}{e['name']}"


def stale(
    previous: Iterable[InventoryEntry], desired: Sequence[KubeObject]
) -> list[InventoryEntry]:
    """Entries of the previous inventory that the desired objects no longer contain."""
    keep = set()
    for obj in desired:
        meta = obj.get("metadata") or {}
        keep.add(
            _identity(
                str(obj.get("apiVersion")),
                str(obj.get("kind")),
                str(meta.get("namespace") or ""),
                str(meta.get("name")),
            )
        )
    return [
        e
        for e in previous
        if _identity(e["apiVersion"], e["kind"], e["namespace"], e["name"]) not in keep
    ]


def owned(
    live: KubeObject | None, e: InventoryEntry, *, app: str, service: str
) -> tuple[bool, str]:
    """May Kapstan delete ``live``? The answer, and why not when it may not."""
    if live is None:
        return False, "already gone"
    meta = live.get("metadata") or {}
    if e.get("uid") and meta.get("uid") != e["uid"]:
        return False, "it was recreated by someone else (uid differs from what Kapstan applied)"
    found = meta.get("labels") or {}
    if found.get(labels.APP_LABEL) != app or found.get(labels.SERVICE_LABEL) != service:
        return False, f"it no longer carries Kapstan's labels for {app}/{service}"
    if found.get(labels.MANAGED_BY) != "kapstan":
        return False, "it is not managed by Kapstan"
    return True, ""


def created(
    recorded: Iterable[InventoryEntry], objects: Sequence[KubeObject]
) -> list[InventoryEntry]:
    """Entries for ``objects`` (which an operation created), each with its recorded uid.

    An object applied but never recorded (the apply failed part way) gets an entry
    without a uid: ``owned`` then relies on Kapstan's labels alone.
    """
    known = {_identity(e["apiVersion"], e["kind"], e["namespace"], e["name"]): e for e in recorded}
    out: list[InventoryEntry] = []
    for obj in objects:
        e = entry(obj)
        out.append(known.get(_identity(e["apiVersion"], e["kind"], e["namespace"], e["name"]), e))
    return out


def recorded_uid(previous: Iterable[InventoryEntry], obj: KubeObject) -> str:
    """The uid the previous inventory recorded for ``obj``'s identity ("" when none)."""
    meta = obj.get("metadata") or {}
    wanted = _identity(
        str(obj.get("apiVersion")),
        str(obj.get("kind")),
        str(meta.get("namespace") or ""),
        str(meta.get("name")),
    )
    for e in previous:
        if _identity(e["apiVersion"], e["kind"], e["namespace"], e["name"]) == wanted:
            return str(e.get("uid") or "")
    return ""
