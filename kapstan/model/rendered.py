"""The result of rendering: per-service Kubernetes objects and their content hash."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kapstan.model.settings import ServiceSettings
from kapstan.model.values import Value

KubeObject = dict[str, Any]


@dataclass(frozen=True)
class RenderedService:
    """One service rendered.

    ``objects``: generated ConfigMap/Secret first, then the manifests in file order.
    ``hash``: sha256 over canonical JSON of ``objects``, secret values entering as HMACs
    keyed by the store's checksum key (a secret change changes the hash; the hash can't
    be used to check guesses of a secret).
    ``inputs``: every config key the service uses, with the value used (defaults too).
    ``sources``: source file -> digest (see ``ServiceSpec.sources``).
    The YAML to store in a revision is ``kapstan.render.hashing.service_yaml(service)``.
    """

    name: str
    objects: tuple[KubeObject, ...] = field(hash=False)
    hash: str
    inputs: Mapping[str, Value] = field(hash=False)
    sources: Mapping[str, str] = field(hash=False)
    settings: ServiceSettings = field(default_factory=ServiceSettings, hash=False)
    # Where each of ``objects`` comes from, in the same order: "file:line" of its manifest
    # document, or "generated ..." (empty when not known, e.g. read back from a server).
    origins: tuple[str, ...] = field(default=(), hash=False)


@dataclass(frozen=True)
class RenderedApp:
    """An application rendered: ``services`` in template order."""

    app: str
    namespace: str
    template_name: str
    services: Mapping[str, RenderedService] = field(hash=False)
