"""Clusters as objects, quotas, log rules, drift and self-heal.

Revision ID: 0006
Revises: 0005

- clusters: a registered cluster; its kubeconfig is kept encrypted with the store's secret
  key (like a secret config value), never in plain text. ``sandbox`` names the sandbox when
  Kapstan created the cluster itself (only then may it add or remove nodes or delete it).
- environments: the cluster it runs on (NULL: its own ``kubeconfig`` path, as before),
  whether drift is healed by re-applying, its quota (CPU, memory, pods, object counts,
  storage per StorageClass) and its log collection rules.
- drift: the last drift check of each service of an application: whether the live objects
  differ from the last deployed revision, the diff (secrets redacted) and the operation that
  healed it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("kubeconfig_ciphertext", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=True),
        sa.Column("server", sa.Text(), nullable=False),
        sa.Column("sandbox", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("deleted_at", WHEN, nullable=True),
    )
    op.create_index(
        "uq_clusters_live_name",
        "clusters",
        ["name"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    with op.batch_alter_table("environments") as batch:
        batch.add_column(
            sa.Column(
                "cluster_id",
                sa.Integer(),
                sa.ForeignKey("clusters.id", name="fk_environments_cluster_id_clusters"),
                nullable=True,
            )
        )
        batch.add_column(
            sa.Column("self_heal", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("quota", sa.JSON(), server_default="{}", nullable=False))
        batch.add_column(sa.Column("log_rules", sa.JSON(), server_default="[]", nullable=False))
    op.create_table(
        "drift",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "application_id",
            sa.Integer(),
            sa.ForeignKey("applications.id", name="fk_drift_application_id_applications"),
            nullable=False,
        ),
        sa.Column("service", sa.String(63), nullable=False),
        sa.Column("checked_at", WHEN, nullable=False),
        sa.Column("drifted", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column(
            "healed_by_operation_id",
            sa.Integer(),
            sa.ForeignKey("operations.id", name="fk_drift_healed_by_operation_id_operations"),
            nullable=True,
        ),
        sa.UniqueConstraint("application_id", "service", name="uq_drift_application_id_service"),
    )


def downgrade() -> None:
    op.drop_table("drift")
    with op.batch_alter_table("environments") as batch:
        for column in ("log_rules", "quota", "self_heal", "cluster_id"):
            batch.drop_column(column)
    op.drop_index("uq_clusters_live_name", table_name="clusters")
    op.drop_table("clusters")
