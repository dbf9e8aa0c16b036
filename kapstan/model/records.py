"""The records Kapstan keeps: frozen snapshots the store hands out, never ORM rows.

They live in the model, not the store, so everything that only reads them (the actions,
the front doors, the remote client decoding the API's answers) needs no SQLAlchemy. The
store maps its rows to them. Every record read from the store is a snapshot read inside
one transaction; changing it changes nothing in the store. Versions (templates, configs) and revisions are immutable once written,
so the store has no API to edit them; nor audit entries, which are append-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from kapstan.model.values import SecretValue, Value


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
class ConfigKeys:
    """Some keys of one config version: those asked for that it has (``ConfigVersion`` is
    the whole version). Secrets are ``SecretValue`` as there."""

    name: str
    version: int
    values: Mapping[str, Value] = field(hash=False)


@dataclass(frozen=True)
class Environment:
    """A deploy target: a kubeconfig (a path, never its contents), a context, a namespace.

    ``config`` names the environment's own config, or is None. ``requires_approval``:
    changes here wait for a second user's approval.

    The tenancy boundary: deploys write namespaced objects into ``namespace`` and the
    ``allowed_namespaces`` only, and cluster-scoped objects only of ``allowed_kinds``
    ("Kind" or "group/Kind"); ``impersonate`` is the Kubernetes identity every request is
    made as (a user, or ``system:serviceaccount:NS:NAME``), so the cluster's RBAC bounds
    them too. ``shared``: another environment may use the same cluster and namespace (and
    Kapstan never creates the namespace). ``namespace_created``: Kapstan created it.
    """

    name: str
    kubeconfig: str
    context: str | None
    namespace: str
    config: str | None
    created_at: datetime
    requires_approval: bool = False
    allowed_namespaces: tuple[str, ...] = ()
    allowed_kinds: tuple[str, ...] = ()
    impersonate: str | None = None
    shared: bool = False
    namespace_created: bool = False
    # Drift found by the server's periodic check is healed by re-applying the service.
    self_heal: bool = False
    # The registered cluster it runs on (``kapstan cluster``), None for a kubeconfig path
    # alone; its kubeconfig, decrypted only when a client is built (never shown).
    cluster: str | None = None
    cluster_kubeconfig: SecretValue | None = field(default=None, compare=False, repr=False)
    # The quota (``kapstan.plan.quota``: hard limits, container defaults, what was applied).
    quota: Mapping[str, Any] = field(default_factory=dict, compare=False)
    # Log collection rules (``kapstan.actions.logrules``: rules, what was applied).
    log_rules: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Cluster:
    """A registered Kubernetes API. Its kubeconfig is kept encrypted and is in no record
    that is shown: only ``Environment.cluster_kubeconfig`` and the store's credentials read
    carry it, sealed. ``sandbox`` names the sandbox when Kapstan created the cluster."""

    name: str
    server: str
    context: str | None
    created_by: str
    created_at: datetime
    sandbox: str | None = None


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


@dataclass(frozen=True)
class User:
    """Someone who uses the server. ``admin``: admin in every environment."""

    name: str
    admin: bool
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class ConsoleSession:
    """A live console login (its id is the caller's; the store keeps only a digest)."""

    user: User
    created_at: datetime
    seen_at: datetime


@dataclass(frozen=True)
class TokenInfo:
    """An API token as it may be shown again: never its text, only its first characters."""

    id: int
    user: str
    description: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit log: who did what to which object, and when.

    ``details`` holds plain JSON data that callers have redacted: never a secret value.
    """

    id: int
    at: datetime
    actor: str
    action: str
    kind: str
    name: str
    environment: str | None
    from_version: str | None
    to_version: str | None
    details: Mapping[str, Any] = field(hash=False)


class ApprovalStatus(StrEnum):
    """pending -> approved -> used, or pending -> rejected."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    USED = "used"


@dataclass(frozen=True)
class Approval:
    """A change (``kind``: deploy, promote...) waiting for, or given, a second user's word.

    ``payload`` is what the requester asked for (plain JSON, no secrets), replayed once
    approved. ``reason`` is the rejecter's; ``used_at`` is when the approval was spent.
    """

    id: int
    kind: str
    application: str
    environment: str
    requested_by: str
    requested_at: datetime
    status: ApprovalStatus
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    payload: Mapping[str, Any] = field(hash=False)
    used_at: datetime | None = None
