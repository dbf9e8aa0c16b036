"""Initial schema: templates, configs, environments, applications, revisions.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

NAME = sa.String(63)
# Timestamps are UTC; on SQLite, naive UTC (see tables.UTCDateTime).


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _created() -> sa.Column[object]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "templates",
        _id(),
        sa.Column("name", NAME, nullable=False, unique=True),
        _created(),
    )
    op.create_table(
        "template_versions",
        _id(),
        sa.Column("template_id", sa.Integer(), sa.ForeignKey("templates.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(128), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        _created(),
        sa.UniqueConstraint("template_id", "version"),
    )
    op.create_table(
        "configs",
        _id(),
        sa.Column("name", NAME, nullable=False, unique=True),
        _created(),
    )
    op.create_table(
        "config_versions",
        _id(),
        sa.Column("config_id", sa.Integer(), sa.ForeignKey("configs.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        _created(),
        sa.UniqueConstraint("config_id", "version"),
    )
    op.create_table(
        "config_values",
        _id(),
        sa.Column(
            "config_version_id",
            sa.Integer(),
            sa.ForeignKey("config_versions.id"),
            nullable=False,
        ),
        sa.Column("key", sa.String(253), nullable=False),
        sa.Column("value_json", sa.Text(), nullable=True),
        sa.Column("secret", sa.Boolean(), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=True),
        sa.UniqueConstraint("config_version_id", "key"),
        sa.CheckConstraint(
            "(secret AND ciphertext IS NOT NULL AND value_json IS NULL) OR "
            "(NOT secret AND ciphertext IS NULL AND value_json IS NOT NULL)",
            name="secret_xor_plain",
        ),
    )
    op.create_table(
        "environments",
        _id(),
        sa.Column("name", NAME, nullable=False, unique=True),
        sa.Column("kubeconfig", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=True),
        sa.Column("namespace", NAME, nullable=False),
        sa.Column("config_id", sa.Integer(), sa.ForeignKey("configs.id"), nullable=True),
        _created(),
    )
    op.create_table(
        "applications",
        _id(),
        sa.Column("name", NAME, nullable=False, unique=True),
        sa.Column(
            "template_version_id",
            sa.Integer(),
            sa.ForeignKey("template_versions.id"),
            nullable=False,
        ),
        sa.Column("environment_id", sa.Integer(), sa.ForeignKey("environments.id"), nullable=False),
        sa.Column("config_id", sa.Integer(), sa.ForeignKey("configs.id"), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=True),
        _created(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "revisions",
        _id(),
        sa.Column("application_id", sa.Integer(), sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("service", NAME, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("manifests", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(128), nullable=False),
        sa.Column("template", NAME, nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("config", NAME, nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        _created(),
        sa.UniqueConstraint("application_id", "service", "number"),
    )


def downgrade() -> None:
    for table in (
        "revisions",
        "applications",
        "environments",
        "config_values",
        "config_versions",
        "configs",
        "template_versions",
        "templates",
    ):
        op.drop_table(table)
