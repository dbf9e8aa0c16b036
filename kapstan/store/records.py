"""What the store hands out: frozen records, never ORM rows.

Every record is a snapshot read inside one transaction; changing it changes nothing
in the store. Versions (templates, configs) and revisions are immutable once written,
so the store has no API to edit them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from kapstan.model.values import Value


@dataclass(frozen=True)
class TemplateVersion:
    """One immutable version of a template: its files (relative path -> text)."""

    name: str
    version: int
    files: Mapping[str, str] = field(hash=False)
    digest: str
    author: str
    message: str
    created_at: datetime


@dataclass(frozen=True)
class ConfigVersion:
    """One immutable version of a config: a full snapshot of its values.

    Secret values come back as ``SecretValue`` (decrypted, printing as ``<redacted>``).
    """

    name: str
    version: int
    values: Mapping[str, Value] = field(hash=False)
    author: str
    message: str
    created_at: datetime


@dataclass(frozen=True)
class Environment:
    """A deploy target: a kubeconfig (a path, never its contents), a context, a namespace.

    ``config`` names the environment's own config, or is None.
    """

    name: str
    kubeconfig: str
    context: str | None
    namespace: str
    config: str | None
    created_at: datetime


@dataclass(frozen=True)
class Application:
    """A template version deployed into an environment with a config.

    ``config_version`` None means: follow the config's latest version.
    """

    name: str
    template: str
    template_version: int
    environment: str
    config: str
    config_version: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Revision:
    """What one deploy applied to one service: numbered 1..n per application and service.

    ``manifests`` is stored exactly as given: callers pass text with Secret data redacted.
    ``inventory`` lists what was applied (apiVersion, kind, namespace, name, uid): the
    only objects a later revision may prune. ``operation_id`` is the operation that
    recorded it, if any.
    """

    app: str
    service: str
    number: int
    manifests: str
    hash: str
    template: str
    template_version: int
    config: str
    config_version: int
    author: str
    message: str
    status: str
    created_at: datetime
    inventory: tuple[Mapping[str, str], ...] = field(default=(), hash=False)
    operation_id: int | None = None


@dataclass(frozen=True)
class LockInfo:
    """Who is changing an application: ``owner`` runs ``operation_id`` until ``expires_at``.

    The owner renews the lease while it works; once ``expires_at`` has passed, another
    operation may take the lock over. ``took_over_from`` names the owner it was taken from.
    """

    app: str
    owner: str
    operation_id: int
    acquired_at: datetime
    expires_at: datetime
    took_over_from: str | None = None
