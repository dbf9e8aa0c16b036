"""Resolving apiVersion + kind to a served ``Kind``: lightkube's models first, then discovery.

Built-in kinds come from lightkube's bundled models without a request. Anything else (CRDs,
aggregated APIs, kinds newer than the models) is looked up in the cluster's discovery
document for its group/version (``/api/v1``, ``/apis/<group>/<version>``). Hits are
cached per client; a miss always asks again, so a CRD applied a moment ago is found.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kapstan.errors import ClusterUnknownKindError
from kapstan.kube.resources import Kind, builtin_kind, split_api_version

# Fetches a discovery document by path; None when the group/version is not served (404).
Fetch = Callable[[str], Mapping[str, Any] | None]


class Resolver:
    """apiVersion + kind -> ``Kind``, cached."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._known: dict[tuple[str, str], Kind] = {}

    def resolve(self, api_version: str, kind: str) -> Kind:
        key = (api_version, kind)
        found = self._known.get(key) or builtin_kind(api_version, kind)
        if found is None:
            self._discover(api_version)
            found = self._known.get(key)
        if found is None:
            raise ClusterUnknownKindError(
                f"the cluster serves no kind {kind} in {api_version}: check apiVersion and kind, "
                "or install its CustomResourceDefinition and wait until it is Established"
            )
        self._known[key] = found
        return found

    def _discover(self, api_version: str) -> None:
        document = self._fetch(discovery_path(api_version))
        for kind in kinds_in(api_version, document or {}):
            self._known[(api_version, kind.kind)] = kind


def discovery_path(api_version: str) -> str:
    group, version = split_api_version(api_version)
    return f"/apis/{group}/{version}" if group else f"/api/{version}"


def kinds_in(api_version: str, document: Mapping[str, Any]) -> list[Kind]:
    """The kinds an ``APIResourceList`` serves (subresources such as ``pods/log`` skipped)."""
    group, version = split_api_version(api_version)
    return [
        Kind(group, version, str(r["kind"]), str(r["name"]), bool(r.get("namespaced")))
        for r in document.get("resources") or []
        if "/" not in str(r.get("name", ""))
    ]
