"""``kapstan rollout list|show|resume`` and ``kapstan rollout plan set|list|show|delete``.

A rollout is started by ``kapstan app promote APP --to a,b,c`` (or ``--plan NAME``); these
commands read it, resume one that waited for approvals or was interrupted (the process
running it died: its lease expired), and keep the named plans.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import typer

from kapstan.cli.backend import open_backend
from kapstan.cli.common import OutputOpt, author, iso, when
from kapstan.cli.exitcodes import ExitCode
from kapstan.cli.output import Format, console, print_data, print_rows
from kapstan.errors import InputError
from kapstan.model.durations import parse_duration
from kapstan.model.rollouts import Rollout, RolloutPlan
from kapstan.plan.rollouts import (
    DONE,
    INTERRUPTED,
    RUNNING,
    WAITING,
    RolloutSpec,
    environments_of,
)

app = typer.Typer(
    help="Rollouts across environments: one version, canary first, then the rest.",
    no_args_is_help=True,
)
plan_app = typer.Typer(
    help="Named rollout plans: the canary, a soak time, then the rest.", no_args_is_help=True
)
app.add_typer(plan_app, name="plan")

ThenOpt = typer.Option(
    [], "--then", help="The environments after the canary, in order: a,b,c (repeatable)."
)
IdArg = typer.Argument(..., min=1, help="The rollout's id (`kapstan rollout list`).")


def duration(value: str | float) -> float:
    """``--soak``: a duration (``90s``, ``2m``) or seconds; 0 soaks nothing."""
    try:
        return value if isinstance(value, float | int) else parse_duration(value)
    except InputError as exc:
        raise typer.BadParameter(str(exc)) from exc


def soak_option(default: str | None) -> Any:
    return typer.Option(
        default,
        "--soak",
        parser=duration,
        metavar="DURATION",
        help="How long the canary's services must stay ready before the rest: 90s, 2m.",
    )


def parallel_option(default: int | None) -> Any:
    return typer.Option(
        default, "--parallel", min=1, help="Environments after the canary deployed at once."
    )


def rollback_option(default: bool | None) -> Any:
    return typer.Option(
        default,
        "--rollback-on-failure/--no-rollback-on-failure",
        help="On a failure, roll back the environments already done.",
        show_default=False,
    )


def progress_line(environment: str, state: str, message: str) -> None:
    """One environment's move, on stderr as it happens."""
    line = f"{environment:<16} {state:<12} {message}".rstrip()
    console(stderr=True).print(line, markup=False, highlight=False)


def rollout_record(r: Rollout) -> dict[str, Any]:
    return {
        "id": r.id,
        "application": r.application,
        "template": f"{r.template}@{r.template_version}",
        "plan": r.plan,
        "soak": r.soak,
        "parallel": r.parallel,
        "rollbackOnFailure": r.rollback_on_failure,
        "status": r.status,
        "error": r.error,
        "createdBy": r.created_by,
        "createdAt": iso(r.created_at),
        "finishedAt": iso(r.finished_at) if r.finished_at else None,
        "owner": r.owner if r.status in (RUNNING, INTERRUPTED) else None,
        "leaseExpiresAt": iso(r.lease_expires_at) if r.lease_expires_at else None,
        "environments": [
            {
                "environment": t.environment,
                "application": t.application,
                "state": t.state,
                "approval": t.approval_id,
                "operation": t.operation_id,
                "rollbackOperation": t.rollback_operation_id,
                "createdApp": t.created_app,
                "previousTemplateVersion": t.previous_template_version,
                "note": t.error,
            }
            for t in r.targets
        ],
    }


def format_rollout(r: Rollout) -> str:
    ended = f", finished {when(r.finished_at)}" if r.finished_at else ""
    how = f"soak {r.soak:g}s, {r.parallel} at once" + (
        ", rollback on failure" if r.rollback_on_failure else ""
    )
    lines = [
        f"rollout {r.id}: {r.application} {r.template}@{r.template_version} by {r.created_by}, "
        f"{r.status} ({how}){ended}" + (f" [plan {r.plan}]" if r.plan else "")
    ]
    for t in r.targets:
        role = "canary" if t.position == 0 else ""
        extra = [
            f"operation {t.operation_id}" if t.operation_id else "",
            f"approval {t.approval_id}" if t.approval_id else "",
            "created here" if t.created_app else "",
        ]
        shown = ", ".join(x for x in extra if x)
        lines.append(
            f"  {t.environment:<16} {role:<7} {t.state:<12} {t.application}"
            + (f" ({shown})" if shown else "")
        )
        if t.error:
            lines.append(f"    {t.error}")
    if r.error:
        lines.append(f"error: {r.error}")
    if r.status == RUNNING and r.owner and r.claimed_at:
        lines.append(f"run by {r.owner} since {when(r.claimed_at)}")
    if r.status == INTERRUPTED:
        lines.append(_interrupted(r))
    return "\n".join(lines)


