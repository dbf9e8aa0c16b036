"""``kapstan app plan|deploy|rollback|status|operation|cancel``: the deploy engine, on ``app_cmd.app``.

Locally the engine runs in this process; with ``--server`` the server runs it and the
command follows its event stream. Either way progress lines go to stderr as they happen
and the result is printed from the finished operation, so both print the same.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from kapstan.cli import rollout_cmd
from kapstan.cli.app_cmd import app
from kapstan.cli.backend import Backend, open_backend
from kapstan.cli.backend.started import Approval, Pending, Planned
from kapstan.cli.common import ExitCodeOpt, OutputOpt, author, iso, timeout_option, when
from kapstan.cli.exitcodes import ExitCode
from kapstan.cli.output import Format, console, print_data, print_rows
from kapstan.cli.progress import (
    PLAIN_WIDTH,
    ProgressMode,
    ProgressOpt,
    format_event,
    show_progress,
    summary_record,
)
from kapstan.engine.inflight import DEFAULT_SIZE as DEFAULT_INFLIGHT
from kapstan.errors import ConflictError, InputError
from kapstan.model.autoscaling import AutoscalerStatus
from kapstan.model.health import HealthStatus
from kapstan.model.operation import Operation, Step

# The engine, the actions and the plan's helpers load when a command runs: this module is
# imported for any `kapstan app ...` (tests/cli/test_startup.py).
if TYPE_CHECKING:
    from kapstan.actions.status import ServiceStatus
    from kapstan.engine.planning import ServicePlan
    from kapstan.plan.ownership import Conflict

ServicesOpt = typer.Option([], "-s", "--service", help="Only this service (repeatable).")
TimeoutOpt = timeout_option("5m", "each service's readiness")
DeletedOpt = typer.Option(
    False, "--deleted", help="Of the last deleted application of that name (its history stays)."
)
YesOpt = typer.Option(False, "--yes", "-y", help="Deploy without asking after the plan.")


def format_plan(plans: list[ServicePlan], *, diffs: bool = True) -> str:
    lines: list[str] = []
    for p in plans:
        lines.append(
            p.summary() + (f" -> colour {p.color}" if p.color and p.color != p.live_color else "")
        )
        for r in p.resources:
            if r.action != "unchanged":
                lines.append(f"  {r.action:<9} {r.key}")
            if r.conflict is not None:
                lines.append(f"  {'conflict':<9} {r.conflict.message}")
        for e in p.prune:
            lines.append(
                f"  {'delete':<9} {e['kind']} {e['namespace'] + '/' if e['namespace'] else ''}{e['name']}"
            )
        if diffs:
            lines += [
                "    " + ln
                for r in p.resources
                if r.diff and r.action == "update"
                for ln in r.diff.splitlines()
            ]
    return "\n".join(lines)


def plan_text(planned: Planned) -> str:
    """The plan, then its policy warnings and hints (what the user probably meant)."""
    return (
        format_plan(planned.services)
        + "".join(f"\nwarning: {w}" for w in planned.warnings)
        + "".join(f"\nhint: {h}" for h in planned.hints)
    )


def _conflict_record(c: Conflict | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"object": c.resource, "owner": c.owner, "adoptable": c.adoptable, "message": c.message}


def _plan_record(p: ServicePlan) -> dict[str, Any]:
    return {
        "service": p.service,
        "action": p.action,
        "contentHash": p.content_hash,
        "color": p.color,
        "resources": [
            {
                "resource": str(r.key),
                "action": r.action,
                "diff": r.diff,
                "conflict": _conflict_record(r.conflict),
            }
            for r in p.resources
        ],
        "prune": [dict(e) for e in p.prune],
    }


@app.command()
def plan(
    ctx: typer.Context,
    name: str,
    services: list[str] = ServicesOpt,
    output: Format = OutputOpt,
    exit_code: bool = ExitCodeOpt,
) -> None:
    """What a deploy would do, per service and resource, with diffs against the live cluster."""
    with open_backend(ctx) as backend:
        planned = backend.deploys.plan(name, services)
    data = {
        "services": [_plan_record(p) for p in planned.services],
        "warnings": planned.warnings,
        "hints": planned.hints,
    }
    print_data(data, output, plan_text(planned))
    if exit_code and any(p.changed or p.prune for p in planned.services):
        raise typer.Exit(ExitCode.CHANGES)


def progress_listener(service: str, resource: str, status: str, message: str) -> None:
    """The plain stream, for commands without ``--progress`` (market install, demo...)."""
    line = format_event(service, resource, status, message, max(PLAIN_WIDTH, len(service)))
    console(stderr=True).print(line, markup=False, highlight=False)


def _run(
    started: Pending | Approval,
    output: Format,
    progress: ProgressMode,
    backend: Backend,
    services: Sequence[str] = (),
) -> None:
    """See a deploy through and print how it ended; or say whose approval it waits for."""
    from kapstan.plan.progress import levels_of

    done = show_progress(
        started,
        output,
        progress,
        services=services,
        levels=lambda app: levels_of(backend.apps.graph(app)),
    )
    if isinstance(done, Approval):
        print_approval(done, output)
    print_result(done, output)


def print_result(op: Operation, output: Format) -> None:
    rows = [(s.service, s.step.value, s.revision or "", s.message) for s in op.services]
    if output is Format.table:
        print(f"operation {op.id} ({op.kind}) {op.status.value}: {op.message}")
    print_rows(("service", "step", "revision", "message"), rows, output, [_operation_record(op)])
    if output is Format.table:
        for line in reasons(op):
            print(f"  {line}")
    if op.status is not Step.SUCCEEDED:
        raise typer.Exit(ExitCode.FAILED)


def reasons(op: Operation, service: str | None = None) -> list[str]:
    """Why each failed service failed: the engine logs its wait's details as ``reason`` events."""
    failed = [
        s.service for s in op.services if s.step is Step.FAILED and service in (None, s.service)
    ]
    return [
        e.message
        for service in failed
        for e in op.events
        if e.status == "reason" and e.service == service
    ]


