"""Drift: where a live object no longer matches what re-applying its revision would make of it.

The inputs are the live object and the server-side apply dry-run of the last deployed
revision's object over it (both carry the server's defaults), so what differs is exactly
what a re-apply would change. Kapstan's bookkeeping (``plan.live.normalize``: versions,
revision, hash, server metadata) is never drift. Secret values are redacted in the diff
and never listed in the fields (``plan.live``, ``plan.diffs``).

Whose a differing field is, is read from the live object's ``managedFields``: a field that
another field manager declared its own — by server-side apply, or through a subresource
(an autoscaler writes ``spec.replicas`` through ``scale``) — is that manager's, and not
drift. A field changed by an update (``kubectl edit``, ``patch``, ``replace``, a script's
PUT), by any kubectl command (a person at a terminal), or removed (nobody owns it now) is
drift: re-applying the revision puts it back. Kapstan's own partial applies (the replicas
handover, blue-green retirement) go under managers of their own, by apply: deliberate.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kapstan.model.rendered import KubeObject
from kapstan.plan.diffs import structured_diff
from kapstan.plan.live import compare, normalize
from kapstan.plan.ownership import KAPSTAN_MANAGER
from kapstan.render.resources import ResourceKey, key_of

# Field managers that are a person's hand, whatever the operation (kubectl edit, patch,
# scale, apply --server-side, client-side apply all name themselves kubectl...).
PEOPLE_TOOLS = ("kubectl",)
# A service's diff is kept to this many characters (the store, the API, the console).
MAX_DIFF = 64 * 1024
_GONE = object()  # marks a pruned value until the tree is cleaned


@dataclass(frozen=True)
class ObjectDrift:
    """One object that drifted: the fields a re-apply would change, and the redacted diff."""

    key: ResourceKey
    fields: tuple[str, ...]
    diff: str

    @property
    def label(self) -> str:
        return f"{self.key.kind}/{self.key.name}"


@dataclass(frozen=True)
class ServiceDrift:
    """One service checked against its last deployed revision.

    ``note`` says why it was not compared (never deployed, its last revision failed...);
    such a service is not drifted.
    """

    service: str
    revision: int | None
    objects: tuple[ObjectDrift, ...] = ()
    note: str = ""

    @property
    def drifted(self) -> bool:
        return bool(self.objects)

    @property
    def fields(self) -> list[str]:
        return [f"{o.label}: {f}" for o in self.objects for f in o.fields]

    @property
    def diff(self) -> str:
        text = "".join(o.diff if o.diff.endswith("\n") else o.diff + "\n" for o in self.objects)
        if len(text) <= MAX_DIFF:
            return text
        return text[:MAX_DIFF] + f"\n... diff cut at {MAX_DIFF} characters\n"


def is_theirs(entry: Mapping[str, Any]) -> bool:
    """Does this managedFields entry declare fields as another manager's own?"""
    manager = str(entry.get("manager") or "")
    if not manager or manager == KAPSTAN_MANAGER or manager.startswith(PEOPLE_TOOLS):
        return False
    return entry.get("operation") == "Apply" or bool(entry.get("subresource"))


def theirs(live: KubeObject) -> list[str]:
    """The managers whose fields of ``live`` are theirs (see ``is_theirs``), in order."""
    found: list[str] = []
    for entry in (live.get("metadata") or {}).get("managedFields") or []:
        if is_theirs(entry) and entry.get("manager") not in found:
            found.append(str(entry.get("manager")))
    return found


def object_drift(
    live: KubeObject | None, would_be: KubeObject, *, ignore_replicas: bool = False
) -> ObjectDrift | None:
    """How ``live`` drifted from ``would_be`` (the dry-run of its revision); None if it did not.

    ``live`` None: the object was deleted. ``ignore_replicas``: an autoscaler targets it.
    """
    key = key_of(would_be)
    if live is None:
        return ObjectDrift(key, ("(deleted)",), compare(None, would_be).diff)
    owned = [
        e.get("fieldsV1") or {}
        for e in (live.get("metadata") or {}).get("managedFields") or []
        if is_theirs(e)
    ]
    old, new = (_without(normalize(o), owned) for o in (live, would_be))
    if ignore_replicas:
        for side in (old, new):
            spec = side.get("spec")
            if isinstance(spec, dict):
                spec.pop("replicas", None)
    resource = compare(old, new)
    if resource.action == "unchanged":
        return None
    fields = tuple(f.path for change in structured_diff([old], [new]) for f in change.fields)
    return ObjectDrift(key, fields or ("(changed)",), resource.diff)


def service_drift(
    service: str,
    revision: int | None,
    pairs: Iterable[tuple[KubeObject | None, KubeObject, bool]],
) -> ServiceDrift:
    """``pairs``: (live, would-be, autoscaled) per object of the service's revision."""
    found = (object_drift(live, new, ignore_replicas=scaled) for live, new, scaled in pairs)
    return ServiceDrift(service, revision, tuple(d for d in found if d is not None))


def _without(obj: KubeObject, owned: Sequence[Mapping[str, Any]]) -> KubeObject:
    """A copy of ``obj`` without the leaf fields the ``fieldsV1`` trees in ``owned`` name."""
    out = copy.deepcopy(obj)
    for tree in owned:
        _mark(tree, out)
    cleaned = _clean(out)
    assert isinstance(cleaned, dict)
    return cleaned


def _mark(tree: Mapping[str, Any], node: Any) -> None:
    """Replace, in ``node``, each value a leaf of ``tree`` names by ``_GONE``.

    ``f:name`` is a map key, ``k:{...}`` the list item with those key fields, ``v:...`` the
    set item with that value, ``i:N`` item N; ``.`` (the node itself) owns no value.
    """
    for key, child in tree.items():
        if key == ".":
            continue
        where = _locate(key, node)
        if where is None:
            continue
        if not child or set(child) == {"."}:
            # A leaf: a scalar, or a whole map/list this manager set atomically. An item
            # owned only as itself (".") is left: its fields are someone else's.
            if not child:
                node[where] = _GONE
            continue
        _mark(child, node[where])


def _locate(key: str, node: Any) -> str | int | None:
    kind, _, rest = key.partition(":")
    if kind == "f":
        return rest if isinstance(node, dict) and rest in node else None
    if not isinstance(node, list):
        return None
    try:
        wanted = json.loads(rest) if kind in ("k", "v") else int(rest)
    except ValueError:
        return None
    for index, item in enumerate(node):
        if kind == "k" and isinstance(item, dict) and isinstance(wanted, dict):
            if all(item.get(k) == v for k, v in wanted.items()):
                return index
        elif (kind == "v" and item == wanted) or (kind == "i" and index == wanted):
            return index
    return None


def _clean(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _clean(v) for k, v in node.items() if v is not _GONE}
    if isinstance(node, list):
        return [_clean(v) for v in node if v is not _GONE]
    return node
