"""Users, API tokens, roles per environment, the audit log, approvals.

Revision ID: 0003
Revises: 0002

Environments gain ``requires_approval`` (false for those that exist). The audit log is
append-only in the database itself: a trigger refuses UPDATE and DELETE (and TRUNCATE on
PostgreSQL), whoever connects. Constraint and index names follow ``tables.NAMING``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NAME = sa.String(63)
WHEN = sa.DateTime(timezone=True)
REFUSED = "audit_log is append-only"

POSTGRES_GUARD = f"""
CREATE FUNCTION kapstan_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{REFUSED}: % is not allowed', TG_OP;
END
$$
"""
POSTGRES_TRIGGERS = (
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION kapstan_audit_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION kapstan_audit_append_only()",
)
SQLITE_TRIGGERS = tuple(
    f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSED}: {verb} is not allowed'); END"
    for verb in ("UPDATE", "DELETE")
)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _refer(owner: str, column: str, table: str) -> sa.Column[int]:
    return sa.Column(
        column,
        sa.Integer(),
        sa.ForeignKey(f"{table}.id", name=f"fk_{owner}_{column}_{table}"),
        nullable=False,
    )


def upgrade() -> None:
    # Plain ALTER TABLE on both backends: a batch (copy) of environments on SQLite would
    # drop a table that applications refer to.
    op.add_column(
        "environments",
        sa.Column("requires_approval", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    _create_users_and_tokens()
    op.create_table(
        "role_grants",
        _id(),
        _refer("role_grants", "user_id", "users"),
        _refer("role_grants", "environment_id", "environments"),
        sa.Column("role", sa.String(16), nullable=False),
        sa.UniqueConstraint(
            "user_id", "environment_id", name="uq_role_grants_user_id_environment_id"
        ),
        sa.CheckConstraint(
            "role IN ('viewer', 'deployer', 'admin')", name="ck_role_grants_known_role"
        ),
    )
    _create_audit_log()
    _create_approvals()


def _create_users_and_tokens() -> None:
    op.create_table(
        "users",
        _id(),
        sa.Column("name", NAME, nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    op.create_table(
        "api_tokens",
        _id(),
        _refer("api_tokens", "user_id", "users"),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(8), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("last_used_at", WHEN, nullable=True),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.UniqueConstraint("digest", name="uq_api_tokens_digest"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])


def _create_audit_log() -> None:
    op.create_table(
        "audit_log",
        _id(),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("environment", sa.Text(), nullable=True),
        sa.Column("from_version", sa.Text(), nullable=True),
        sa.Column("to_version", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_GUARD)
        for statement in POSTGRES_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def _create_approvals() -> None:
    op.create_table(
        "approvals",
        _id(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("application", NAME, nullable=False),
        _refer("approvals", "environment_id", "environments"),
        sa.Column("requested_by", NAME, nullable=False),
        sa.Column("requested_at", WHEN, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", NAME, nullable=True),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("used_at", WHEN, nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'used')",
            name="ck_approvals_known_status",
        ),
    )
    op.create_index("ix_approvals_environment_id", "approvals", ["environment_id"])
    op.create_index("ix_approvals_status", "approvals", ["status"])


def downgrade() -> None:
    for table in ("approvals", "audit_log", "role_grants", "api_tokens", "users"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION kapstan_audit_append_only()")
    op.drop_column("environments", "requires_approval")  # SQLite >= 3.35 drops it in place
