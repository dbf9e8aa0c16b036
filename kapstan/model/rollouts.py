"""A rollout across environments as a record: the plan it follows, each environment's state.

Written by ``kapstan.store.rollouts``; decoded from the API by the remote client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kapstan.errors import NotFoundError


@dataclass(frozen=True)
class RolloutPlan:
    """A named plan: ``canary`` first, soaked ``soak`` seconds, then ``then``, ``parallel``
    at once."""

    name: str
    canary: str
    then: tuple[str, ...]
    soak: float
    parallel: int
    rollback_on_failure: bool
    created_by: str
    updated_at: datetime

    @property
    def environments(self) -> tuple[str, ...]:
        return (self.canary, *self.then)


@dataclass(frozen=True)
class RolloutTarget:
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


@dataclass(frozen=True)
class Rollout:
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
    targets: tuple[RolloutTarget, ...]
    # The run that holds it (running): its process (``lock_owner``), since when, and when
    # its lease expires. ``status`` reads "interrupted" once a running one's lease expired.
    owner: str | None = None
    claimed_at: datetime | None = None
    lease_expires_at: datetime | None = None

    def target(self, environment: str) -> RolloutTarget:
        for t in self.targets:
            if t.environment == environment:
                return t
        raise NotFoundError(f"rollout {self.id} has no environment {environment!r}")
