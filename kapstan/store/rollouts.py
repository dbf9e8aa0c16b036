"""Rollouts across environments and the named plans they follow.

A rollout is one application's template version promoted and deployed into several
environments in order: ``targets[0]`` is the canary. Each target keeps its own state
(pending -> deploying -> soaking (the canary) -> done | failed, and done -> rolled-back),
the approval it waits for, the operations that deployed and rolled it back, and the error
that stopped it, so the CLI, the API and the console read the same record while it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kapstan.errors import InputError, NotFoundError
from kapstan.model.rollouts import Rollout, RolloutPlan, RolloutTarget
from kapstan.store.base import Repository
from kapstan.store.names import check_name
from kapstan.store.tables import RolloutPlanRow, RolloutRow, RolloutTargetRow

RECENT = 50  # rollouts listed, newest first
# As the table's check constraint has them (``kapstan.plan.rollouts`` says how they move).
TARGET_STATES = ("pending", "deploying", "soaking", "done", "failed", "rolled-back")
# The fields of a target a rollout changes as it goes (``update_rollout_target``).
TARGET_FIELDS = frozenset(
    {
        "state",
        "approval_id",
        "operation_id",
        "rollback_operation_id",
        "created_app",
        "previous_template_version",
        "error",
        "started_at",
        "finished_at",
    }
)


class RolloutStore(Repository):
    def save_rollout_plan(
        self,
        name: str,
        *,
        canary: str,
        then: Sequence[str],
        soak: float,
        parallel: int,
        rollback_on_failure: bool,
        author: str,
    ) -> RolloutPlan:
        """Create plan ``name``, or replace it whole."""
        check_name("rollout plan", name)

        def work(session: Session) -> RolloutPlan:
            row = session.scalars(select(RolloutPlanRow).where(RolloutPlanRow.name == name)).first()
            if row is None:
                row = RolloutPlanRow(name=name)
                session.add(row)
            row.canary = canary
            row.then = list(then)
            row.soak = float(soak)
            row.parallel = int(parallel)
            row.rollback_on_failure = bool(rollback_on_failure)
            row.created_by = author
            row.updated_at = self._now()
            session.flush()
            return _plan(row)

        return self._write(work)

    def get_rollout_plan(self, name: str) -> RolloutPlan:
        def work(session: Session) -> RolloutPlan:
            row = session.scalars(select(RolloutPlanRow).where(RolloutPlanRow.name == name)).first()
            if row is None:
                raise NotFoundError(
                    f"rollout plan {name!r} not found; see `kapstan rollout plan list`"
                )
            return _plan(row)

        return self._read(work)

    def list_rollout_plans(self) -> list[RolloutPlan]:
        def work(session: Session) -> list[RolloutPlan]:
            rows = session.scalars(select(RolloutPlanRow).order_by(RolloutPlanRow.name))
            return [_plan(r) for r in rows]

        return self._read(work)

    def delete_rollout_plan(self, name: str) -> None:
        def work(session: Session) -> None:
            gone = session.execute(delete(RolloutPlanRow).where(RolloutPlanRow.name == name))
            if not getattr(gone, "rowcount", 0):
                raise NotFoundError(
                    f"rollout plan {name!r} not found; see `kapstan rollout plan list`"
                )

        self._write(work)

    def create_rollout(
        self,
        *,
        application: str,
        template: str,
        template_version: int,
        targets: Sequence[tuple[str, str]],
        plan: str | None,
        soak: float,
        parallel: int,
        rollback_on_failure: bool,
        timeout: float,
        author: str,
        status: str = "running",
    ) -> Rollout:
        """A new rollout over ``targets`` ((environment, application there), in order), each
        pending."""
        if not targets:
            raise InputError("a rollout needs at least one environment")

        def work(session: Session) -> Rollout:
            row = RolloutRow(
                application=application,
                template=template,
                template_version=template_version,
                plan=plan,
                soak=float(soak),
                parallel=int(parallel),
                rollback_on_failure=bool(rollback_on_failure),
                timeout=float(timeout),
                status=status,
                error="",
                created_by=author,
                created_at=self._now(),
            )
            session.add(row)
            session.flush()
            for position, (environment, app) in enumerate(targets):
                session.add(
                    RolloutTargetRow(
                        rollout_id=row.id,
                        position=position,
                        environment=environment,
                        application=app,
                        state="pending",
                        created_app=False,
                        error="",
                    )
                )
            session.flush()
            return _rollout(session, row)

        return self._write(work)

    def update_rollout_target(self, rollout_id: int, environment: str, **fields: Any) -> Rollout:
        """Set ``fields`` (of ``TARGET_FIELDS``) of the rollout's target in ``environment``."""
        unknown = set(fields) - TARGET_FIELDS
        if unknown:
            raise InputError(f"a rollout target has no field {', '.join(sorted(unknown))}")
        if "state" in fields and fields["state"] not in TARGET_STATES:
            raise InputError(
                f"rollout target state {fields['state']!r} is not one of {', '.join(TARGET_STATES)}"
            )

        def work(session: Session) -> Rollout:
            row = _rollout_row(session, rollout_id)
            target = session.scalars(
                select(RolloutTargetRow).where(
                    RolloutTargetRow.rollout_id == rollout_id,
                    RolloutTargetRow.environment == environment,
                )
            ).first()
            if target is None:
                raise NotFoundError(f"rollout {rollout_id} has no environment {environment!r}")
            for name, value in fields.items():
                setattr(target, name, value)
            session.flush()
            return _rollout(session, row)

        return self._write(work)

    def set_rollout_status(self, rollout_id: int, status: str, error: str = "") -> Rollout:
        """The rollout's status; a finished one (done, failed) gets its finishing time."""

        def work(session: Session) -> Rollout:
            row = _rollout_row(session, rollout_id)
            row.status = status
            row.error = error
            row.finished_at = self._now() if status in ("done", "failed") else None
            session.flush()
            return _rollout(session, row)

        return self._write(work)

    def get_rollout(self, rollout_id: int) -> Rollout:
        def work(session: Session) -> Rollout:
            return _rollout(session, _rollout_row(session, rollout_id))

        return self._read(work)

    def list_rollouts(self, application: str | None = None, limit: int = RECENT) -> list[Rollout]:
        """The newest rollouts first (of ``application``, the source, when given)."""

        def work(session: Session) -> list[Rollout]:
            query = select(RolloutRow)
            if application is not None:
                query = query.where(RolloutRow.application == application)
            rows = session.scalars(query.order_by(RolloutRow.id.desc()).limit(limit)).all()
            return [_rollout(session, r) for r in rows]

        return self._read(work)


