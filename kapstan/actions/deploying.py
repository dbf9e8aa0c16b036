"""Deploy, plan and roll back applications: the store and the cluster wired to the engine.

app -> render (template@v + config@v) -> operation + its request -> lock -> engine -> outcome

``resume_operation`` re-runs an abandoned operation's recorded request in a new operation
(taking the expired lock over); unchanged services are skipped by the plan, so it is safe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from kapstan.actions import removals, rollbacks
from kapstan.actions.boundary import check_boundary, prepare_namespace
from kapstan.actions.cancelling import finish_cancelled
from kapstan.actions.clock import SYSTEM_CLOCK
from kapstan.actions.clusters import connect_environment
from kapstan.actions.gates import Clearance, continuing, gated, open_operation, require_gate
from kapstan.actions.journal import (
    LEASE_SECONDS,
    Listener,
    OperationRequest,
    StoreJournal,
    StoreRevisions,
    lock_owner,
    record_request,
    request_of,
    resolve_interrupted,
    take_lock,
)
from kapstan.actions.quotas import check_quota
from kapstan.actions.rendering import (
    RenderedAppVersion,
    render_application,
    render_at,
    render_services_at,
)
from kapstan.actions.storeports import AppState, AuditLog, Deploying, Revising
from kapstan.engine.deploy import (
    Deployer,
    DeployOptions,
    DeployOutcome,
    DeployTarget,
    ServiceOutcome,
)
from kapstan.engine.planning import ServicePlan
from kapstan.engine.ports import Clock
from kapstan.errors import ConflictError, InputError, KapstanError, OperationCancelled
from kapstan.model.operation import LogLine, Operation, ServiceState, Step
from kapstan.plan import policy
from kapstan.plan.ownership import Conflict

OnStart = Callable[[int], None]
DEFAULTS = DeployOptions()
_DONE = frozenset({Step.READY, Step.UNCHANGED, Step.ROLLED_BACK, Step.REMOVED})
Removed = dict[str, tuple[str, ...]]  # services no longer in the template -> their dependsOn


@dataclass(frozen=True)
class DeployResult:
    operation: Operation
    outcome: DeployOutcome


def _selected(
    version: RenderedAppVersion, services: Sequence[str], removed: Removed | None = None
) -> list[str]:
    """The services asked for (all, and those to remove, when none is named)."""
    known = list(version.rendered.services)
    gone = list(removed or {})
    unknown = [s for s in services if s not in known and s not in gone]
    if unknown:
        raise InputError(
            f"application {version.app!r} has no service {', '.join(map(repr, unknown))}; "
            f"its services are: {', '.join(known)}"
        )
    return list(services) or known + gone


def _removed(store: AppState, version: RenderedAppVersion, kind: str) -> Removed:
    """What a deploy of ``version`` removes; a rollback goes back and never removes."""
    return removals.removed_services(store, version) if kind == "deploy" else {}


def _target(version: RenderedAppVersion, removed: Removed | None = None) -> DeployTarget:
    return DeployTarget(
        app=version.app,
        namespace=version.rendered.namespace,
        services=version.rendered.services,
        depends_on={
            **(removed or {}),
            **{s: spec.depends_on for s, spec in version.template.services.items()},
        },
        template_version=version.template_version,
        config_version=version.config_version,
        versions=version.service_versions,
        removed=tuple(removed or {}),
        environment=version.environment,
    )


def check_policy(version: RenderedAppVersion, selected: Sequence[str]) -> list[str]:
    """The resource policy's warnings for these services; InputError when it rejects them."""
    rendered = version.rendered.services
    found = policy.violations([rendered[s] for s in selected if s in rendered])
    return policy.enforce(policy.policy_of(version.values), found)


def policy_warnings(
    store: AppState,
    app: str,
    services: Sequence[str] = (),
    *,
    version: RenderedAppVersion | None = None,
) -> list[str]:
    """What the environment's resource policy says of a deploy of these services.

    ``version``: the application as just rendered (for the plan it goes with).
    """
    version = version or render_application(store, app)
    return check_policy(version, _selected(version, services, _removed(store, version, "deploy")))


