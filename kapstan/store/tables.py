"""The ORM rows (SQLAlchemy 2, typed). Only the store's modules see these.

The migration in ``migrations/versions`` creates exactly these tables; a test compares
the two. Version numbers are unique per parent (a constraint), so two writers can never
both get the same number.
"""

# No `from __future__ import annotations` here: SQLAlchemy reads every ``Mapped[...]``
# annotation, and as strings it evaluates each one (~15 ms of every store's start).
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
    util,
)
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
NAME = String(63)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone: store naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class DeferredOptionsIndex(Index):
    """An ``Index`` whose dialect options (``sqlite_where``...) are taken in when that dialect
    first asks for them, not when the index is made.

    SQLAlchemy checks ``<dialect>_<option>`` arguments against the dialect's own module,
    so a plain ``Index(..., postgresql_where=...)`` imports the PostgreSQL dialect (and its
    five drivers' modules: ~70 ms of CPU) in every process that opens a SQLite store. Here
    the DDL compiler's lookup (``dialect_options[name]``) and any listing of the options
    (``dialect_kwargs``, ``kwargs``: copies, Alembic) see the same options as a plain index.
    """

    _deferred: dict[str, Any]

    def _validate_dialect_kwargs(self, kwargs: dict[str, Any]) -> None:
        self._deferred = dict(kwargs)  # called once, by Index.__init__

    @util.memoized_property
    def dialect_options(self) -> util.PopulateDict[str, Any]:
        return util.PopulateDict(self._options_of)

    def _options_of(self, dialect: str) -> Any:
        options = self._kw_reg_for_dialect_cls(dialect)
        for key, value in self._deferred.items():
            name, _, option = key.partition("_")
            if name == dialect:
                if option not in options and "*" not in options:
                    raise ArgumentError(f"{key!r} is not an option of {dialect} indexes")
                options[option] = value
        return options

    @property
    def dialect_kwargs(self) -> Any:
        for key in self._deferred:
            self.dialect_options[key.partition("_")[0]]  # taken in on lookup
        return super().dialect_kwargs


def _live_name(table: str) -> Index:
    """Names are unique among live rows: a deleted object's name may be used again."""
    live = text("deleted_at IS NULL")
    return DeferredOptionsIndex(
        f"uq_{table}_live_name", "name", unique=True, sqlite_where=live, postgresql_where=live
    )


