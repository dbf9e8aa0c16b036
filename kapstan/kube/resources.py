"""What a kind is on the wire: its group, version, plural, scope, and the lightkube class for it.

Every object travels as a plain dict. To keep every field the apiserver sends (the typed
lightkube models drop what they do not know), requests go through *generic*, dict-backed
lightkube resource classes built here from a ``Kind``. They are never registered in
lightkube's global registry, so they cannot clash with its typed models.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lightkube.codecs import resource_registry
from lightkube.core import resource as lk_resource
from lightkube.core.exceptions import LoadResourceError
from lightkube.generic_resource import (
    GenericGlobalResource,
    GenericNamespacedResource,
    create_api_info,
)

KubeObject = dict[str, Any]
ResourceKey = tuple[str, str, str, str]


@dataclass(frozen=True)
class Kind:
    """One served kind: enough to build its URLs."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None) -> str:
        """The collection URL, across all namespaces when ``namespace`` is None."""
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            return f"{root}/namespaces/{namespace}/{self.plural}"
        return f"{root}/{self.plural}"


def split_api_version(api_version: str) -> tuple[str, str]:
    """``apps/v1`` -> (``apps``, ``v1``); ``v1`` -> (``""``, ``v1``)."""
    group, _, version = api_version.rpartition("/")
    return group, version


def describe(kind: str, namespace: str | None, name: str | None) -> str:
    """How messages name an object: ``Deployment shop/web``, ``Namespace shop``."""
    if namespace:
        return f"{kind} {namespace}/{name or '?'}"
    return f"{kind} {name or '?'}"


def resource_key(obj: Mapping[str, Any]) -> ResourceKey:
    """(group, kind, namespace, name) of a raw object; namespace is "" when it has none."""
    meta = obj.get("metadata") or {}
    group, _ = split_api_version(str(obj.get("apiVersion", "")))
    return group, str(obj.get("kind", "")), str(meta.get("namespace") or ""), str(meta["name"])


def builtin_kind(api_version: str, kind: str) -> Kind | None:
    """The kind from lightkube's bundled models, without asking the cluster; None if unknown."""
    try:
        model = resource_registry.load(api_version, kind)
    except (LoadResourceError, ImportError, ValueError):  # ValueError: "a/b/c"
        return None
    info = lk_resource.api_info(model)
    group, version = split_api_version(api_version)
    namespaced = issubclass(model, lk_resource.NamespacedResource)
    return Kind(group, version, kind, str(info.plural), namespaced)


@functools.cache
def resource_class(kind: Kind) -> type[Any]:
    """A dict-backed lightkube resource class for ``kind`` (cached: one class per kind)."""
    base: type[Any] = GenericNamespacedResource if kind.namespaced else GenericGlobalResource
    info = create_api_info(kind.group, kind.version, kind.kind, kind.plural)
    return type(kind.kind, (base,), {"_api_info": info})