def plan_app(
    store: Revising,
    app: str,
    services: Sequence[str] = (),
    *,
    version: RenderedAppVersion | None = None,
    kind: str = "deploy",
) -> list[ServicePlan]:
    """What a deploy would do, per service and resource, read from the live cluster.

    Services no longer in the template are planned as removals (a deploy of ``kind``
    "deploy" only, of all services or of them by name).
    """
    version = version or render_application(store, app)
    removed = _removed(store, version, kind)
    selected = _selected(version, services, removed)
    env = store.get_environment(version.environment)
    check_boundary(version, env, selected)
    check_quota(store, version, selected, tuple(removed))
    with connect_environment(env) as cluster:
        revisions = StoreRevisions(
            store, app=app, template=("", 0), config=("", 0), author="", operation_id=None
        )
        target = _target(version, removed)
        return Deployer(
            cluster, _NoJournal(), revisions, target, DeployOptions(), clock=SYSTEM_CLOCK
        ).plan(selected)


def plan_rollback(
    store: Revising, app: str, *, service: str | None = None, to: int | None = None
) -> tuple[list[ServicePlan], list[str]]:
    """What ``rollback_app`` would do (its plan and the policy's warnings), read live."""
    choice = rollbacks.choose(store, app, service=service, to=to)
    warnings = check_policy(choice.version, choice.services)
    plans = plan_app(store, app, choice.services, version=choice.version, kind="rollback")
    return plans, warnings


class _NoJournal:
    def event(self, status: str, message: str, *, service: str = "", resource: str = "") -> None:
        return None

    def service_state(
        self, service: str, step: Step, message: str = "", revision: int | None = None
    ) -> None:
        return None

    def service_states(self, states: Sequence[ServiceState]) -> None:
        return None

    def check(self) -> None:
        return None


def deploy_request(
    services: Sequence[str], options: DeployOptions, trigger: str
) -> dict[str, object]:
    """A deploy as an approval request keeps it: what ``approvals.options_from`` reads back."""
    return {
        "services": list(services),
        "atomic": options.atomic,
        "timeout": options.timeout,
        "force": options.force,
        "message": options.message,
        "trigger": trigger,
        "adopt": options.adopt,
    }


