"""Rollouts across environments and the named plans they follow.

A rollout is one application's template version promoted and deployed into several
environments in order: ``targets[0]`` is the canary. Each target keeps its own state
(pending -> deploying -> soaking (the canary) -> done | failed, and done -> rolled-back),
the approval it waits for, the operations that deployed and rolled it back, and the error
that stopped it, so the CLI, the API and the console read the same record while it runs.

A running rollout is held by one process at a time: its claim (owner, since ``claimed_at``)
lasts until ``lease_expires_at``, which the run's heartbeat moves on. Claims are taken
under the rollout's row lock (PostgreSQL ``SELECT ... FOR UPDATE``; SQLite writers queue on
``BEGIN IMMEDIATE``), so of two processes resuming one rollout exactly one wins. A running
rollout whose lease expired (or was released by a stopping server) reads as
``interrupted``: its process is gone, and ``claim_rollout`` lets another take it over.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kapstan.errors import ConflictError, InputError, NotFoundError
from kapstan.model.rollouts import Rollout, RolloutPlan, RolloutTarget
from kapstan.store.base import Repository
from kapstan.store.names import check_name
from kapstan.store.tables import RolloutPlanRow, RolloutRow, RolloutTargetRow

RECENT = 50  # rollouts listed, newest first
RUNNING, INTERRUPTED, WAITING = "running", "interrupted", "waiting-approval"
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
        status: str = RUNNING,
        owner: str | None = None,
        lease_seconds: float = 30.0,
    ) -> Rollout:
        """A new rollout over ``targets`` ((environment, application there), in order), each
        pending; running, it is claimed by ``owner`` at once (else it reads interrupted)."""
        if not targets:
            raise InputError("a rollout needs at least one environment")
        lease = _lease(lease_seconds)

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
            if status == RUNNING and owner is not None:
                _claim(row, owner, row.created_at, lease)
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
            return _rollout(session, row, self._now())

        return self._write(work)

    def claim_rollout(
        self,
        rollout_id: int,
        *,
        owner: str,
        lease_seconds: float,
        dead_owner: str | None = None,
    ) -> tuple[Rollout, str | None]:
        """Hold the rollout for ``owner`` until now + ``lease_seconds``: one waiting for
        approvals starts running (the caller checked them); a running one is taken over
        if its lease expired, was released, or is held by ``dead_owner`` (the caller saw
        that process is gone). The rollout as claimed, and whom it was taken from.

        ConflictError if it has ended, or another live process runs it (named, with since
        when and when its lease expires).
        """
        lease = _lease(lease_seconds)
        if not owner.strip():
            raise InputError("a rollout is claimed by someone: who runs it (user, pid, host)")

        def work(session: Session) -> tuple[Rollout, str | None]:
            row = _rollout_row(session, rollout_id, lock=True)
            now = self._now()
            if row.status not in (RUNNING, WAITING):
                raise ConflictError(
                    f"rollout {rollout_id} is {row.status}: it has ended; start a new one "
                    f"(see `kapstan rollout show {rollout_id}`)"
                )
            before = row.owner if row.status == RUNNING else None
            live = row.lease_expires_at is not None and row.lease_expires_at > now
            if before is not None and live and before != dead_owner:
                assert row.lease_expires_at is not None and row.claimed_at is not None
                left = max(1, math.ceil((row.lease_expires_at - now).total_seconds()))
                raise ConflictError(
                    f"rollout {rollout_id} is being run by {before} since "
                    f"{_time(row.claimed_at)}; its lease expires in {left} s. Two processes "
                    f"never run one rollout: follow it with `kapstan rollout show "
                    f"{rollout_id}`, or resume it once it reads interrupted"
                )
            row.status = RUNNING
            _claim(row, owner, now, lease)
            session.flush()
            return _rollout(session, row, now), before

        return self._write(work)

    def renew_rollout(
        self, rollout_id: int, *, owner: str, claimed_at: datetime, lease_seconds: float
    ) -> Rollout:
        """Move our lease on to now + ``lease_seconds``; ConflictError if the rollout is no
        longer ours (taken over after our lease expired, released, or ended)."""
        lease = _lease(lease_seconds)

        def work(session: Session) -> Rollout:
            row = _rollout_row(session, rollout_id, lock=True)
            if (row.status, row.owner, row.claimed_at) != (RUNNING, owner, claimed_at):
                holder = f"{row.owner} holds it" if row.owner else "no one holds it"
                raise ConflictError(
                    f"rollout {rollout_id} is no longer run by {owner}: it is {row.status} "
                    f"and {holder}"
                )
            now = self._now()
            row.lease_expires_at = now + lease
            session.flush()
            return _rollout(session, row, now)

        return self._write(work)

    def release_rollout(self, rollout_id: int, *, owner: str, claimed_at: datetime) -> Rollout:
        """Let go of a rollout we run, unfinished: it reads interrupted at once, and
        ``claim_rollout`` lets anyone resume it. Not ours: nothing changes."""

        def work(session: Session) -> Rollout:
            row = _rollout_row(session, rollout_id, lock=True)
            if (row.owner, row.claimed_at) == (owner, claimed_at):
                row.lease_expires_at = None
                session.flush()
            return _rollout(session, row, self._now())

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
            return _rollout(session, row, self._now())

        return self._write(work)

    def set_rollout_status(self, rollout_id: int, status: str, error: str = "") -> Rollout:
        """The rollout's status; a finished one (done, failed) gets its finishing time. Not
        running, no one holds it."""

        def work(session: Session) -> Rollout:
            row = _rollout_row(session, rollout_id, lock=True)
            row.status = status
            row.error = error
            row.finished_at = self._now() if status in ("done", "failed") else None
            if status != RUNNING:
                row.owner = row.claimed_at = row.lease_expires_at = None
            session.flush()
            return _rollout(session, row, self._now())

        return self._write(work)

    def get_rollout(self, rollout_id: int) -> Rollout:
        def work(session: Session) -> Rollout:
            return _rollout(session, _rollout_row(session, rollout_id), self._now())

        return self._read(work)

    def list_rollouts(self, application: str | None = None, limit: int = RECENT) -> list[Rollout]:
        """The newest rollouts first (of ``application``, the source, when given)."""

        def work(session: Session) -> list[Rollout]:
            query = select(RolloutRow)
            if application is not None:
                query = query.where(RolloutRow.application == application)
            rows = session.scalars(query.order_by(RolloutRow.id.desc()).limit(limit)).all()
            now = self._now()
            return [_rollout(session, r, now) for r in rows]

        return self._read(work)


def _rollout_row(session: Session, rollout_id: int, *, lock: bool = False) -> RolloutRow:
    row = session.get(RolloutRow, rollout_id, with_for_update=lock)
    if row is None:
        raise NotFoundError(f"rollout {rollout_id} not found; see `kapstan rollout list`")
    return row


def _claim(row: RolloutRow, owner: str, now: datetime, lease: timedelta) -> None:
    row.owner, row.claimed_at, row.lease_expires_at = owner, now, now + lease


def _lease(seconds: float) -> timedelta:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise InputError(f"a rollout's lease is a number of seconds, not {seconds!r}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise InputError(f"a rollout's lease must be a positive number of seconds, not {seconds}")
    return timedelta(seconds=seconds)


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def status_at(row: RolloutRow, now: datetime) -> str:
    """As stored, except a running rollout no live process holds: interrupted."""
    if row.status != RUNNING:
        return row.status
    held = row.lease_expires_at is not None and row.lease_expires_at > now
    return RUNNING if held else INTERRUPTED


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


def _rollout(session: Session, row: RolloutRow, now: datetime) -> Rollout:
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
        status=status_at(row, now),
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
        owner=row.owner,
        claimed_at=row.claimed_at,
        lease_expires_at=row.lease_expires_at,
    )
