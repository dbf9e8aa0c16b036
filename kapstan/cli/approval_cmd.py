"""``kapstan approval list|show|approve|reject|withdraw``: approval requests.

A deploy, rollback, delete or promotion into an environment that requires approval waits
until a second user with the ``approve`` permission there approves it; then it runs once,
as its requester. The same on a server and on the local store (``--db``): locally the
requests are the store's, its users are the ones `kapstan user create` made (you are
``$KAPSTAN_USER``, else the OS user), and approving runs the change in this process,
showing its progress, as ``approve --wait`` does through a server.
"""

from __future__ import annotations

from typing import Any

import typer

from kapstan import schemas
from kapstan.actions import approvals
from kapstan.cli.backend import Backend, open_backend
from kapstan.cli.backend.remotedeploys import RemoteDeploys
from kapstan.cli.common import OutputOpt, author, when
from kapstan.cli.deploy_cmd import print_result, progress_listener
from kapstan.cli.output import Format, print_data, print_rows
from kapstan.client import decode
from kapstan.client.http import ApiClient, path
from kapstan.store import Store

WHAT = "approvals"
IdArg = typer.Argument(..., metavar="ID", help="The approval's number.")

app = typer.Typer(help="Approval requests for changes to guarded environments.")


@app.command("list")
def list_(
    ctx: typer.Context,
    status: str | None = typer.Option(
        None, "--status", help="pending, approved, rejected or used."
    ),
    env: str | None = typer.Option(None, "--env", "-e", help="Only this environment."),
    output: Format = OutputOpt,
) -> None:
    """Approvals in the environments you may view, newest first."""
    with open_backend(ctx) as backend:
        if backend.client is None:
            stored = backend.local_store(WHAT).list_approvals(status=status, environment=env)
            found = [schemas.ApprovalOut.of(a) for a in stored]
        else:
            pages = backend.client.pages(path("approvals"), status=status, environment=env)
            found = [decode.parse(schemas.ApprovalOut, a) for a in pages]
    rows = [
        (
            a.id,
            a.kind,
            a.application,
            a.environment,
            a.status,
            a.requested_by,
            when(a.requested_at),
            a.decided_by or "-",
        )
        for a in found
    ]
    columns = (
        "id",
        "kind",
        "application",
        "environment",
        "status",
        "requested by",
        "requested",
        "decided by",
    )
    print_rows(columns, rows, output, [_record(a) for a in found])


@app.command()
def show(ctx: typer.Context, approval_id: int = IdArg, output: Format = OutputOpt) -> None:
    """One approval: what was asked, by whom, and what became of it."""
    with open_backend(ctx) as backend:
        found = _get(backend, approval_id)
    print_data(_record(found), output, _text(found))


@app.command()
def approve(
    ctx: typer.Context,
    approval_id: int = IdArg,
    wait: bool = typer.Option(
        False, "--wait", help="Follow the change it starts to its end, showing progress."
    ),
    output: Format = OutputOpt,
) -> None:
    """Approve someone else's request: its change starts at once, as theirs (locally it runs
    here, to its end, as with --wait)."""
    with open_backend(ctx) as backend:
        if backend.client is None:
            _approve_here(backend.local_store(WHAT), approval_id, output)
            return
        client = backend.client
        asked = _get(backend, approval_id)
        answer = decode.parse(
            schemas.Accepted, client.post(path("approvals", approval_id, "approve"))
        )
        app_name = answer.app or asked.application
        if wait and answer.operation_id is not None:
            listener = progress_listener if output is Format.table else None
            op = RemoteDeploys(client).follow(app_name, answer.operation_id, listener)
            print_result(op, output)
            return
    record = answer.model_dump(mode="json", by_alias=True)
    started = (
        f"operation {answer.operation_id} started; follow it with "
        f"`kapstan app operation {app_name} {answer.operation_id}`"
        if answer.operation_id is not None
        else answer.message
        if answer.status == "approved"  # one environment of a rollout: it runs it
        else "done, nothing to deploy"
    )
    text = (
        f"approval {approval_id} approved: {asked.kind} of {app_name} in "
        f"{asked.environment}, as {asked.requested_by}: {started}"
    )
    print_data(record, output, text)