def print_approval(asked: Approval, output: Format) -> NoReturn:
    """Say which approval the change waits for, then exit 3: nothing was applied."""
    record = {
        "approval": asked.id,
        "status": "approval-required",
        "app": asked.app,
        "environment": asked.environment,
        "message": asked.message,
    }
    text = (
        f"{asked.app}: environment {asked.environment} requires approval; nothing runs yet.\n"
        f"approval {asked.id} is pending: another user with the approve permission in "
        f"{asked.environment} approves it with `kapstan approval approve {asked.id}`"
    )
    print_data(record, output, text)
    raise typer.Exit(ExitCode.APPROVAL_PENDING)


@app.command()
def deploy(
    ctx: typer.Context,
    name: str,
    services: list[str] = ServicesOpt,
    atomic: bool = typer.Option(
        False, "--atomic", help="On failure, roll back the services this deploy changed."
    ),
    timeout: float = TimeoutOpt,
    yes: bool = YesOpt,
    force: bool = typer.Option(
        False, "--force", help="Apply even services whose live state matches."
    ),
    message: str = typer.Option("", "-m", "--message", help="Why: kept with the revisions."),
    adopt: bool = typer.Option(
        False,
        "--adopt",
        help="Take over live objects created outside Kapstan (kubectl, Helm...); audited. "
        "Never another application's objects.",
    ),
    max_inflight: int = typer.Option(
        DEFAULT_INFLIGHT,
        "--max-inflight",
        min=1,
        help="Apply requests in flight at once, all services together (waiting for "
        "readiness holds none).",
    ),
    output: Format = OutputOpt,
    progress: ProgressMode = ProgressOpt,
) -> None:
    """Show the plan, then deploy in dependency order, showing progress as it happens."""
    from kapstan.engine.options import DeployOptions
    from kapstan.plan.ownership import refusal

    with open_backend(ctx) as backend:
        planned = backend.deploys.plan(name, services)
        if output is Format.table:
            print(plan_text(planned))
        # Refused before asking: the engine would refuse it anyway, before its first write.
        refused = refusal([c for p in planned.services for c in p.conflicts], adopt=adopt)
        if refused:
            raise ConflictError(refused)
        if not yes:
            if not sys.stdin.isatty():
                raise InputError(
                    "not deploying without confirmation: pass --yes (stdin is not a terminal)"
                )
            if not typer.confirm("Deploy?", default=False):
                raise typer.Exit(ExitCode.FAILED)
        options = DeployOptions(
            timeout=timeout,
            atomic=atomic,
            force=force,
            message=message,
            adopt=adopt,
            max_inflight=max_inflight,
        )
        # With --yes nobody waited between plan and deploy: the plan shown is the one run
        # (where still current), not read from the cluster a second time.
        started = backend.deploys.deploy(
            name,
            services=services,
            options=options,
            author=author(),
            shown=planned if yes else None,
        )
        _run(started, output, progress, backend, [p.service for p in planned.services])


