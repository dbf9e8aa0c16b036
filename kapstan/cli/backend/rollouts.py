"""Rollouts across environments and rollout plans; on the local store or a Kapstan server.

Locally the rollout runs in this process, telling ``progress`` as each environment moves
on; remotely the server runs it and this follows its record with long polls (the server
answers as soon as it changes), telling ``progress`` the same moves. Either way the answer
is the rollout as it ended, or as it waits for approvals (status ``waiting-approval``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol

from kapstan.actions import rolloutrun
from kapstan.actions import rollouts as actions
from kapstan.actions.journal import lock_owner
from kapstan.client import decode
from kapstan.client.http import ApiClient, path
from kapstan.errors import ApprovalRequiredError
from kapstan.model.rollouts import Rollout, RolloutPlan
from kapstan.plan.rollouts import RUNNING, RolloutSpec
from kapstan.schemas.rollouts import MAX_WAIT, RolloutOut, RolloutPlanOut
from kapstan.store import Store

Progress = rolloutrun.Progress


class RolloutsPort(Protocol):
    def start(
        self,
        source: str,
        *,
        to: Sequence[str],
        plan: str | None,
        soak: float | None,
        parallel: int | None,
        rollback_on_failure: bool | None,
        timeout: float,
        author: str,
        progress: Progress | None,
    ) -> Rollout: ...

    def resume(self, rollout_id: int, *, author: str, progress: Progress | None) -> Rollout: ...

    def get(self, rollout_id: int) -> Rollout: ...

    def recent(self, application: str | None) -> list[Rollout]: ...

    def save_plan(self, name: str, spec: RolloutSpec, *, author: str) -> RolloutPlan: ...

    def get_plan(self, name: str) -> RolloutPlan: ...

    def list_plans(self) -> list[RolloutPlan]: ...

    def delete_plan(self, name: str, *, author: str) -> None: ...


class LocalRollouts:
    def __init__(self, store: Store) -> None:
        self.store = store

    def start(
        self,
        source: str,
        *,
        to: Sequence[str],
        plan: str | None,
        soak: float | None,
        parallel: int | None,
        rollback_on_failure: bool | None,
        timeout: float,
        author: str,
        progress: Progress | None,
    ) -> Rollout:
        spec = actions.spec_for(
            self.store,
            to=to,
            plan=plan,
            soak=soak,
            parallel=parallel,
            rollback_on_failure=rollback_on_failure,
        )
        planned = actions.plan_rollout(self.store, source, spec)
        owner = lock_owner(author)  # this process runs it, holding its lease
        try:
            rollout = actions.start_rollout(
                self.store, planned, author=author, timeout=timeout, owner=owner
            )
        except actions.RolloutWaiting as waiting:
            return waiting.rollout
        return rolloutrun.run_rollout(self.store, rollout.id, owner=owner, progress=progress)

    def resume(self, rollout_id: int, *, author: str, progress: Progress | None) -> Rollout:
        owner = lock_owner(author)
        try:
            actions.resume_rollout(self.store, rollout_id, author=author, owner=owner)
        except ApprovalRequiredError:  # still waiting: as the server answers it
            return self.store.get_rollout(rollout_id)
        return rolloutrun.run_rollout(self.store, rollout_id, owner=owner, progress=progress)

    def get(self, rollout_id: int) -> Rollout:
        return self.store.get_rollout(rollout_id)

    def recent(self, application: str | None) -> list[Rollout]:
        return self.store.list_rollouts(application)

    def save_plan(self, name: str, spec: RolloutSpec, *, author: str) -> RolloutPlan:
        return actions.save_plan(self.store, spec, name, author=author)

    def get_plan(self, name: str) -> RolloutPlan:
        return self.store.get_rollout_plan(name)

    def list_plans(self) -> list[RolloutPlan]:
        return self.store.list_rollout_plans()

    def delete_plan(self, name: str, *, author: str) -> None:
        actions.delete_plan(self.store, name, author=author)


class RemoteRollouts:
    """The server runs the rollout; this follows its record until it ends."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def start(
        self,
        source: str,
        *,
        to: Sequence[str],
        plan: str | None,
        soak: float | None,
        parallel: int | None,
        rollback_on_failure: bool | None,
        timeout: float,
        author: str,
        progress: Progress | None,
    ) -> Rollout:
        body: dict[str, Any] = {
            "application": source,
            "to": list(to),
            "plan": plan,
            "soak": soak,
            "parallel": parallel,
            "rollbackOnFailure": rollback_on_failure,
            "timeout": timeout,
        }
        started = decode.parse(RolloutOut, self.client.post(path("rollouts"), body))
        return self.follow(started, progress)

    def resume(self, rollout_id: int, *, author: str, progress: Progress | None) -> Rollout:
        data = self.client.post(path("rollouts", rollout_id, "resume"))
        return self.follow(decode.parse(RolloutOut, data), progress)

    def follow(self, seen: RolloutOut, progress: Progress | None) -> Rollout:
        """Long polls until the rollout is no longer running; each move told to ``progress``.

        Bounded: every environment's deploy is bounded by the rollout's timeout and the soak
        by its time, so the whole is (twice, for the rollbacks) plus a minute.
        """
        budget = seen.soak + 2 * seen.timeout * (len(seen.targets) + 1) + 60
        deadline = time.monotonic() + budget
        states = {t.environment: t.state for t in seen.targets}
        while seen.status == RUNNING and time.monotonic() < deadline:
            data = self.client.get(
                path("rollouts", seen.id), seen=seen.digest, wait=float(MAX_WAIT)
            )
            seen = decode.parse(RolloutOut, data)
            for t in seen.targets:
                if progress is not None and states.get(t.environment) != t.state:
                    progress(t.environment, t.state, t.error)
                states[t.environment] = t.state
        return seen.record()

    def get(self, rollout_id: int) -> Rollout:
        return decode.parse(RolloutOut, self.client.get(path("rollouts", rollout_id))).record()

    def recent(self, application: str | None) -> list[Rollout]:
        asked = {"application": application} if application else {}
        data = self.client.get(path("rollouts"), **asked)
        return [decode.parse(RolloutOut, x).record() for x in data]

    def save_plan(self, name: str, spec: RolloutSpec, *, author: str) -> RolloutPlan:
        body = {
            "canary": spec.canary,
            "then": list(spec.rest),
            "soak": spec.soak,
            "parallel": spec.parallel,
            "rollbackOnFailure": spec.rollback_on_failure,
        }
        data = self.client.put(path("rollout-plans", name), body)
        return decode.parse(RolloutPlanOut, data).record()

    def get_plan(self, name: str) -> RolloutPlan:
        data = self.client.get(path("rollout-plans", name))
        return decode.parse(RolloutPlanOut, data).record()

    def list_plans(self) -> list[RolloutPlan]:
        data = self.client.get(path("rollout-plans"))
        return [decode.parse(RolloutPlanOut, x).record() for x in data]

    def delete_plan(self, name: str, *, author: str) -> None:
        self.client.delete(path("rollout-plans", name))
