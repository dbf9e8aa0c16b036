"""Comparing what is live with what an apply would make of it: create / update / unchanged.

The "would be" object is the server-side apply dry-run result, so both sides carry the
same server defaults; what remains after dropping server bookkeeping is a real change.
Kapstan's own version stamps are ignored: equal content is unchanged, whatever its revision.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from kapstan.model.rendered import KubeObject
from kapstan.model.values import REDACTED
from kapstan.plan.diffs import unified_diff
from kapstan.plan.ownership import Conflict
from kapstan.render import labels
from kapstan.render.redaction import SECRET_FIELDS, is_secret
from kapstan.render.resources import ResourceKey, key_of

Action = Literal["create", "update", "unchanged", "delete"]

_METADATA_NOISE = (
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "ownerReferences",
)
_ANNOTATION_NOISE = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    labels.TEMPLATE_VERSION_ANNOTATION,
    labels.CONFIG_VERSION_ANNOTATION,
    labels.REVISION_ANNOTATION,
    labels.HASH_ANNOTATION,
    labels.ENVIRONMENT_ANNOTATION,
)
CHANGED_SECRET = f"{REDACTED} (changed)"


@dataclass(frozen=True)
class ResourcePlan:
    """What an apply would do to one resource, with a redacted diff for people."""

    key: ResourceKey
    action: Action
    diff: str = ""
    conflict: Conflict | None = None  # the live object is not ours: whose it is


def normalize(obj: KubeObject) -> KubeObject:
    """A copy without status and server bookkeeping, for comparison and display."""
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.get("metadata") or {}
    for name in _METADATA_NOISE:
        meta.pop(name, None)
    notes = meta.get("annotations")
    if isinstance(notes, dict):
        for name in _ANNOTATION_NOISE:
            notes.pop(name, None)
        if not notes:
            meta.pop("annotations", None)
    return out


def _redact_pair(live: KubeObject, new: KubeObject) -> tuple[KubeObject, KubeObject]:
    """Redact Secret values on both sides, marking the keys whose value differs."""
    if not (is_secret(live) or is_secret(new)):
        return live, new
    live, new = copy.deepcopy(live), copy.deepcopy(new)
    for field in SECRET_FIELDS:
        old_section: dict[str, Any] = live.get(field) or {}
        new_section: dict[str, Any] = new.get(field) or {}
        if old_section:
            live[field] = dict.fromkeys(old_section, REDACTED)
        if new_section:
            new[field] = {
                k: REDACTED if old_section.get(k) == v else CHANGED_SECRET
                for k, v in new_section.items()
            }
    return live, new


def _text(obj: KubeObject) -> str:
    # libyaml's emitter: the same text as yaml.safe_dump, several times faster (a plan of
    # N objects dumps each one, and a deploy plans all of them before its first write).
    return yaml.dump(obj, Dumper=yaml.CSafeDumper, sort_keys=True, default_flow_style=False)


def _without_replicas(obj: KubeObject) -> KubeObject:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        spec.pop("replicas", None)
    return obj


def compare(
    live: KubeObject | None, would_be: KubeObject, *, ignore_replicas: bool = False
) -> ResourcePlan:
    """Plan one resource: ``live`` as read (None if absent), ``would_be`` from a dry-run.

    ``ignore_replicas``: an autoscaler owns ``spec.replicas``, so a difference there is its
    doing, not a change Kapstan would make.
    """
    key = key_of(would_be)
    new = normalize(would_be)
    if ignore_replicas and live is not None:
        new = _without_replicas(new)
    if live is None:
        _, shown = _redact_pair({}, new)
        return ResourcePlan(
            key, "create", unified_diff("", _text(shown), old_label="live", new_label=str(key))
        )
    old = normalize(live)
    if ignore_replicas:
        old = _without_replicas(old)
    if old == new:
        return ResourcePlan(key, "unchanged")
    old_shown, new_shown = _redact_pair(old, new)
    diff = unified_diff(
        _text(old_shown), _text(new_shown), old_label=f"live {key}", new_label=f"new {key}"
    )
    return ResourcePlan(key, "update", diff)


def deletion(live: KubeObject) -> ResourcePlan:
    """Plan the pruning of a live object that the new revision no longer contains."""
    old_shown, _ = _redact_pair(normalize(live), {})
    key = key_of(live)
    return ResourcePlan(
        key,
        "delete",
        unified_diff(_text(old_shown), "", old_label=f"live {key}", new_label="(pruned)"),
    )
