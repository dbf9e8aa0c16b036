"""Reading raw Kubernetes JSON: typed accessors that tolerate absent fields.

The API server omits zero values (``updatedReplicas: 0`` is simply absent), so every reader
here takes a default. Objects are plain mappings as decoded from JSON or YAML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypedDict, cast

from kapstan.model.health import Health

KubeObject = Mapping[str, Any]


class Condition(TypedDict, total=False):
    """One entry of ``status.conditions``, as every kind writes it."""

    type: str
    status: str
    reason: str
    message: str
    lastTransitionTime: str


def field(obj: KubeObject | None, *path: str) -> Any:
    """The value at ``path`` below ``obj``, or None where any step is absent."""
    current: Any = obj
    for key in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current


def mapping(obj: KubeObject | None, *path: str) -> KubeObject:
    value = field(obj, *path)
    return value if isinstance(value, Mapping) else {}


def items(obj: KubeObject | None, *path: str) -> list[KubeObject]:
    value = field(obj, *path)
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [v for v in value if isinstance(v, Mapping)]


def integer(obj: KubeObject | None, *path: str, default: int = 0) -> int:
    value = field(obj, *path)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def text(obj: KubeObject | None, *path: str) -> str:
    value = field(obj, *path)
    return value if isinstance(value, str) else ""


def kind_of(obj: KubeObject) -> str:
    return text(obj, "kind")


def name_of(obj: KubeObject) -> str:
    return text(obj, "metadata", "name")


def group_of(obj: KubeObject) -> str:
    """The API group: ``apps`` for ``apps/v1``, ``""`` for the core ``v1``."""
    api_version = text(obj, "apiVersion")
    return api_version.rpartition("/")[0]


def conditions(obj: KubeObject) -> list[Condition]:
    # A TypedDict is a plain dict at run time: the cast only names the fields we read.
    return [cast(Condition, c) for c in items(obj, "status", "conditions")]


def condition(obj: KubeObject, kind: str) -> Condition | None:
    """The condition of type ``kind``, or None when the object does not report it."""
    return next((c for c in conditions(obj) if c.get("type") == kind), None)


def is_true(cond: Condition | None) -> bool:
    return cond is not None and cond.get("status") == "True"


def is_false(cond: Condition | None) -> bool:
    return cond is not None and cond.get("status") == "False"


def because(cond: Condition) -> str:
    """``Reason: message`` of a condition, whichever parts it has."""
    reason, message = cond.get("reason", ""), cond.get("message", "")
    return ": ".join(part for part in (reason, message) if part) or "no reason given"


def generation_pending(obj: KubeObject) -> Health | None:
    """Progressing while the controller has not yet seen the latest spec, else None.

    Every other status field describes the generation the controller observed, so it
    must be checked first.
    """
    generation = integer(obj, "metadata", "generation")
    observed = integer(obj, "status", "observedGeneration")
    if generation == 0 or observed >= generation:
        return None
    return Health.progressing(
        f"waiting for generation {generation} to be observed (observed {observed})"
    )


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def timestamp(value: object) -> datetime | None:
    """An RFC 3339 timestamp as the API writes it, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
