"""Kapstan's own bookkeeping on the objects it applies, and objects without it.

Every applied object carries ``kapstan.io/*`` labels and annotations (revision, template
and config versions, content hash, config checksum...). They change on every deploy, so a
diff of two revisions that shows them buries the change a person made; diffs hide them
unless asked (``app diff --show-managed``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MANAGED_PREFIX = "kapstan.io/"
_KEYED = ("labels", "annotations")


def is_managed(key: str) -> bool:
    return key.startswith(MANAGED_PREFIX)


def without_bookkeeping(objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of ``objects`` with every ``kapstan.io/*`` label and annotation left out,
    at any depth (pod templates carry them too); emptied maps are left out as well."""
    return [_strip(o) for o in objects]


def _strip(node: Any) -> Any:
    if isinstance(node, list):
        return [_strip(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "metadata" and isinstance(value, dict):
            value = _metadata(value)
        out[key] = _strip(value)
    return out


def _metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    out = dict(metadata)
    for field in _KEYED:
        found = metadata.get(field)
        if not isinstance(found, dict):
            continue
        kept = {k: v for k, v in found.items() if not (isinstance(k, str) and is_managed(k))}
        if kept:
            out[field] = kept
        else:
            del out[field]
    return out
