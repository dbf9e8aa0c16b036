"""Console sessions and login failures in the store, shared by every server process on it.

Revision ID: 0004
Revises: 0003

Only the SHA-256 of a session's id is kept. Sessions that were in a process's memory
before this migration are gone: their users log in again. Login failures feed the rate
limit, so N replicas no longer allow N times the limit.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", name="fk_console_sessions_user_id_users"),
            nullable=False,
        ),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("seen_at", WHEN, nullable=False),
        sa.UniqueConstraint("digest", name="uq_console_sessions_digest"),
    )
    op.create_index("ix_console_sessions_user_id", "console_sessions", ["user_id"])
    op.create_index("ix_console_sessions_seen_at", "console_sessions", ["seen_at"])
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("at", WHEN, nullable=False),
    )
    op.create_index("ix_login_failures_user_address", "login_failures", ["user", "address"])
    op.create_index("ix_login_failures_at", "login_failures", ["at"])


def downgrade() -> None:
    op.drop_table("login_failures")
    op.drop_table("console_sessions")