def confirm_rollback(planned: Planned, output: Format, *, yes: bool) -> None:
    """Show the rollback's plan (as a table), then ask unless ``yes``; never ask a script."""
    if output is Format.table:
        print(plan_text(planned))
    if yes:
        return
    if not sys.stdin.isatty():
        raise InputError(
            "not rolling back without confirmation: pass --yes (stdin is not a terminal)"
        )
    if not typer.confirm("Roll back?", default=False):
        raise typer.Exit(ExitCode.FAILED)


@app.command()
def rollback(
    ctx: typer.Context,
    name: str,
    service: str | None = typer.Option(None, "-s", "--service", help="Only this service."),
    to: int | None = typer.Option(None, "--to", min=1, help="Revision number (needs --service)."),
    timeout: float = TimeoutOpt,
    yes: bool = typer.Option(False, "--yes", "-y", help="Roll back without asking after the plan."),
    output: Format = OutputOpt,
    progress: ProgressMode = ProgressOpt,
) -> None:
    """Show the plan, then re-apply earlier revisions: one service, or every service to its
    previous one, in one operation."""
    with open_backend(ctx) as backend:
        planned = backend.deploys.rollback_plan(name, service=service, to=to)
        confirm_rollback(planned, output, yes=yes)
        started = backend.deploys.rollback(
            name, service=service, to=to, timeout=timeout, author=author()
        )
        _run(started, output, progress, backend, [p.service for p in planned.services])


def _status_record(s: ServiceStatus) -> dict[str, Any]:
    return {
        "service": s.service,
        "revision": s.revision,
        "revisionStatus": s.revision_status,
        "ready": s.ready,
        "desired": s.desired,
        "health": s.health.status.value,
        "message": s.health.message,
        "outdated": s.outdated,
        "drifted": s.drifted,
        "autoscaler": _autoscaler_record(s.autoscaler) if s.autoscaler else None,
    }


def _autoscaler_record(a: AutoscalerStatus) -> dict[str, Any]:
    return {
        "name": a.name,
        "current": a.current,
        "desired": a.desired,
        "min": a.min,
        "max": a.max,
        "reason": a.reason,
        "conditions": [
            {"type": c.type, "status": c.status, "reason": c.reason, "message": c.message}
            for c in a.conditions
        ],
    }


def _autoscaler_cell(s: ServiceStatus) -> str:
    """What the service's HPA decided and why; ``-`` for a service that does not autoscale."""
    a = s.autoscaler
    if a is None:
        return "-"
    counts = f"{a.desired} desired, {a.current} current (min {a.min}, max {a.max})"
    return f"{counts}; {a.reason}" if a.reason else counts


def revision_trouble(s: ServiceStatus) -> str:
    """What is wrong with the service's last revision ("" if it was deployed)."""
    if s.revision is None:
        return "never deployed"
    if s.revision_status == "deployed":
        return ""
    if s.revision_status == "pending":
        return f"revision {s.revision} is being deployed"
    return f"last revision {s.revision} {s.revision_status}"


def _drift_cell(s: ServiceStatus) -> str:
    """The last drift check: ``-`` never checked (``kapstan app drift`` checks now)."""
    return "-" if s.drifted is None else "drifted" if s.drifted else "in sync"


def _status_row(s: ServiceStatus) -> tuple[str, str, str, str, str, str]:
    trouble = revision_trouble(s)
    # Live objects may be healthy (the previous pods still serve) when the last deploy
    # failed: the service is then not what was asked for, and says so.
    health = s.health.status.value
    if trouble and s.health.status is HealthStatus.HEALTHY and s.revision is not None:
        health = "failed" if s.revision_status != "pending" else "progressing"
    why = "; ".join(
        part for part in (trouble, "outdated" if s.outdated else "", s.health.message) if part
    )
    revision = "-" if s.revision is None else str(s.revision)
    if trouble and s.revision is not None:
        revision += f" ({s.revision_status})"
    return s.service, revision, f"{s.ready}/{s.desired}", health, why, _drift_cell(s)


