"""Rollouts across environments, and named rollout plans.

Revision ID: 0007
Revises: 0006

- rollout_plans: a named plan: the canary environment, the soak time (seconds), the
  environments after it in order, how many of them at once, and whether a failure rolls
  back the environments already done.
- rollouts: one application's template version rolled out over several environments; its
  status (waiting-approval, running, done, failed) and the error that stopped it; while it
  runs, the process that runs it (owner, since claimed_at) and when its lease, renewed by a
  heartbeat, expires: a running rollout whose lease expired is interrupted (its process
  died) and may be resumed by another.
- rollout_targets: each environment of a rollout in order (position 0 is the canary): its
  state (pending, deploying, soaking, done, failed, rolled-back), the approval it waits for,
  the operations that deployed and rolled it back, whether the rollout created the
  application there, and the template version it ran before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rollout_plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("canary", sa.String(63), nullable=False),
        sa.Column("then", sa.JSON(), nullable=False),
        sa.Column("soak", sa.Float(), nullable=False),
        sa.Column("parallel", sa.Integer(), nullable=False),
        sa.Column("rollback_on_failure", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.UniqueConstraint("name", name="uq_rollout_plans_name"),
    )
    op.create_table(
        "rollouts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("application", sa.String(63), nullable=False),
        sa.Column("template", sa.String(63), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("plan", sa.String(63), nullable=True),
        sa.Column("soak", sa.Float(), nullable=False),
        sa.Column("parallel", sa.Integer(), nullable=False),
        sa.Column("rollback_on_failure", sa.Boolean(), nullable=False),
        sa.Column("timeout", sa.Float(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("claimed_at", WHEN, nullable=True),
        sa.Column("lease_expires_at", WHEN, nullable=True),
        sa.CheckConstraint(
            "status IN ('waiting-approval', 'running', 'done', 'failed')",
            name="ck_rollouts_known_status",
        ),
    )
    op.create_index("ix_rollouts_application", "rollouts", ["application"])
    op.create_table(
        "rollout_targets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "rollout_id",
            sa.Integer(),
            sa.ForeignKey("rollouts.id", name="fk_rollout_targets_rollout_id_rollouts"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("environment", sa.String(63), nullable=False),
        sa.Column("application", sa.String(63), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("approval_id", sa.Integer(), nullable=True),
        sa.Column("operation_id", sa.Integer(), nullable=True),
        sa.Column("rollback_operation_id", sa.Integer(), nullable=True),
        sa.Column("created_app", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("previous_template_version", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.UniqueConstraint(
            "rollout_id", "position", name="uq_rollout_targets_rollout_id_position"
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'deploying', 'soaking', 'done', 'failed', 'rolled-back')",
            name="ck_rollout_targets_known_state",
        ),
    )
    op.create_index("ix_rollout_targets_rollout_id", "rollout_targets", ["rollout_id"])


def downgrade() -> None:
    op.drop_index("ix_rollout_targets_rollout_id", table_name="rollout_targets")
    op.drop_table("rollout_targets")
    op.drop_index("ix_rollouts_application", table_name="rollouts")
    op.drop_table("rollouts")
    op.drop_table("rollout_plans")
