"""Operations, their services and events, application locks; revision inventories.

Revision ID: 0002
Revises: 0001

Existing revisions get an empty inventory (nothing recorded, so nothing will be pruned)
and no operation. Constraint and index names follow ``tables.NAMING``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NAME = sa.String(63)
WHEN = sa.DateTime(timezone=True)
REVISION_OPERATION_FK = "fk_revisions_operation_id_operations"


def _operation_id(*, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(
        "operation_id", sa.Integer(), sa.ForeignKey("operations.id"), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "operations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("application_id", sa.Integer(), sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("finished_at", WHEN, nullable=True),
    )
    op.create_index("ix_operations_application_id", "operations", ["application_id"])
    op.create_table(
        "operation_services",
        sa.Column("id", sa.Integer(), primary_key=True),
        _operation_id(),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("service", NAME, nullable=False),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.UniqueConstraint(
            "operation_id", "service", name="uq_operation_services_operation_id_service"
        ),
    )
    op.create_table(
        "operation_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        _operation_id(),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("resource", sa.Text(), nullable=False),
    )
    op.create_index("ix_operation_events_operation_id", "operation_events", ["operation_id"])
    op.create_table(
        "application_locks",
        sa.Column(
            "application_id",
            sa.Integer(),
            sa.ForeignKey("applications.id"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("owner", sa.Text(), nullable=False),
        _operation_id(),
        sa.Column("acquired_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("took_over_from", sa.Text(), nullable=True),
    )
    with op.batch_alter_table("revisions") as batch:
        batch.add_column(
            sa.Column("inventory", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch.add_column(sa.Column("operation_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(REVISION_OPERATION_FK, "operations", ["operation_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("revisions") as batch:
        batch.drop_constraint(REVISION_OPERATION_FK, type_="foreignkey")
        batch.drop_column("operation_id")
        batch.drop_column("inventory")
    for table in ("application_locks", "operation_events", "operation_services", "operations"):
        op.drop_table(table)