def _rollout_row(session: Session, rollout_id: int) -> RolloutRow:
    row = session.get(RolloutRow, rollout_id)
    if row is None:
        raise NotFoundError(f"rollout {rollout_id} not found; see `kapstan rollout list`")
    return row


def _plan(row: RolloutPlanRow) -> RolloutPlan:
    return RolloutPlan(
        name=row.name,
        canary=row.canary,
        then=tuple(row.then or ()),
        soak=row.soak,
        parallel=row.parallel,
        rollback_on_failure=row.rollback_on_failure,
        created_by=row.created_by,
        updated_at=row.updated_at,
    )


def _rollout(session: Session, row: RolloutRow) -> Rollout:
    targets = session.scalars(
        select(RolloutTargetRow)
        .where(RolloutTargetRow.rollout_id == row.id)
        .order_by(RolloutTargetRow.position)
    )
    return Rollout(
        id=row.id,
        application=row.application,
        template=row.template,
        template_version=row.template_version,
        plan=row.plan,
        soak=row.soak,
        parallel=row.parallel,
        rollback_on_failure=row.rollback_on_failure,
        timeout=row.timeout,
        status=row.status,
        error=row.error,
        created_by=row.created_by,
        created_at=row.created_at,
        finished_at=row.finished_at,
        targets=tuple(
            RolloutTarget(
                position=t.position,
                environment=t.environment,
                application=t.application,
                state=t.state,
                approval_id=t.approval_id,
                operation_id=t.operation_id,
                rollback_operation_id=t.rollback_operation_id,
                created_app=t.created_app,
                previous_template_version=t.previous_template_version,
                error=t.error,
                started_at=t.started_at,
                finished_at=t.finished_at,
            )
            for t in targets
        ),
    )