@gated("deploy")
def deploy_app(
    store: Deploying,
    app: str,
    *,
    author: str,
    services: Sequence[str] = (),
    options: DeployOptions = DEFAULTS,
    kind: str = "deploy",
    version: RenderedAppVersion | None = None,
    on_start: OnStart | None = None,
    listener: Listener | None = None,
    lease: float = LEASE_SECONDS,
    resumes: int | None = None,
    approval: int | None = None,
    clearance: Clearance | None = None,
    trigger: str = "cli",
    clock: Clock = SYSTEM_CLOCK,
    shown: Sequence[ServicePlan] = (),
) -> DeployResult:
    """Deploy ``services`` (all when empty) of ``app`` in dependency order, as one operation.

    ``clock`` is the engine's time (deadlines, blue-green retirement marks): tests move it.
    ``shown``: the plan ``plan_app`` just made and showed, taken for the services it still
    holds for (``Deployer.plan``), instead of reading the cluster twice.

    Into an environment that requires approval: ApprovalPending (a request recorded)
    unless ``approval`` names an approved one, or ``clearance`` hands on a rollback's or a
    promotion's; the policy and boundary refusals come before any operation or write.
    """
    version = version or render_application(store, app)
    removed = _removed(store, version, kind)
    selected = _selected(version, services, removed)
    warnings = check_policy(version, selected)
    clearance = require_gate(
        store,
        kind=kind,
        app=app,
        environment=version.environment,
        actor=author,
        payload=deploy_request(services, options, trigger),
        approval=approval,
        clearance=clearance,
    )
    env = store.get_environment(version.environment)
    check_boundary(version, env, selected)  # refused before any operation or write
    check_quota(store, version, selected, tuple(removed))  # so is a deploy over quota
    op = open_operation(
        store, clearance, app, kind, author=author, message=options.message, services=selected
    )
    request = OperationRequest(
        kind,
        author,
        tuple(selected),
        options,
        version.template_version,
        version.config_version,
        resumes,
        dict(version.service_versions),
    )
    record_request(store, op.id, request)
    owner = lock_owner(author)
    try:
        lock = take_lock(store, app, owner=owner, operation_id=op.id, lease=lease)
    except ConflictError:
        # Another operation holds the app: this one never started, so it is no failure
        # of the app's (its history would show a failed deploy that did nothing).
        store.discard_operation(op.id)
        raise
    except KapstanError as exc:
        store.finish_operation(op.id, Step.FAILED, f"not started: {exc}")
        raise
    if resumes is not None and lock.took_over_from is None:
        # The lock was free: another process took the dead operation over and already
        # finished; running its request again would repeat that work.
        store.release_lock(app, owner=owner)
        message = f"not started: operation {resumes} was already taken over by another process"
        store.finish_operation(op.id, Step.FAILED, message)
        raise ConflictError(message)
    if on_start:
        on_start(op.id)
    with StoreJournal(
        store, app=app, operation_id=op.id, owner=owner, lease=lease, listener=listener
    ) as journal:
        resolve_interrupted(store, app, journal)
        if resumes is not None:
            journal.event("resume", f"re-running the request of abandoned operation {resumes}")
        journal.lines([LogLine("policy", f"warning: {line}") for line in warnings])
        revisions = StoreRevisions(
            store,
            app=app,
            template=(version.template.name, version.template_version),
            config=(version.config_name, version.config_version),
            author=author,
            operation_id=op.id,
            versions=version.service_versions,
        )
        try:
            with connect_environment(env) as cluster:
                prepare_namespace(store, env, cluster)
                target = _target(version, removed)
                deployer = Deployer(
                    cluster,
                    journal,
                    revisions,
                    target,
                    options,
                    clock=clock,
                    on_adopt=lambda found: _audit_adoption(store, author, version, op.id, found),
                )
                outcome = deployer.run(
                    selected,
                    rollback=lambda s: _rollback_service(store, app, s, author, op.id, clock),
                    shown=shown,
                )
        except OperationCancelled as exc:
            journal.flush()
            finish_cancelled(store, op.id, exc)
            return DeployResult(store.get_operation(op.id), DeployOutcome(ok=False))
        except KapstanError as exc:
            journal.event("failed", str(exc))
            store.finish_operation(op.id, Step.FAILED, str(exc))
            raise
        _follow_log_rules(store, env.name, version, journal)
        status = Step.SUCCEEDED if outcome.ok else Step.FAILED
        journal.flush()
        store.finish_operation(op.id, status, _summary(outcome))
    return DeployResult(store.get_operation(op.id), outcome)


def _follow_log_rules(
    store: Deploying, environment: str, version: RenderedAppVersion, journal: StoreJournal
) -> None:
    """The environment's log collector selects pods by the services as deployed: applied
    again after each deploy (a no-op where nothing collects logs). Its failure is a
    warning in the journal: the deploy itself is done."""
    from kapstan.actions import logrules  # a deploy's start does not load the collector's code

    try:
        line = logrules.follow_deploy(store, environment, bool(version.template.logs))
    except KapstanError as exc:
        journal.event(
            "logs",
            f"warning: the log collector was not updated: {exc}; run `kapstan env logs "
            f"apply {environment}`",
        )
        return
    if line:
        journal.event("logs", line)


def _audit_adoption(
    store: AuditLog,
    author: str,
    version: RenderedAppVersion,
    operation_id: int,
    adopted: Sequence[Conflict],
) -> None:
    """--adopt takes objects over from someone else: the audit says which, and from whom."""
    store.audit(
        author,
        "app.adopt",
        kind="application",
        name=version.app,
        environment=version.environment,
        details={
            "operation": operation_id,
            "objects": [f"{c.resource} (from {c.owner})" for c in adopted],
        },
    )