@app.command()
def reject(
    ctx: typer.Context,
    approval_id: int = IdArg,
    reason: str = typer.Option(..., "--reason", "-r", help="Why: shown to the requester."),
    output: Format = OutputOpt,
) -> None:
    """Reject a pending request: it never runs."""
    _decide(ctx, approval_id, "reject", reason, output, "rejected")


@app.command()
def withdraw(
    ctx: typer.Context,
    approval_id: int = IdArg,
    reason: str = typer.Option("", "--reason", "-r", help="Why (optional)."),
    output: Format = OutputOpt,
) -> None:
    """Take back your own pending request: it never runs."""
    _decide(ctx, approval_id, "withdraw", reason, output, "withdrawn")


def _approve_here(store: Store, approval_id: int, output: Format) -> None:
    """Approve on the local store, then carry the change out in this process."""
    decided = approvals.approve(store, approval_id, user=author())
    if output is Format.table:
        print(
            f"approval {approval_id} approved: {decided.kind} of {decided.application} in "
            f"{decided.environment}, as {decided.requested_by}"
        )
    listener = progress_listener if output is Format.table else None
    done = approvals.carry_out(store, decided, listener=listener)
    if done.rollout is not None:
        record = {"approval": approval_id, "status": "approved", "rollout": done.rollout}
        text = (
            f"it belongs to rollout {done.rollout}, which runs it in order: "
            f"`kapstan rollout resume {done.rollout}` once every approval it waits for is given"
        )
        print_data(record, output, text)
        return
    if done.operation is not None:
        print_result(done.operation, output)
        return
    record = {"approval": approval_id, "status": "done", "app": decided.application}
    print_data(record, output, "done, nothing to deploy")


def _decide(
    ctx: typer.Context, approval_id: int, verb: str, reason: str, output: Format, done: str
) -> None:
    with open_backend(ctx) as backend:
        if backend.client is None:
            store = backend.local_store(WHAT)
            decided = schemas.ApprovalOut.of(
                approvals.reject(store, approval_id, user=author(), reason=reason)
                if verb == "reject"
                else approvals.withdraw(store, approval_id, user=author(), reason=reason)
            )
        else:
            answer = backend.client.post(path("approvals", approval_id, verb), {"reason": reason})
            decided = decode.parse(schemas.ApprovalOut, answer)
    why = f": {decided.reason}" if decided.reason else ""
    print_data(_record(decided), output, f"approval {decided.id} {done}{why}")


def _get(backend: Backend, approval_id: int) -> schemas.ApprovalOut:
    if backend.client is None:
        return schemas.ApprovalOut.of(backend.local_store(WHAT).get_approval(approval_id))
    return _fetch(backend.client, approval_id)


def _fetch(client: ApiClient, approval_id: int) -> schemas.ApprovalOut:
    return decode.parse(schemas.ApprovalOut, client.get(path("approvals", approval_id)))


def _said(value: Any) -> str:
    """A payload value as people write it: yes/no, lists joined; never Python's repr."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ",".join(_said(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}:{_said(v)}" for k, v in value.items())
    return str(value)


def _record(a: schemas.ApprovalOut) -> dict[str, Any]:
    return a.model_dump(mode="json", by_alias=True)


def _text(a: schemas.ApprovalOut) -> str:
    asked = (
        ", ".join(
            f"{k}={_said(v)}" for k, v in sorted(a.payload.items()) if v is not None and v != []
        )
        or "-"
    )
    lines = {
        "id": a.id,
        "kind": a.kind,
        "application": a.application,
        "environment": a.environment,
        "status": a.status,
        "requested by": a.requested_by,
        "requested at": when(a.requested_at),
        "decided by": a.decided_by,
        "decided at": when(a.decided_at) if a.decided_at else None,
        "reason": a.reason,
        "used at": when(a.used_at) if a.used_at else None,
        "asked": asked,
    }
    return "\n".join(f"{k}: {'-' if v is None else v}" for k, v in lines.items())
