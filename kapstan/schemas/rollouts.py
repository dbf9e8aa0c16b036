"""Rollouts across environments and named rollout plans, on the wire.

``RolloutOut.digest`` changes whenever the rollout or one of its environments moves on:
``GET /rollouts/{id}?seen=DIGEST&wait=S`` answers as soon as it differs (a long poll).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import Field

from kapstan.model.rollouts import Rollout, RolloutPlan, RolloutTarget
from kapstan.schemas.base import Model

MAX_WAIT = 60  # seconds a long poll holds


class RolloutRequest(Model):
    """Roll ``application``'s template version out: over ``to`` (in order; the first is the
    canary) or a named ``plan``; the plan's settings unless given here."""

    application: str
    to: list[str] = []
    plan: str | None = None
    soak: float | None = Field(default=None, ge=0)
    parallel: int | None = Field(default=None, ge=1)
    rollback_on_failure: bool | None = None
    timeout: float = Field(default=300.0, ge=1)


class RolloutPlanIn(Model):
    canary: str
    then: list[str] = []
    soak: float = Field(default=0.0, ge=0)
    parallel: int = Field(default=1, ge=1)
    rollback_on_failure: bool = False


class RolloutPlanOut(Model):
    name: str
    canary: str
    then: list[str]
    soak: float
    parallel: int
    rollback_on_failure: bool
    created_by: str
    updated_at: datetime

    @classmethod
    def of(cls, p: RolloutPlan) -> RolloutPlanOut:
        return cls(
            name=p.name,
            canary=p.canary,
            then=list(p.then),
            soak=p.soak,
            parallel=p.parallel,
            rollback_on_failure=p.rollback_on_failure,
            created_by=p.created_by,
            updated_at=p.updated_at,
        )

    def record(self) -> RolloutPlan:
        return RolloutPlan(
            self.name,
            self.canary,
            tuple(self.then),
            self.soak,
            self.parallel,
            self.rollback_on_failure,
            self.created_by,
            self.updated_at,
        )


class RolloutTargetOut(Model):
    position: int
    environment: str
    application: str
    state: str
    approval_id: int | None = None
    operation_id: int | None = None
    rollback_operation_id: int | None = None
    created_app: bool = False
    previous_template_version: int | None = None
    error: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None


class RolloutOut(Model):
    id: int
    application: str
    template: str
    template_version: int
    plan: str | None
    soak: float
    parallel: int
    rollback_on_failure: bool
    timeout: float
    status: str
    error: str
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    targets: list[RolloutTargetOut]
    digest: str = ""
    # Running: the process that runs it and until when its lease holds (status
    # "interrupted" once it expired: `POST /rollouts/{id}/resume` takes it over).
    owner: str | None = None
    claimed_at: datetime | None = None
    lease_expires_at: datetime | None = None

    @classmethod
    def of(cls, r: Rollout) -> RolloutOut:
        targets = [RolloutTargetOut(**vars(t)) for t in r.targets]
        return cls(
            id=r.id,
            application=r.application,
            template=r.template,
            template_version=r.template_version,
            plan=r.plan,
            soak=r.soak,
            parallel=r.parallel,
            rollback_on_failure=r.rollback_on_failure,
            timeout=r.timeout,
            status=r.status,
            error=r.error,
            created_by=r.created_by,
            created_at=r.created_at,
            finished_at=r.finished_at,
            targets=targets,
            digest=digest_of(r),
            owner=r.owner,
            claimed_at=r.claimed_at,
            lease_expires_at=r.lease_expires_at,
        )

    def record(self) -> Rollout:
        return Rollout(
            id=self.id,
            application=self.application,
            template=self.template,
            template_version=self.template_version,
            plan=self.plan,
            soak=self.soak,
            parallel=self.parallel,
            rollback_on_failure=self.rollback_on_failure,
            timeout=self.timeout,
            status=self.status,
            error=self.error,
            created_by=self.created_by,
            created_at=self.created_at,
            finished_at=self.finished_at,
            targets=tuple(RolloutTarget(**t.model_dump()) for t in self.targets),
            owner=self.owner,
            claimed_at=self.claimed_at,
            lease_expires_at=self.lease_expires_at,
        )


def digest_of(r: Rollout) -> str:
    """Changes when the rollout or any environment of it moves on."""
    parts = [r.status, r.error, r.owner or ""] + [
        f"{t.state}|{t.operation_id}|{t.rollback_operation_id}|{t.approval_id}|{t.error}"
        for t in r.targets
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