@app.command()
def status(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """Per service, read live: revision, ready/desired, health, drift and why.

    Drift is the last check's (the server checks periodically; `kapstan app drift` now).
    When a service autoscales, an autoscaler column shows its HPA's desired and current
    replicas and its conditions (AbleToScale, ScalingActive, ScalingLimited).

    Exits 4 when a service is not healthy, is missing, was never deployed, or its last
    revision failed (0 when every service is healthy at a deployed revision).
    """
    with open_backend(ctx) as backend:
        statuses = backend.deploys.status(name)
    headers: tuple[str, ...] = ("service", "revision", "ready", "health", "why", "drift")
    rows: list[tuple[str, ...]] = [_status_row(s) for s in statuses]
    if any(s.autoscaler for s in statuses):
        headers += ("autoscaler",)
        rows = [(*row, _autoscaler_cell(s)) for row, s in zip(rows, statuses, strict=True)]
    print_rows(
        headers,
        rows,
        output,
        [_status_record(s) for s in statuses],
    )
    if any(revision_trouble(s) or s.health.status is not HealthStatus.HEALTHY for s in statuses):
        raise typer.Exit(ExitCode.UNHEALTHY)


def _operation_record(op: Operation) -> dict[str, Any]:
    return {
        "id": op.id,
        "app": op.app,
        "kind": op.kind,
        "status": op.status.value,
        "author": op.author,
        "startedAt": iso(op.started_at),
        "finishedAt": iso(op.finished_at) if op.finished_at else None,
        "message": op.message,
        "summary": summary_record(op),
        "services": [
            {
                "service": s.service,
                "step": s.step.value,
                "message": s.message,
                "revision": s.revision,
            }
            for s in op.services
        ],
        "events": [
            {
                "at": iso(e.at),
                "service": e.service,
                "resource": e.resource,
                "status": e.status,
                "message": e.message,
            }
            for e in op.events
        ],
    }


def format_operation(op: Operation) -> str:
    finished = f", finished {when(op.finished_at)}" if op.finished_at else " (running)"
    lines = [
        f"operation {op.id}: {op.kind} of {op.app} by {op.author}, {op.status.value}, "
        f"started {when(op.started_at)}{finished}"
    ]
    if op.message:
        lines.append(f"  {op.message}")
    longest = max([0, *(len(s.service) for s in op.services), *(len(e.service) for e in op.events)])
    lines += [
        f"  {s.service:<{max(14, longest)}} {s.step.value:<11} {s.message}" for s in op.services
    ]
    lines.append("events:")
    width = max(PLAIN_WIDTH, longest)  # columns aligned whatever the names' length
    lines += [
        f"  {when(e.at)} {e.service or '(app)':<{width}} {e.status:<11} "
        f"{e.resource + '  ' if e.resource else ''}{e.message}"
        for e in op.events
    ]
    return "\n".join(lines)


@app.command()
def operation(
    ctx: typer.Context,
    name: str,
    operation_id: int | None = typer.Argument(None, metavar="[ID]", help="Default: the latest."),
    deleted: bool = DeletedOpt,
    output: Format = OutputOpt,
) -> None:
    """One operation with its per-service steps and event log (readable while it runs)."""
    with open_backend(ctx) as backend:
        op = (
            backend.deletes.operation(name, operation_id)
            if deleted
            else backend.deploys.operation(name, operation_id)
        )
    print_data(_operation_record(op), output, format_operation(op))


@app.command()
def cancel(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """Stop NAME's running operation at its next safe point (between two objects, or while
    it waits for readiness); it ends cancelled and frees the application."""
    with open_backend(ctx) as backend:
        op = backend.deploys.cancel(name, author=author())
    text = (
        f"cancel requested for operation {op.id} ({op.kind}) of {name}: it stops at its next "
        f"safe point; follow it with `kapstan app operation {name} {op.id}`"
    )
    print_data(_operation_record(op), output, text)


@app.command()
def operations(
    ctx: typer.Context, name: str, deleted: bool = DeletedOpt, output: Format = OutputOpt
) -> None:
    """The application's recent operations, newest first."""
    with open_backend(ctx) as backend:
        ops = backend.deletes.operations(name) if deleted else backend.deploys.operations(name)
    rows = [(o.id, o.kind, o.status.value, o.author, when(o.started_at), o.message) for o in ops]
    print_rows(
        ("id", "kind", "status", "author", "started", "message"),
        rows,
        output,
        [_operation_record(o) for o in ops],
    )


@app.command()
def promote(
    ctx: typer.Context,
    name: str,
    to: str | None = typer.Option(
        None,
        "--to",
        help="The environment to promote into; several (a,b,c) roll out in order: the "
        "first is the canary, then the rest (always deployed).",
    ),
    as_: str | None = typer.Option(
        None, "--as", help="The application's name there (default NAME-ENV)."
    ),
    deploy_now: bool = typer.Option(False, "--deploy", help="Deploy it there right away."),
    plan_name: str | None = typer.Option(
        None, "--plan", help="Roll out by this named plan (`kapstan rollout plan list`)."
    ),
    soak: float | None = rollout_cmd.soak_option(None),
    parallel: int | None = rollout_cmd.parallel_option(None),
    rollback: bool | None = rollout_cmd.rollback_option(None),
    timeout: float = TimeoutOpt,
    output: Format = OutputOpt,
    progress: ProgressMode = ProgressOpt,
) -> None:
    """Run NAME's template version in another environment, with that environment's config.

    With several environments (`--to a,b,c`) or `--plan`, it is a rollout (`kapstan
    rollout`): the canary is promoted and deployed, its services must stay ready for
    `--soak`, then the rest follow, `--parallel` at once; the first failure starts no new
    environment, and `--rollback-on-failure` takes those done back. Environments that
    require approval are asked for it first, before anything is promoted (exit 3; then
    `kapstan rollout resume ID`).

    What was tested travels with it: the template's promoted keys (`promote:` in
    kapstan.yaml; by default the keys of its image references) are set there to NAME's
    values, in a new config version, each printed as `carries KEY: BEFORE -> AFTER`.

    Into an environment that requires approval, the promotion waits for another user's
    approval (`kapstan approval`), locally as through a server: nothing is created until
    then, and the command exits 3.
    """
    rolling = plan_name is not None or any(x is not None for x in (soak, parallel, rollback))
    if to is None and plan_name is None:
        raise InputError("say where to: --to ENV (several: --to a,b,c) or --plan NAME")
    if rolling or (to is not None and "," in to):
        _roll_out(ctx, name, to, as_, plan_name, soak, parallel, rollback, timeout, output)
        return
    assert to is not None
    with open_backend(ctx) as backend:
        done = backend.deploys.promote(
            name, to, as_, deploy=deploy_now, timeout=timeout, author=author()
        )
        if output is Format.table:  # what was tested travels: the promotion's own plan
            for line in done.carried:
                print(f"carries {line}")
        if isinstance(done.run, Approval):
            print_approval(done.run, output)
        target = done.application
        assert target is not None  # only a promotion waiting for approval has none
        verb = "created" if done.created else "updated"
        config = target.config + (f"@{target.config_version}" if target.config_version else "")
        if output is Format.table:
            print(
                f"{target.name} {verb} in {target.environment}: template {target.template}@"
                f"{target.template_version}, config {config}"
            )
        if done.run is not None:
            _run(done.run, output, progress, backend)
        elif output is not Format.table:
            print_data(
                {
                    "application": target.name,
                    "environment": target.environment,
                    "created": done.created,
                    "template": f"{target.template}@{target.template_version}",
                    "config": config,
                    "carried": list(done.carried),
                },
                output,
            )


def _roll_out(
    ctx: typer.Context,
    name: str,
    to: str | None,
    as_: str | None,
    plan_name: str | None,
    soak: float | None,
    parallel: int | None,
    rollback: bool | None,
    timeout: float,
    output: Format,
) -> None:
    """``promote`` to several environments: one rollout (``kapstan rollout``)."""
    if as_ is not None:
        raise InputError(
            "--as names one application: a rollout names each NAME-ENV; promote to one "
            "environment to choose its name"
        )
    with open_backend(ctx) as backend:
        done = backend.rollouts.start(
            name,
            to=[to] if to else [],
            plan=plan_name,
            soak=soak,
            parallel=parallel,
            rollback_on_failure=rollback,
            timeout=timeout,
            author=author(),
            progress=rollout_cmd.progress_line if output is Format.table else None,
        )
    rollout_cmd.print_rollout(done, output)