def _interrupted(r: Rollout) -> str:
    who = f" ({r.owner})" if r.owner else ""
    return (
        f"interrupted: the process running it{who} stopped; `kapstan rollout resume {r.id}` "
        f"takes it over: environments done stay done, the one in flight is checked first"
    )


def print_rollout(r: Rollout, output: Format) -> None:
    """The rollout; exit 3 while it waits for approvals, 1 when it failed."""
    print_data(rollout_record(r), output, format_rollout(r))
    if r.status == WAITING:
        _waiting(r)
    if r.status != DONE:
        raise typer.Exit(ExitCode.FAILED)


def _waiting(r: Rollout) -> NoReturn:
    named = ", ".join(
        f"{t.environment} (approval {t.approval_id})" for t in r.targets if t.approval_id
    )
    print(
        f"rollout {r.id} waits for approval in {named}: nothing was promoted. Another user "
        f"with the approve permission approves each (`kapstan approval approve ID`); then "
        f"`kapstan rollout resume {r.id}`",
        file=sys.stderr,
    )
    raise typer.Exit(ExitCode.APPROVAL_PENDING)


@app.command("list")
def list_(
    ctx: typer.Context,
    application: str | None = typer.Option(None, "--app", help="Only rollouts of this app."),
    output: Format = OutputOpt,
) -> None:
    """Recent rollouts, newest first, with each environment's state."""
    with open_backend(ctx) as backend:
        found = backend.rollouts.recent(application)
    rows = [
        (
            r.id,
            r.application,
            f"{r.template}@{r.template_version}",
            r.status,
            ", ".join(f"{t.environment}:{t.state}" for t in r.targets),
            when(r.created_at),
        )
        for r in found
    ]
    print_rows(
        ("id", "application", "template", "status", "environments", "started"),
        rows,
        output,
        [rollout_record(r) for r in found],
    )


@app.command()
def show(ctx: typer.Context, rollout_id: int = IdArg, output: Format = OutputOpt) -> None:
    """One rollout: each environment's state, operations, approvals and errors."""
    with open_backend(ctx) as backend:
        found = backend.rollouts.get(rollout_id)
    print_data(rollout_record(found), output, format_rollout(found))


@app.command()
def resume(ctx: typer.Context, rollout_id: int = IdArg, output: Format = OutputOpt) -> None:
    """Run a rollout that waited for approvals (once every one is given), or take over an
    interrupted one (its process died) and run the rest."""
    with open_backend(ctx) as backend:
        done = backend.rollouts.resume(
            rollout_id,
            author=author(),
            progress=progress_line if output is Format.table else None,
        )
    print_rollout(done, output)


def plan_record(p: RolloutPlan) -> dict[str, Any]:
    return {
        "name": p.name,
        "canary": p.canary,
        "then": list(p.then),
        "soak": p.soak,
        "parallel": p.parallel,
        "rollbackOnFailure": p.rollback_on_failure,
        "updatedBy": p.created_by,
        "updatedAt": iso(p.updated_at),
    }


def format_plan(p: RolloutPlan) -> str:
    rest = ", ".join(p.then) or "(nothing)"
    back = "rolls back on failure" if p.rollback_on_failure else "leaves what is done on failure"
    return (
        f"rollout plan {p.name}: canary {p.canary}, soak {p.soak:g}s, then {rest}, "
        f"{p.parallel} at once; {back}"
    )


@plan_app.command("set")
def plan_set(
    ctx: typer.Context,
    name: str,
    canary: str = typer.Option(..., "--canary", help="The environment that goes first."),
    then: list[str] = ThenOpt,
    soak: float = soak_option("0"),
    parallel: int = parallel_option(1),
    rollback: bool = rollback_option(False),
    output: Format = OutputOpt,
) -> None:
    """Create or replace a named rollout plan (`kapstan app promote APP --plan NAME`)."""
    spec = RolloutSpec((canary, *(environments_of(then) if then else ())), soak, parallel, rollback)
    with open_backend(ctx) as backend:
        saved = backend.rollouts.save_plan(name, spec, author=author())
    print_data(plan_record(saved), output, format_plan(saved))


@plan_app.command("list")
def plan_list(ctx: typer.Context, output: Format = OutputOpt) -> None:
    """The named rollout plans."""
    with open_backend(ctx) as backend:
        found = backend.rollouts.list_plans()
    rows = [
        (p.name, p.canary, ", ".join(p.then), f"{p.soak:g}s", p.parallel, p.rollback_on_failure)
        for p in found
    ]
    print_rows(
        ("name", "canary", "then", "soak", "parallel", "rollback"),
        rows,
        output,
        [plan_record(p) for p in found],
    )


@plan_app.command("show")
def plan_show(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """One rollout plan."""
    with open_backend(ctx) as backend:
        found = backend.rollouts.get_plan(name)
    print_data(plan_record(found), output, format_plan(found))


@plan_app.command("delete")
def plan_delete(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """Delete a named rollout plan (rollouts that followed it keep its name)."""
    with open_backend(ctx) as backend:
        backend.rollouts.delete_plan(name, author=author())
    print_data({"deleted": name}, output, f"rollout plan {name} deleted")
