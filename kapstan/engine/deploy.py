"""Deploy: plan -> graph -> (apply -> wait -> prune -> record) per service -> outcome.

The dependency graph is scheduled service by service, not in waves: a service starts as
soon as everything it dependsOn in this operation is ready, whatever else is still going
on (a slow service holds back only its own dependents). A service whose dependency failed
is skipped, and says so. Applying is separate from waiting: every apply request of the
operation goes through one bounded pool (``DeployOptions.max_inflight``, see
``kapstan.engine.inflight``), and a service waiting for readiness holds no slot of it.

With ``atomic``, services this operation changed are rolled back to their previous
revision when it fails: best effort, each step recorded; a service with no previous
revision (a first install) has the objects this operation created deleted instead.
Services no longer in the template (``removed``) are pruned after every other service
succeeded, dependents first, and recorded as ``removed``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from kapstan import failpoints
from kapstan.engine import applying, bluegreen, inflight, inventory, planning
from kapstan.engine.options import DeployOptions as DeployOptions
from kapstan.engine.ports import (
    Clock,
    Cluster,
    DeployedRevision,
    InventoryEntry,
    Journal,
    Revisions,
)
from kapstan.engine.waiting import WaitResult, wait_ready
from kapstan.engine.watches import WatchHub
from kapstan.errors import ConflictError, KapstanError, OperationCancelled
from kapstan.health import Health
from kapstan.model.operation import ServiceState, Step
from kapstan.model.rendered import KubeObject, RenderedService
from kapstan.plan import ownership
from kapstan.plan.graph import Graph, waves
from kapstan.render.labels import APP_LABEL, stamp_objects
from kapstan.render.resources import ResourceKey, key_of

# A removed service's revision renders nothing; the store wants a non-empty hash.
REMOVED_HASH = "removed"


@dataclass(frozen=True)
class DeployTarget:
    """What to deploy: rendered services of one app at given template/config versions.

    ``versions``: (template, config) version per service when they differ from the
    target's (a whole-app rollback takes each service back to its own revision).
    ``removed``: services the app deployed that the template no longer has; their
    ``depends_on`` is that of their last template version.
    """

    app: str
    namespace: str
    services: Mapping[str, RenderedService]
    depends_on: Mapping[str, tuple[str, ...]]
    template_version: int
    config_version: int
    versions: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    removed: tuple[str, ...] = ()
    environment: str = ""  # stamped on every object: ownership refusals name it

    @property
    def claimant(self) -> ownership.Claimant:
        return ownership.Claimant(self.app, self.environment)

    def versions_of(self, service: str) -> tuple[int, int]:
        return self.versions.get(service, (self.template_version, self.config_version))


@dataclass
class ServiceOutcome:
    service: str
    step: Step
    message: str = ""
    revision: int | None = None
    details: tuple[str, ...] = ()


@dataclass
class DeployOutcome:
    ok: bool
    services: dict[str, ServiceOutcome] = field(default_factory=dict)

    def failed(self) -> list[ServiceOutcome]:
        return [s for s in self.services.values() if s.step is Step.FAILED]


RollbackFn = Callable[[str], ServiceOutcome | None]
# Revisions that end like this were seen ready or accounted for; any other (pending,
# interrupted, cancelled) may have been applied and never waited for.
_FINISHED = frozenset({"deployed", "failed", "removed"})


def _unfinished(previous: DeployedRevision | None) -> bool:
    """The last revision was cut short: live may match it, yet it was never seen ready."""
    return previous is not None and previous.status not in _FINISHED


def _still_current(
    plan: planning.ServicePlan, rendered: RenderedService, previous: DeployedRevision | None
) -> bool:
    """Whether ``plan`` was made of this content on top of this same last revision."""
    if plan.action == "remove" or plan.content_hash != rendered.hash:
        return False
    if plan.previous is None or previous is None:
        return plan.previous is None and previous is None
    return (plan.previous.number, plan.previous.status) == (previous.number, previous.status)


def _redo_unfinished(plan: planning.ServicePlan) -> planning.ServicePlan:
    """A service whose last revision was cut short is an update even if live matches it."""
    if plan.action == "unchanged" and _unfinished(plan.previous):
        return dataclasses.replace(plan, action="update")
    return plan


def _maybe_live(plan: planning.ServicePlan, objects: Sequence[KubeObject]) -> list[InventoryEntry]:
    """What may be live once applying starts: the new objects and the previous revision's.

    A new object has no uid yet (pruning then relies on Kapstan's labels alone).
    """
    previous = plan.previous.inventory if plan.previous else ()
    return inventory.created(previous, objects) + inventory.stale(previous, objects)


# Told which foreign objects a deploy with --adopt takes over, before the first write.
AdoptFn = Callable[[Sequence[ownership.Conflict]], None]


def subgraph(target: DeployTarget, selected: Sequence[str]) -> Graph:
    chosen = set(selected)
    return Graph(
        target.app,
        tuple(s for s in target.services if s in chosen),
        {s: tuple(d for d in target.depends_on.get(s, ()) if d in chosen) for s in chosen},
        {},
    )


class Deployer:
    """One deploy operation. Construct, then ``run``; the journal tells the story as it goes."""

    def __init__(
        self,
        cluster: Cluster,
        journal: Journal,
        revisions: Revisions,
        target: DeployTarget,
        options: DeployOptions,
        *,
        clock: Clock,
        on_adopt: AdoptFn | None = None,
        watches: WatchHub | None = None,
    ) -> None:
        self.cluster = cluster
        self.clock = clock
        self.journal = journal
        self.revisions = revisions
        self.target = target
        self.options = options
        self.on_adopt = on_adopt
        self.pool = inflight.ApplyPool(options.max_inflight)
        # Readiness of every service in flight is followed on one stream per kind and
        # namespace (this application's objects only), shared by the whole operation.
        self.watches = watches or WatchHub(cluster, labels={APP_LABEL: target.app})

    def plan(
        self, selected: Sequence[str], shown: Sequence[planning.ServicePlan] = ()
    ) -> list[planning.ServicePlan]:
        """Per service, in dependency order (the order a deploy applies them), removals last.

        ``shown``: plans made just before of the same target (the plan a user was shown
        with ``--yes``). One still current (same rendered content, same last revision) is
        taken as it is; the others are planned again, from the cluster.
        """
        ordered = [s for wave in waves(subgraph(self.target, selected)) for s in wave]
        selected = ordered + [s for s in selected if s not in ordered]
        previous = dict(self.revisions.latest_all(selected))
        kept = {
            p.service: p
            for p in shown
            if p.service in self.target.services
            and _still_current(p, self.target.services[p.service], previous.get(p.service))
        }
        services = [
            self.target.services[s] for s in selected if s in self.target.services and s not in kept
        ]
        fresh = planning.plan_services(
            self.cluster,
            services,
            previous,
            namespace=self.target.namespace,
            claimant=self.target.claimant,
            max_parallel=self.options.max_inflight,
        )
        made = {p.service: p for p in fresh} | kept
        plans = [_redo_unfinished(made[s]) for s in selected if s in self.target.services]
        return plans + [
            planning.plan_removal(s, previous[s]) for s in selected if s in self.target.removed
        ]

    def run(
        self,
        selected: Sequence[str],
        rollback: RollbackFn | None = None,
        shown: Sequence[planning.ServicePlan] = (),
    ) -> DeployOutcome:
        """Deploy ``selected``; ``shown``: plans just made of them (see ``plan``)."""
        self.journal.event("planning", f"planning {len(selected)} service(s)")
        plans = {p.service: p for p in self.plan(selected, shown)}
        self._check_ownership(plans.values())
        self.journal.service_states(
            [ServiceState(p.service, Step.PLANNED, p.summary()) for p in plans.values()]
        )
        failpoints.hit("planning")
        self.cluster.ensure_namespace(self.target.namespace)
        outcome = DeployOutcome(ok=True)
        self._run_graph(subgraph(self.target, selected), plans, outcome)
        self._remove_services([s for s in selected if s in self.target.removed], plans, outcome)
        outcome.ok = not outcome.failed()
        if not outcome.ok and self.options.atomic and rollback is not None:
            self._roll_back(outcome, rollback, plans)
        return outcome

    def _check_ownership(self, plans: Iterable[planning.ServicePlan]) -> None:
        """Refuse, before the first write, to take over what is not ours (see plan.ownership)."""
        conflicts = [c for p in plans for c in p.conflicts]
        refused = ownership.refusal(conflicts, adopt=self.options.adopt)
        if refused:
            raise ConflictError(refused)
        if conflicts and self.on_adopt is not None:
            self.on_adopt(conflicts)
        for c in conflicts:
            self.journal.event(
                "adopted", f"taken over from {c.owner} (--adopt)", resource=c.resource
            )

    def _run_graph(
        self, graph: Graph, plans: dict[str, planning.ServicePlan], outcome: DeployOutcome
    ) -> None:
        """Start each service once its own dependencies are done; return when all are.

        One thread per service in flight (most of them wait for readiness, holding no apply
        slot). On an error that stops the operation (cancelled, lock lost), nothing more
        starts; the services already going stop at their next check, then it is raised.
        """
        levels = waves(graph)  # raises on a cycle; orders the starts, names the failpoints
        level_of = {s: index for index, level in enumerate(levels) for s in level}
        todo = [s for level in levels for s in level]
        needs = {s: [d for d in graph.depends_on.get(s, ()) if d in level_of] for s in todo}
        running: dict[Future[ServiceOutcome], str] = {}
        started: set[int] = set()
        stopped: BaseException | None = None
        with ThreadPoolExecutor(max(1, len(todo)), thread_name_prefix="deploy") as pool:
            while running or (todo and stopped is None):
                try:
                    for service in self._startable(todo, needs, outcome) if not stopped else ():
                        if level_of[service] not in started:  # a level's first start
                            started.add(level_of[service])
                            failpoints.hit(f"wave:{level_of[service]}")
                        self.journal.check()
                        future = pool.submit(self._deploy_service, plans[service])
                        running[future] = service
                except BaseException as exc:  # raised once the services going have stopped
                    stopped = exc
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    service = running.pop(future)
                    try:
                        outcome.services[service] = future.result()
                    except BaseException as exc:  # the first one is raised, at the end
                        stopped = stopped or exc
        if stopped is not None:
            raise stopped

    def _startable(
        self, todo: list[str], needs: Mapping[str, list[str]], outcome: DeployOutcome
    ) -> Iterable[str]:
        """Take from ``todo`` each service whose dependencies are done, in order.

        One whose dependency failed (or was skipped) is skipped, which may in turn decide
        its own dependents: so ``todo`` is scanned again until nothing more is decided.
        """
        decided = True
        while decided:
            decided = False
            for service in list(todo):
                if any(d not in outcome.services for d in needs[service]):
                    continue
                todo.remove(service)
                decided = True
                blocked = [
                    d
                    for d in needs[service]
                    if outcome.services[d].step in (Step.FAILED, Step.SKIPPED)
                ]
                if not blocked:
                    yield service
                    continue
                why = f"not started: dependency {', '.join(blocked)} did not become ready"
                outcome.services[service] = ServiceOutcome(service, Step.SKIPPED, why)
                self.journal.service_state(service, Step.SKIPPED, why)

    def _deploy_service(self, plan: planning.ServicePlan) -> ServiceOutcome:
        service = plan.service
        if not plan.changed and not self.options.force and not _unfinished(plan.previous):
            message = "live state matches; not touched"
            number = plan.previous.number if plan.previous else None
            self.journal.service_state(service, Step.UNCHANGED, message, number)
            return ServiceOutcome(service, Step.UNCHANGED, message, number)
        try:
            return self._apply_and_wait(plan)
        except OperationCancelled as exc:
            self.journal.service_state(service, Step.CANCELLED, str(exc))
            raise
        except KapstanError as exc:
            self.journal.service_state(service, Step.FAILED, str(exc))
            return ServiceOutcome(service, Step.FAILED, str(exc))

    def _apply_and_wait(self, plan: planning.ServicePlan) -> ServiceOutcome:
        service = plan.service
        rendered = self.target.services[service]
        number = self.revisions.next_number(service)
        template_version, config_version = self.target.versions_of(service)
        objects: list[KubeObject] = stamp_objects(
            list(plan.objects or rendered.objects),
            template_version=template_version,
            config_version=config_version,
            revision=number,
            content_hash=rendered.hash,
            environment=self.target.environment,
        )
        switching: list[KubeObject] = []
        if plan.color is not None:
            bluegreen.scale_down_expired(
                self.cluster,
                objects,
                self.journal,
                service,
                self.clock.now(),
                (plan.color, plan.live_color),
            )
            if plan.live_color is not None:  # a first deploy has no traffic to protect
                objects, switching = bluegreen.split(objects)
        # Recorded before the first write: a process killed from here on leaves a pending
        # revision that the next operation sees (interrupted) and deploys again.
        live = _maybe_live(plan, objects + switching)
        self.revisions.begin(service, number, objects, rendered.hash, live)
        try:
            return self._apply_wait_record(plan, number, objects, switching, live)
        except KapstanError as exc:
            ended = "cancelled" if isinstance(exc, OperationCancelled) else "failed"
            self.revisions.update(service, number, live, message=str(exc), status=ended)
            raise

    def _apply_wait_record(
        self,
        plan: planning.ServicePlan,
        number: int,
        objects: list[KubeObject],
        switching: list[KubeObject],
        live: list[InventoryEntry],
    ) -> ServiceOutcome:
        service = plan.service
        self.journal.service_state(service, Step.APPLYING, f"applying revision {number}", number)
        applying.hand_over(
            self.cluster, plan.handovers, self.journal, service=service, pool=self.pool
        )
        answers: dict[ResourceKey, KubeObject] = {}
        applied = applying.apply_objects(
            self.cluster,
            objects,
            self.journal,
            service=service,
            clock=self.clock,
            pool=self.pool,
            answers=answers,
        )
        live[:] = applied + inventory.stale(live, objects)  # switching: still the old
        self.revisions.update(service, number, live)
        failpoints.hit(f"wait:{service}")
        self.journal.service_state(service, Step.WAITING, "waiting for readiness", number)
        waited = wait_ready(
            self.cluster,
            objects,
            timeout=self.options.timeout,
            progress=self._progress(service),
            check=self.journal.check,
            clock=self.clock,
            watches=self.watches,
            answers=answers,
        )
        if waited.ok and plan.color is not None:
            waited = self._switch(plan, objects, switching, applied)
        if not waited.ok:
            for line in waited.details:
                self.journal.event("reason", line, service=service)
            # Recorded as failed: its inventory is what is live now, for the next prune.
            self.revisions.update(service, number, applied, message=waited.message, status="failed")
            self.journal.service_state(service, Step.FAILED, waited.message, number)
            return ServiceOutcome(service, Step.FAILED, waited.message, number, waited.details)
        if plan.prune:
            self.journal.service_state(
                service, Step.PRUNING, f"pruning {len(plan.prune)} object(s)", number
            )
            applying.prune(
                self.cluster, plan.prune, self.journal, app=self.target.app, service=service
            )
        self.revisions.update(
            service, number, applied, message=self.options.message, status="deployed"
        )
        self.journal.service_state(service, Step.READY, f"revision {number} ready", number)
        return ServiceOutcome(service, Step.READY, f"revision {number} ready", number)

    def _progress(self, service: str) -> Callable[[str, Health], None]:
        def progress(what: str, health: Health) -> None:
            self.journal.event(
                health.status.value,
                health.message or health.status.value,
                service=service,
                resource=what,
            )

        return progress

    def _switch(
        self,
        plan: planning.ServicePlan,
        objects: list[KubeObject],
        switching: list[KubeObject],
        applied: list[dict[str, str]],
    ) -> WaitResult:
        """Blue-green: health-check the new colour, then point the Services at it."""
        service, color = plan.service, str(plan.color)
        settings = self.target.services[service].settings.blue_green
        deployments = [o for o in objects if o.get("kind") == "Deployment"]
        ok, why = bluegreen.health_check(self.cluster, settings, deployments, self.journal, service)
        if not ok:
            return WaitResult(
                False,
                f"{color} is ready but failed its health check ({why}); "
                f"the Services still point at {plan.live_color or 'no colour yet'}",
            )
        if switching:
            applied += applying.apply_objects(
                self.cluster,
                switching,
                self.journal,
                service=service,
                clock=self.clock,
                pool=self.pool,
            )
            self.journal.event(
                "switched",
                f"Services now select {color}"
                + (f" (was {plan.live_color})" if plan.live_color else ""),
                service=service,
            )
        applied += [
            e
            for e in bluegreen.old_color_entries(deployments, color, self.target.namespace)
            if plan.live_color is not None
        ]
        bluegreen.retire(
            self.cluster, deployments, color, settings, self.journal, service, self.clock.now()
        )
        return WaitResult(True, "switched")

    def _roll_back(
        self, outcome: DeployOutcome, rollback: RollbackFn, plans: dict[str, planning.ServicePlan]
    ) -> None:
        changed = [s for s in outcome.services.values() if s.step in (Step.READY, Step.FAILED)]
        self.journal.event(
            "atomic", f"operation failed: rolling back {len(changed)} changed service(s)"
        )
        first_installs: list[ServiceOutcome] = []
        for svc in changed:
            result = rollback(svc.service)
            if result is None:
                first_installs.append(svc)
                continue
            self.journal.service_state(svc.service, result.step, result.message, result.revision)
            outcome.services[svc.service] = result
        for svc in reversed(first_installs):  # dependents first, as they were started last
            result = self._undo_first_install(svc, plans[svc.service])
            self.journal.service_state(svc.service, result.step, result.message, result.revision)
            outcome.services[svc.service] = result

    def _undo_first_install(
        self, svc: ServiceOutcome, plan: planning.ServicePlan
    ) -> ServiceOutcome:
        """No revision to go back to: delete what this operation created, and only that.

        Objects the plan found already there are left alone; the rest are deleted when
        still owned (uid as applied, Kapstan's labels), and a ``removed`` revision records
        that nothing of this service is live any more.
        """
        service = svc.service
        made = {r.key for r in plan.resources if r.action == "create"}
        latest = self.revisions.latest(service)
        recorded = latest.inventory if latest and latest.number == svc.revision else ()
        entries = inventory.created(recorded, [o for o in plan.objects if key_of(o) in made])
        self.journal.event(
            "atomic",
            f"no previous revision to roll back to: deleting the {len(entries)} object(s) "
            "this operation created",
            service=service,
        )
        try:
            deleted = applying.prune(
                self.cluster,
                entries,
                self.journal,
                app=self.target.app,
                service=service,
                reason="created by this failed operation (atomic, first install)",
            )
            number = self.revisions.next_number(service)
            message = f"atomic: deleted the {deleted} object(s) a failed first install created"
            if deleted < len(entries):
                message += f" ({len(entries) - deleted} kept: gone or not ours any more)"
            self.revisions.record(service, number, [], REMOVED_HASH, [], message, "removed")
        except KapstanError as exc:
            return ServiceOutcome(service, Step.FAILED, f"atomic cleanup failed: {exc}")
        return ServiceOutcome(service, Step.ROLLED_BACK, message, number)

    def _remove_services(
        self,
        removing: list[str],
        plans: dict[str, planning.ServicePlan],
        outcome: DeployOutcome,
    ) -> None:
        """Prune services no longer in the template, dependents first, once all else is done.

        After a failure they stay: what replaces them may not be running.
        """
        if not removing:
            return
        graph = Graph(
            self.target.app,
            tuple(removing),
            {
                s: tuple(d for d in self.target.depends_on.get(s, ()) if d in removing)
                for s in removing
            },
            {},
        )
        failed = [s for s in outcome.services.values() if s.step in (Step.FAILED, Step.SKIPPED)]
        for wave in reversed(waves(graph)):
            for service in wave:
                if failed:
                    why = "not removed: the operation failed; the next successful deploy removes it"
                    outcome.services[service] = ServiceOutcome(service, Step.SKIPPED, why)
                    self.journal.service_state(service, Step.SKIPPED, why)
                    continue
                self.journal.check()
                outcome.services[service] = self._remove_service(plans[service])

    def _remove_service(self, plan: planning.ServicePlan) -> ServiceOutcome:
        service, count = plan.service, len(plan.prune)
        self.journal.service_state(
            service, Step.PRUNING, f"removing {count} object(s): no longer in the template"
        )
        try:
            deleted = applying.prune(
                self.cluster,
                plan.prune,
                self.journal,
                app=self.target.app,
                service=service,
                reason="its service was removed from the template",
            )
            number = self.revisions.next_number(service)
            message = self.options.message or "removed from the template"
            self.revisions.record(service, number, [], REMOVED_HASH, [], message, "removed")
        except KapstanError as exc:
            self.journal.service_state(service, Step.FAILED, str(exc))
            return ServiceOutcome(service, Step.FAILED, str(exc))
        why = f"removed from the template: {deleted} object(s) pruned"
        if deleted < count:
            why += f" ({count - deleted} kept: gone or not ours any more)"
        self.journal.service_state(service, Step.REMOVED, why, number)
        return ServiceOutcome(service, Step.REMOVED, why, number)