class TemplateRow(Base):
    __tablename__ = "templates"
    __table_args__ = (_live_name("templates"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TemplateVersionRow(Base):
    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("templates.id"))
    version: Mapped[int]
    digest: Mapped[str] = mapped_column(String(128))
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConfigRow(Base):
    __tablename__ = "configs"
    __table_args__ = (_live_name("configs"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConfigVersionRow(Base):
    __tablename__ = "config_versions"
    __table_args__ = (UniqueConstraint("config_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    config_id: Mapped[int] = mapped_column(ForeignKey("configs.id"))
    version: Mapped[int]
    author: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConfigValueRow(Base):
    """One key of one config version: JSON text if plain, Fernet ciphertext if secret."""

    __tablename__ = "config_values"
    __table_args__ = (
        UniqueConstraint("config_version_id", "key"),
        CheckConstraint(
            "(secret AND ciphertext IS NOT NULL AND value_json IS NULL) OR "
            "(NOT secret AND ciphertext IS NULL AND value_json IS NOT NULL)",
            name="secret_xor_plain",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    config_version_id: Mapped[int] = mapped_column(ForeignKey("config_versions.id"))
    key: Mapped[str] = mapped_column(String(253))
    value_json: Mapped[str | None] = mapped_column(Text)
    secret: Mapped[bool]
    ciphertext: Mapped[str | None] = mapped_column(Text)


class ClusterRow(Base):
    """A registered cluster; its kubeconfig only ever stored encrypted."""

    __tablename__ = "clusters"
    __table_args__ = (_live_name("clusters"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    kubeconfig_ciphertext: Mapped[str] = mapped_column(Text)
    context: Mapped[str | None] = mapped_column(Text)
    server: Mapped[str] = mapped_column(Text)
    sandbox: Mapped[str | None] = mapped_column(Text)  # set when Kapstan created it
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EnvironmentRow(Base):
    __tablename__ = "environments"
    __table_args__ = (_live_name("environments"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    kubeconfig: Mapped[str] = mapped_column(Text)
    context: Mapped[str | None] = mapped_column(Text)
    namespace: Mapped[str] = mapped_column(NAME)
    config_id: Mapped[int | None] = mapped_column(ForeignKey("configs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requires_approval: Mapped[bool] = mapped_column(server_default=false())
    # The tenancy boundary: namespaces beyond ``namespace`` and cluster-scoped kinds
    # ("Kind" or "group/Kind") its deploys may write; an identity to impersonate.
    allowed_namespaces: Mapped[list[str]] = mapped_column(JSON, server_default="[]")
    allowed_kinds: Mapped[list[str]] = mapped_column(JSON, server_default="[]")
    impersonate: Mapped[str | None] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(server_default=false())
    namespace_created: Mapped[bool] = mapped_column(server_default=false())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"))
    self_heal: Mapped[bool] = mapped_column(server_default=false())
    quota: Mapped[dict[str, Any]] = mapped_column(JSON, server_default="{}")
    # ``kapstan.actions.logrules``: {"rules": [...], "applied": [...]} (a bare list: rules).
    log_rules: Mapped[list[dict[str, Any]] | dict[str, Any]] = mapped_column(
        JSON, server_default="[]"
    )


class ApplicationRow(Base):
    __tablename__ = "applications"
    __table_args__ = (_live_name("applications"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    template_version_id: Mapped[int] = mapped_column(ForeignKey("template_versions.id"))
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    config_id: Mapped[int] = mapped_column(ForeignKey("configs.id"))
    config_version: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RevisionRow(Base):
    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("application_id", "service", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    service: Mapped[str] = mapped_column(NAME)
    number: Mapped[int]
    manifests: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(128))
    template: Mapped[str] = mapped_column(NAME)
    template_version: Mapped[int]
    config: Mapped[str] = mapped_column(NAME)
    config_version: Mapped[int]
    author: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What was applied (apiVersion, kind, namespace, name, uid): the only things to prune.
    inventory: Mapped[list[dict[str, str]]] = mapped_column(JSON, server_default="[]")
    operation_id: Mapped[int | None] = mapped_column(ForeignKey("operations.id"))


class OperationRow(Base):
    """One run of the deploy engine on one application."""

    __tablename__ = "operations"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    author: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_requested_by: Mapped[str | None] = mapped_column(Text)


class OperationServiceRow(Base):
    """Where one service of an operation is; ``position`` keeps the order it was given in."""

    __tablename__ = "operation_services"
    __table_args__ = (UniqueConstraint("operation_id", "service"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"))
    position: Mapped[int]
    service: Mapped[str] = mapped_column(NAME)
    step: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    revision: Mapped[int | None]


class OperationEventRow(Base):
    """One line of an operation's log; append-only, in ``id`` order."""

    __tablename__ = "operation_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    service: Mapped[str] = mapped_column(Text)
    resource: Mapped[str] = mapped_column(Text)


class ApplicationLockRow(Base):
    """The one lock of an application: who changes it, for which operation, until when."""

    __tablename__ = "application_locks"
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id"), primary_key=True, autoincrement=False
    )
    owner: Mapped[str] = mapped_column(Text)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    took_over_from: Mapped[str | None] = mapped_column(Text)


class UserRow(Base):
    """A person (or robot) using the server; ``password_hash`` None: tokens only."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(NAME, unique=True)
    password_hash: Mapped[str | None] = mapped_column(Text)
    admin: Mapped[bool]
    disabled: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TokenRow(Base):
    """An API token: only the SHA-256 of its text is kept, and its first characters."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConsoleSessionRow(Base):
    """A console login: only the SHA-256 of the cookie's random id is kept."""

    __tablename__ = "console_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class LoginFailureRow(Base):
    """A failed password login: who was tried, from where, when (for the rate limit)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_user_address", "user", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class RoleGrantRow(Base):
    """The one role of a user in an environment."""

    __tablename__ = "role_grants"
    __table_args__ = (
        UniqueConstraint("user_id", "environment_id"),
        CheckConstraint("role IN ('viewer', 'deployer', 'admin')", name="known_role"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    role: Mapped[str] = mapped_column(String(16))


class AuditRow(Base):
    """One line of the audit log. Append-only: database triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(Text, index=True)
    action: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(Text)
    environment: Mapped[str | None] = mapped_column(Text)
    from_version: Mapped[str | None] = mapped_column(Text)
    to_version: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


class ApprovalRow(Base):
    """A request for a second user's approval: pending -> approved -> used, or rejected."""

    __tablename__ = "approvals"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'used')", name="known_status"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    application: Mapped[str] = mapped_column(NAME)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"), index=True)
    requested_by: Mapped[str] = mapped_column(NAME)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), index=True)
    decided_by: Mapped[str | None] = mapped_column(NAME)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class DriftRow(Base):
    """The last drift check of one service of an application."""

    __tablename__ = "drift"
    __table_args__ = (UniqueConstraint("application_id", "service"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    service: Mapped[str] = mapped_column(NAME)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    drifted: Mapped[bool]
    revision: Mapped[int | None]
    diff: Mapped[str] = mapped_column(Text)  # secrets redacted
    fields: Mapped[list[str]] = mapped_column(JSON)
    healed_by_operation_id: Mapped[int | None] = mapped_column(ForeignKey("operations.id"))


class RolloutPlanRow(Base):
    """A named rollout plan: the canary, a soak time, then the rest, at most ``parallel``
    at once."""

    __tablename__ = "rollout_plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(NAME, unique=True)
    canary: Mapped[str] = mapped_column(NAME)
    then: Mapped[list[str]] = mapped_column(JSON)  # the environments after the canary, in order
    soak: Mapped[float] = mapped_column(Float)  # seconds
    parallel: Mapped[int]
    rollback_on_failure: Mapped[bool]
    created_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RolloutRow(Base):
    """One rollout of an application's template version over several environments."""

    __tablename__ = "rollouts"
    __table_args__ = (
        CheckConstraint(
            "status IN ('waiting-approval', 'running', 'done', 'failed')", name="known_status"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    application: Mapped[str] = mapped_column(NAME, index=True)  # the source
    template: Mapped[str] = mapped_column(NAME)
    template_version: Mapped[int]
    plan: Mapped[str | None] = mapped_column(NAME)
    soak: Mapped[float] = mapped_column(Float)
    parallel: Mapped[int]
    rollback_on_failure: Mapped[bool]
    timeout: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(24))
    error: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # While running: who runs it (``lock_owner``), since when, and until when its lease
    # (renewed by the run's heartbeat) holds; expired: interrupted, resumable by another.
    owner: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RolloutTargetRow(Base):
    """One environment of a rollout, in order (``position`` 0 is the canary), and its state."""

    __tablename__ = "rollout_targets"
    __table_args__ = (
        UniqueConstraint("rollout_id", "position"),
        CheckConstraint(
            "state IN ('pending', 'deploying', 'soaking', 'done', 'failed', 'rolled-back')",
            name="known_state",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollouts.id"), index=True)
    position: Mapped[int]
    environment: Mapped[str] = mapped_column(NAME)
    application: Mapped[str] = mapped_column(NAME)  # the promoted application there
    state: Mapped[str] = mapped_column(String(16))
    approval_id: Mapped[int | None]
    operation_id: Mapped[int | None]
    rollback_operation_id: Mapped[int | None]
    created_app: Mapped[bool] = mapped_column(server_default=false())
    previous_template_version: Mapped[int | None]
    error: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
