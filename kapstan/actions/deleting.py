"""Delete an application from its cluster and the store, as one operation; and what it would do.

app -> services with revisions, dependents first -> survey (read live) -> operation + lock
    -> per service: remove (delete owned objects, wait until gone), a ``removed`` revision
    -> the application row marked deleted, its operation ended, its lock freed (one write)

Only what an inventory recorded and Kapstan still owns is deleted (``engine.removal``);
the namespace never is. When any service fails (a timeout, a cluster error), the
operation ends FAILED, the services after it are left alone, and the application stays:
run the delete again. Its history (operations, revisions, audit) stays readable after.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass

from kapstan.actions.cancelling import finish_cancelled
from kapstan.actions.clock import SYSTEM_CLOCK
from kapstan.actions.clusters import connect_environment
from kapstan.actions.deploying import DeployResult, OnStart
from kapstan.actions.gates import Clearance, gated, open_operation, require_gate
from kapstan.actions.journal import (
    LEASE_SECONDS,
    Listener,
    StoreJournal,
    lock_owner,
    resolve_interrupted,
    take_lock,
)
from kapstan.actions.storeports import (
    AppState,
    ConfigReads,
    Deleting,
    Revising,
    TemplateReads,
)
from kapstan.actions.templates import parsed
from kapstan.engine import removal
from kapstan.engine.deploy import DeployOutcome, ServiceOutcome
from kapstan.engine.ports import Clock, Cluster, InventoryEntry
from kapstan.engine.removal import Removal
from kapstan.errors import ConflictError, KapstanError, OperationCancelled
from kapstan.kube import KubeClient
from kapstan.model.operation import Step
from kapstan.plan.graph import Graph, waves
from kapstan.render.resources import group_of
from kapstan.store import Application, Environment, Revision

KIND = "delete"
REMOVED_HASH = "removed"
DEFAULT_TIMEOUT = 300.0


@dataclass(frozen=True)
class ServiceRemoval:
    service: str
    removals: tuple[Removal, ...]

    @property
    def deleting(self) -> list[Removal]:
        return [r for r in self.removals if r.delete]


@dataclass(frozen=True)
class AppRemoval:
    """What ``app delete`` would do, read live: per service (in deletion order) each object."""

    app: str
    environment: str
    namespace: str
    services: tuple[ServiceRemoval, ...]
    keep_volumes: bool

    @property
    def count(self) -> int:
        return sum(len(s.deleting) for s in self.services)


def survey_app(store: AppState, app: str, *, keep_volumes: bool = True) -> AppRemoval:
    """What deleting ``app`` would delete and keep (and why), read from the live cluster."""
    application = store.get_application(app)
    env = store.get_environment(application.environment)
    inventories = _inventories(store, application)
    if not inventories:  # never deployed: nothing in any cluster, no need to reach one
        return AppRemoval(app, env.name, env.namespace, (), keep_volumes)
    with _connect(env) as cluster:
        services = _survey(cluster, app, inventories, keep_volumes)
    return AppRemoval(app, env.name, env.namespace, services, keep_volumes)


@gated(KIND)
def delete_app(
    store: Deleting,
    app: str,
    *,
    author: str,
    keep_volumes: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    on_start: OnStart | None = None,
    listener: Listener | None = None,
    lease: float = LEASE_SECONDS,
    via: str = "cli",
    approval: int | None = None,
    clearance: Clearance | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> DeployResult:
    """Delete ``app``'s objects, dependents first, then the application itself.

    Into an environment that requires approval: ApprovalPending (a request recorded)
    unless ``approval`` names an approved one.
    """
    application = store.get_application(app)
    clearance = require_gate(
        store,
        kind=KIND,
        app=app,
        environment=application.environment,
        actor=author,
        payload={"deleteVolumes": not keep_volumes, "timeout": timeout, "trigger": via},
        approval=approval,
        clearance=clearance,
    )
    env = store.get_environment(application.environment)
    inventories = _inventories(store, application)
    order = list(inventories)
    message = "delete" + (" with its volumes" if not keep_volumes else "")
    op = open_operation(store, clearance, app, KIND, author=author, message=message, services=order)
    owner = lock_owner(author)
    try:
        take_lock(store, app, owner=owner, operation_id=op.id, lease=lease)
    except ConflictError:  # another operation runs: this one never started (see deploy_app)
        store.discard_operation(op.id)
        raise
    except KapstanError as exc:
        store.finish_operation(op.id, Step.FAILED, f"not started: {exc}")
        raise
    store.audit(
        author,
        "app.delete",
        kind="application",
        name=app,
        environment=env.name,
        details={"operation": op.id, "deleteVolumes": not keep_volumes, "via": via},
    )
    if on_start:
        on_start(op.id)
    outcome = DeployOutcome(ok=True)
    with StoreJournal(
        store, app=app, operation_id=op.id, owner=owner, lease=lease, listener=listener
    ) as journal:
        resolve_interrupted(store, app, journal)
        journal.event(
            "planning",
            f"deleting {len(order)} service(s) from {env.namespace}, "
            "dependents first; the namespace stays",
        )
        try:
            with _connect(env) if order else nullcontext() as cluster:
                for service in order:
                    assert cluster is not None
                    journal.check()
                    result = _remove_service(
                        store,
                        cluster,
                        journal,
                        application,
                        service,
                        inventories[service],
                        keep_volumes=keep_volumes,
                        timeout=timeout,
                        operation_id=op.id,
                        author=author,
                        clock=clock,
                    )
                    outcome.services[service] = result
                    if result.step is Step.FAILED:
                        break
        except OperationCancelled as exc:  # stopped between two objects: the app stays
            journal.flush()
            finish_cancelled(store, op.id, exc)
            return DeployResult(store.get_operation(op.id), DeployOutcome(ok=False))
        except KapstanError as exc:
            journal.event("failed", str(exc))
            store.finish_operation(op.id, Step.FAILED, str(exc))
            raise
        outcome.ok = not outcome.failed()
        journal.flush()
        if outcome.ok:
            deleted = sum(_count(s) for s in outcome.services.values())
            summary = f"application {app} deleted: {deleted} object(s) deleted"
            store.delete_application(app, operation_id=op.id, owner=owner, message=summary)
        else:
            left = [s for s in order if s not in outcome.services]
            for service in left:
                why = "not deleted: a service before it failed to go"
                journal.service_state(service, Step.SKIPPED, why)
                outcome.services[service] = ServiceOutcome(service, Step.SKIPPED, why)
            failed = outcome.failed()[0]
            store.finish_operation(
                op.id,
                Step.FAILED,
                f"{failed.service}: {failed.message}; the application is kept: "
                f"run `kapstan app delete {app}` again",
            )
    return DeployResult(store.get_operation(op.id), outcome)


def _remove_service(
    store: Revising,
    cluster: Cluster,
    journal: StoreJournal,
    application: Application,
    service: str,
    entries: Sequence[InventoryEntry],
    *,
    keep_volumes: bool,
    timeout: float,
    operation_id: int,
    author: str,
    clock: Clock,
) -> ServiceOutcome:
    journal.service_state(service, Step.PRUNING, f"deleting what {service} owns")
    try:
        deleted = removal.remove(
            cluster,
            entries,
            journal,
            app=application.name,
            service=service,
            keep_volumes=keep_volumes,
            timeout=timeout,
            clock=clock,
        )
    except OperationCancelled:
        raise
    except KapstanError as exc:
        journal.service_state(service, Step.FAILED, str(exc))
        return ServiceOutcome(service, Step.FAILED, str(exc))
    why = f"{len(deleted)} object(s) deleted"
    revision = store.add_revision(
        application.name,
        service,
        manifests="",
        hash=REMOVED_HASH,
        template=application.template,
        template_version=application.template_version,
        config=application.config,
        config_version=_config_version(store, application),
        author=author,
        message="deleted with the application",
        status="removed",
        operation_id=operation_id,
    )
    journal.service_state(service, Step.REMOVED, why, revision.number)
    return ServiceOutcome(service, Step.REMOVED, why, revision.number, tuple(deleted))


def _count(outcome: ServiceOutcome) -> int:
    return len(outcome.details)


def _config_version(store: ConfigReads, application: Application) -> int:
    return application.config_version or store.get_config(application.config).version


def _survey(
    cluster: Cluster,
    app: str,
    inventories: Mapping[str, Sequence[InventoryEntry]],
    keep_volumes: bool,
) -> tuple[ServiceRemoval, ...]:
    found = []
    for service, entries in inventories.items():
        removals = removal.survey(
            cluster, entries, app=app, service=service, keep_volumes=keep_volumes
        )
        # Objects already gone are no news: only what is there is shown.
        shown = tuple(r for r in removals if r.why != removal.GONE)
        found.append(ServiceRemoval(service, shown))
    return tuple(found)


def _inventories(store: AppState, application: Application) -> dict[str, list[InventoryEntry]]:
    """Per service with revisions, dependents first: every object any revision recorded.

    Not the latest revision's alone: a failed deploy prunes nothing, so objects of an
    earlier revision may still be live. Later entries (newer uids) win; what is gone, or
    no longer Kapstan's, is sorted out live by ``removal``.
    """
    history: dict[str, list[Revision]] = {}
    for rev in store.list_revisions(application.name):
        history.setdefault(rev.service, []).append(rev)
    inventories: dict[str, list[InventoryEntry]] = {}
    for service, revisions in history.items():
        merged: dict[tuple[str, str, str, str], InventoryEntry] = {}
        for rev in sorted(revisions, key=lambda r: r.number):
            for e in rev.inventory:
                merged[(group_of(e["apiVersion"]), e["kind"], e["namespace"], e["name"])] = e
        inventories[service] = list(merged.values())
    return {s: inventories[s] for s in _deletion_order(store, application, list(inventories))}


def _deletion_order(
    store: TemplateReads, application: Application, services: list[str]
) -> list[str]:
    """The reverse of the deploy waves: what depends on a service goes before it."""
    template = parsed(store.get_template(application.template, application.template_version))
    known = [s for s in template.services if s in services]
    known += sorted(s for s in services if s not in known)  # removed from the template
    depends = {
        s: tuple(d for d in template.services[s].depends_on if d in services)
        for s in known
        if s in template.services
    }
    graph = Graph(application.name, tuple(known), depends, {})
    return [s for wave in reversed(waves(graph)) for s in wave]


def _connect(env: Environment) -> KubeClient:
    return connect_environment(env)
