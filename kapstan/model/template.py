"""Templates as values: services, how config reaches them, and their compiled manifests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kapstan.model.logrules import LogRule
from kapstan.model.manifest import Document
from kapstan.model.settings import ServiceSettings
from kapstan.model.values import Scalar

TEMPLATE_FILE = "kapstan.yaml"
DEFAULT_FILES_PATH = "/etc/kapstan"


@dataclass(frozen=True)
class EnvBinding:
    """Config ``key`` delivered as environment variable ``name``."""

    key: str
    name: str
    line: int


@dataclass(frozen=True)
class FileBinding:
    """Config ``key`` delivered as file ``name`` under the service's ``files_path``."""

    name: str
    key: str
    line: int


@dataclass(frozen=True)
class ServiceSpec:
    """One service of a template.

    ``manifests`` are the relative paths (globs expanded, sorted) of its manifest files;
    ``sources`` maps each of them, plus ``kapstan.yaml#<service>`` for the service's own
    definition, to a sha256 digest, so change detection can say which file changed.
    """

    name: str
    manifests: tuple[str, ...]
    documents: tuple[Document, ...]
    depends_on: tuple[str, ...] = ()
    calls: tuple[str, ...] = ()
    env: tuple[EnvBinding, ...] = ()
    files: tuple[FileBinding, ...] = ()
    files_path: str = DEFAULT_FILES_PATH
    line: int = 0
    sources: Mapping[str, str] = field(default_factory=dict, hash=False)
    settings: ServiceSettings = field(default_factory=ServiceSettings, hash=False)

    @property
    def delivered_keys(self) -> tuple[str, ...]:
        """Keys delivered as env or files, sorted, without repeats."""
        return tuple(sorted({b.key for b in self.env} | {b.key for b in self.files}))


@dataclass(frozen=True)
class Template:
    """A parsed template version: its content (``files``), digest, services and config.

    ``config`` is the ``config:`` block of ``kapstan.yaml`` only; the full default config
    (placeholder defaults + this block) is ``kapstan.render.variables.default_config``.
    """

    name: str
    services: Mapping[str, ServiceSpec] = field(hash=False)
    config: Mapping[str, Scalar] = field(hash=False)
    files: Mapping[str, str] = field(hash=False, repr=False)
    digest: str = ""
    # ``promote:``: the keys whose values travel with a promotion (None: not written, so
    # the image references' keys, ``kapstan.render.promotion``).
    promote: tuple[str, ...] | None = field(default=None, hash=False)
    # ``logs:`` at the top and under each service (``kapstan.logrules``): a service's own
    # rules name it in ``services``.
    logs: tuple[LogRule, ...] = field(default=(), hash=False)
