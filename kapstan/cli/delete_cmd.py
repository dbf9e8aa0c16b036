"""``kapstan app|env|template|config delete``: registered on each object's command group.

``app delete`` shows what it will delete (read live: only objects its revisions recorded
and Kapstan still owns) and what it keeps and why, asks (``--yes`` to skip; refused
without a terminal), then runs the delete as an operation with progress, like a deploy.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer

from kapstan.actions.refs import parse_ref
from kapstan.cli import app_cmd, config_cmd, env_cmd, template_cmd
from kapstan.cli.backend import open_backend
from kapstan.cli.backend.started import Approval
from kapstan.cli.common import OutputOpt, author, timeout_option
from kapstan.cli.deploy_cmd import print_approval, print_result, progress_listener
from kapstan.cli.exitcodes import ExitCode
from kapstan.cli.output import Format, print_data
from kapstan.cli.progress import ProgressMode, ProgressOpt, show_progress
from kapstan.errors import InputError

if TYPE_CHECKING:
    from kapstan.actions.deleting import AppRemoval  # the engine and Kubernetes client: at run time

YesOpt = typer.Option(False, "--yes", "-y", help="Delete without asking.")
VolumesOpt = typer.Option(
    False, "--delete-volumes", help="Also delete PersistentVolumeClaims (kept by default)."
)
TimeoutOpt = timeout_option("5m", "each service's objects to be gone")


def format_removal(plan: AppRemoval) -> str:
    head = (
        f"deleting application {plan.app} from environment {plan.environment} "
        f"(namespace {plan.namespace}, which stays): {plan.count} object(s)"
    )
    lines = [head]
    for s in plan.services:
        lines.append(f"  {s.service}")
        lines += [
            f"    {'delete' if r.delete else 'keep':<7} {r.what}"
            + ("" if r.delete or not r.why else f"  ({r.why})")
            for r in s.removals
        ]
        if not s.removals:
            lines.append("    (nothing live)")
    return "\n".join(lines)


def removal_record(plan: AppRemoval) -> dict[str, Any]:
    return {
        "app": plan.app,
        "environment": plan.environment,
        "namespace": plan.namespace,
        "deleteVolumes": not plan.keep_volumes,
        "services": [
            {
                "service": s.service,
                "objects": [
                    {"resource": r.what, "delete": r.delete, "why": r.why} for r in s.removals
                ],
            }
            for s in plan.services
        ],
    }


def kept_record(plan: AppRemoval) -> dict[str, Any]:
    """What ``app delete`` leaves in place: the namespace, and each object it keeps and why."""
    return {
        "namespace": plan.namespace,
        "objects": [
            {"service": s.service, "resource": r.what, "why": r.why}
            for s in plan.services
            for r in s.removals
            if not r.delete
        ],
    }


def confirm(question: str, yes: bool, what: str) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise InputError(
            f"not deleting {what} without confirmation: pass --yes (stdin is not a terminal)"
        )
    if not typer.confirm(question, default=False):
        raise typer.Exit(ExitCode.FAILED)


@app_cmd.app.command("delete")
def delete_app(
    ctx: typer.Context,
    name: str,
    yes: bool = YesOpt,
    delete_volumes: bool = VolumesOpt,
    timeout: float = TimeoutOpt,
    output: Format = OutputOpt,
    progress: ProgressMode = ProgressOpt,
) -> None:
    """Delete app NAME: its objects in the cluster (dependents first), then the app.

    Only objects its revisions recorded and Kapstan still owns are deleted; the namespace
    and volume claims stay (--delete-volumes deletes the claims too). Its history stays
    readable: `kapstan app operations NAME --deleted`.
    """
    from kapstan.plan.progress import levels_of

    keep = not delete_volumes
    with open_backend(ctx) as backend:
        plan = backend.deletes.survey(name, keep_volumes=keep)
        if output is Format.table:
            print(format_removal(plan))
        confirm(f"Delete application {name}?", yes, f"application {name!r}")
        started = backend.deletes.app(name, keep_volumes=keep, timeout=timeout, author=author())
        op = show_progress(
            started,
            output,
            progress,
            services=[s.service for s in plan.services],
            levels=lambda app: levels_of(backend.apps.graph(app)),
        )
        if isinstance(op, Approval):
            print_approval(op, output)
    if output is not Format.table:
        succeeded = op.status.value == "succeeded"
        print_data(
            {
                "deleted": {"kind": "application", "name": name} if succeeded else None,
                "kept": kept_record(plan),
                "plan": removal_record(plan),
                "operation": op.id,
                "status": op.status.value,
                "message": op.message,
            },
            output,
        )
        if not succeeded:
            raise typer.Exit(ExitCode.FAILED)
        return
    print_result(op, output)


@env_cmd.app.command("delete")
def delete_environment(
    ctx: typer.Context,
    name: str,
    cascade: bool = typer.Option(
        False, "--cascade", help="Delete its applications first (each as `app delete`)."
    ),
    yes: bool = YesOpt,
    delete_volumes: bool = VolumesOpt,
    timeout: float = TimeoutOpt,
    output: Format = OutputOpt,
) -> None:
    """Delete environment NAME (refused while applications use it, unless --cascade).

    Its namespace is never deleted; its role grants go with it.
    """
    with open_backend(ctx) as backend:
        if cascade:
            apps = [a.name for a in backend.apps.list() if a.environment == name]
            if apps and output is Format.table:
                print(f"--cascade deletes application(s) {', '.join(apps)} first")
        confirm(f"Delete environment {name}?", yes, f"environment {name!r}")
        namespace, ops = backend.deletes.environment(
            name,
            cascade=cascade,
            keep_volumes=not delete_volumes,
            timeout=timeout,
            author=author(),
            listener=progress_listener,
        )
    record = {
        "deleted": {"kind": "environment", "name": name},
        "kept": {"namespace": namespace},
        "applications": [
            {"name": op.app, "operation": op.id, "status": op.status.value, "message": op.message}
            for op in ops
        ],
    }
    lines = [f"application {op.app} deleted (operation {op.id}): {op.message}" for op in ops]
    lines.append(f"environment {name} deleted; namespace {namespace} was left in place")
    print_data(record, output, "\n".join(lines))


@template_cmd.app.command("delete")
def delete_template(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="NAME[@VERSION]"),
    yes: bool = YesOpt,
    output: Format = OutputOpt,
) -> None:
    """Delete template NAME (every version) or one VERSION; refused while an app uses it.

    Deleting its last live version deletes the template.
    """
    found = parse_ref(ref, "template")
    name, version = found.name, found.version
    confirm(f"Delete template {ref}?", yes, f"template {ref!r}")
    with open_backend(ctx) as backend:
        versions = backend.deletes.template(name, version, author=author())
    listed = ", ".join(str(v) for v in versions)
    record = {"deleted": {"kind": "template", "name": name, "versions": versions}}
    print_data(record, output, f"template {name}: version(s) {listed} deleted")


@config_cmd.app.command("delete")
def delete_config(
    ctx: typer.Context, name: str, yes: bool = YesOpt, output: Format = OutputOpt
) -> None:
    """Delete config NAME; refused while an application or an environment uses it."""
    confirm(f"Delete config {name}?", yes, f"config {name!r}")
    with open_backend(ctx) as backend:
        backend.deletes.config(name, author=author())
    print_data({"deleted": {"kind": "config", "name": name}}, output, f"config {name} deleted")