def resume_operation(
    store: Deploying,
    operation_id: int,
    *,
    lease: float = LEASE_SECONDS,
    on_start: OnStart | None = None,
) -> DeployResult:
    """Run the recorded request of abandoned ``operation_id`` again, as a new operation.

    Services it finished are left alone. One it had started but not finished may already
    match the live state (applied, never seen ready): it is forced, so it is applied,
    waited for and recorded, rather than skipped as unchanged.
    """
    old = store.get_operation(operation_id)
    request = request_of(old)
    left = [s for s in old.services if s.step not in _DONE]
    touched = any(s.step is not Step.PENDING for s in left)
    return deploy_app(
        store,
        old.app,
        author=request.author,
        services=[s.service for s in left] or request.services,
        options=replace(request.options, force=request.options.force or touched),
        kind=request.kind,
        version=(
            render_services_at(store, old.app, request.service_versions)
            if request.service_versions
            else render_at(store, old.app, request.template_version, request.config_version)
        ),
        on_start=on_start,
        lease=lease,
        resumes=operation_id,
        clearance=continuing(store, old),
    )


def _summary(outcome: DeployOutcome) -> str:
    counts: dict[str, int] = {}
    for s in outcome.services.values():
        counts[s.step.value] = counts.get(s.step.value, 0) + 1
    return ", ".join(f"{n} {step}" for step, n in sorted(counts.items()))


def _rollback_service(
    store: Revising, app: str, service: str, author: str, operation_id: int, clock: Clock
) -> ServiceOutcome | None:
    """Atomic's undo for one service: re-apply its last revision deployed before this operation.

    None when there is none, or when the last one before it recorded a removal (nothing of
    the service was live): the engine then deletes what this operation created.
    """
    before = [r for r in store.list_revisions(app, service) if r.operation_id != operation_id]
    deployed = [r for r in before if r.status == "deployed"]
    if not deployed or before[-1].status == removals.REMOVED:
        return None
    previous = deployed[-1]
    version = render_at(store, app, previous.template_version, previous.config_version)
    env = store.get_environment(version.environment)
    with connect_environment(env) as cluster:
        revisions = StoreRevisions(
            store,
            app=app,
            template=(version.template.name, previous.template_version),
            config=(version.config_name, previous.config_version),
            author=author,
            operation_id=None,
        )
        deployer = Deployer(
            cluster,
            _NoJournal(),
            revisions,
            _target(version),
            DeployOptions(force=True, message=f"atomic rollback to revision {previous.number}"),
            clock=clock,
        )
        outcome = deployer.run([service])
    result = outcome.services[service]
    if result.step is Step.READY:
        return ServiceOutcome(
            service, Step.ROLLED_BACK, f"rolled back to revision {previous.number}", result.revision
        )
    return ServiceOutcome(
        service, Step.FAILED, f"rollback to revision {previous.number} failed: {result.message}"
    )


@gated("rollback")
def rollback_app(
    store: Deploying,
    app: str,
    *,
    author: str,
    service: str | None = None,
    to: int | None = None,
    options: DeployOptions = DEFAULTS,
    on_start: OnStart | None = None,
    listener: Listener | None = None,
    lease: float = LEASE_SECONDS,
    approval: int | None = None,
) -> DeployResult:
    """Re-apply a revision: ``to`` for one service, else each service's previous deployed one.

    One operation, even when the services go back to different template/config versions.
    Gated as a deploy is: going back is a change too, and may go back past a fix.
    """
    choice = rollbacks.choose(store, app, service=service, to=to)
    clearance = require_gate(
        store,
        kind="rollback",
        app=app,
        environment=choice.version.environment,
        actor=author,
        payload={"service": service, "to": to, "timeout": options.timeout},
        approval=approval,
    )
    opts = DeployOptions(
        timeout=options.timeout,
        atomic=False,
        max_inflight=options.max_inflight,
        force=True,
        message=options.message or choice.message,
    )
    return deploy_app(
        store,
        app,
        author=author,
        services=choice.services,
        options=opts,
        kind="rollback",
        version=choice.version,
        on_start=on_start,
        listener=listener,
        lease=lease,
        clearance=clearance,
    )
