"""Redaction of rendered objects for display: Secret data values become ``<redacted>``."""

from __future__ import annotations

import copy
from collections.abc import Iterable

from kapstan.model.rendered import KubeObject
from kapstan.model.values import REDACTED

SECRET_FIELDS = ("data", "stringData")


def is_secret(obj: KubeObject) -> bool:
    return obj.get("kind") == "Secret" and str(obj.get("apiVersion", "")) == "v1"


def redact_object(obj: KubeObject) -> KubeObject:
    """A copy of ``obj`` with every Secret value redacted; other objects returned as is."""
    if not is_secret(obj):
        return obj
    out = copy.deepcopy(obj)
    for name in SECRET_FIELDS:
        section = out.get(name)
        if isinstance(section, dict):
            out[name] = dict.fromkeys(section, REDACTED)
    return out


def redact_objects(objects: Iterable[KubeObject]) -> list[KubeObject]:
    """``redact_object`` over a list: use before any display, diff or export."""
    return [redact_object(obj) for obj in objects]
