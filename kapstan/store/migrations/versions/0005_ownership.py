"""Ownership and the whole life of an object: tenancy settings, soft deletes, cancel.

Revision ID: 0005
Revises: 0004

- environments: the tenancy boundary (extra namespaces, cluster-scoped kinds allowed, an
  identity to impersonate, ``shared`` for a namespace two environments may share) and
  whether Kapstan created the namespace (only then may it ever touch the Namespace).
- templates, template_versions, configs, environments, applications: ``deleted_at``.
  A deleted object keeps its row so history (operations, revisions, audit) stays readable;
  names are unique among live rows only, so a name can be used again after a delete.
- operations: ``cancel_requested_at``, read by the running operation at each safe point,
  from any process.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
NAMED = ("templates", "configs", "environments", "applications")
LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("environments") as batch:
        batch.add_column(
            sa.Column("allowed_namespaces", sa.JSON(), server_default="[]", nullable=False)
        )
        batch.add_column(sa.Column("allowed_kinds", sa.JSON(), server_default="[]", nullable=False))
        batch.add_column(sa.Column("impersonate", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("shared", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(
            sa.Column("namespace_created", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("template_versions") as batch:
        batch.add_column(sa.Column("deleted_at", WHEN, nullable=True))
    for table in NAMED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("deleted_at", WHEN, nullable=True))
            batch.drop_constraint(f"uq_{table}_name", type_="unique")
        op.create_index(
            f"uq_{table}_live_name",
            table,
            ["name"],
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        )
    with op.batch_alter_table("operations") as batch:
        batch.add_column(sa.Column("cancel_requested_at", WHEN, nullable=True))
        batch.add_column(sa.Column("cancel_requested_by", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("operations") as batch:
        batch.drop_column("cancel_requested_by")
        batch.drop_column("cancel_requested_at")
    for table in reversed(NAMED):
        op.drop_index(f"uq_{table}_live_name", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("deleted_at")
            batch.create_unique_constraint(f"uq_{table}_name", ["name"])
    with op.batch_alter_table("template_versions") as batch:
        batch.drop_column("deleted_at")
    with op.batch_alter_table("environments") as batch:
        for column in (
            "namespace_created",
            "shared",
            "impersonate",
            "allowed_kinds",
            "allowed_namespaces",
        ):
            batch.drop_column(column)
