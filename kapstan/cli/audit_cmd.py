"""``kapstan audit list|export``: the append-only audit log, from the store or a server.

Both ways print the API's own record of an entry (``AuditOut.of``), so a list or
an export reads the same wherever it came from. Through a server, the whole log needs an
administrator; anyone else reads one environment's entries (``--env``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import typer

from kapstan import schemas
from kapstan.cli.backend import open_backend
from kapstan.cli.common import OutputOpt, when
from kapstan.cli.output import Format, print_rows
from kapstan.client import decode
from kapstan.client.http import path

app = typer.Typer(help="The audit log: who changed what, when, from which version to which.")

SinceOpt = typer.Option(
    None, "--since", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"], help="Only entries from then on."
)


@app.command("list")
def list_(
    ctx: typer.Context,
    actor: str | None = typer.Option(None, "--actor", help="Only this user's changes."),
    kind: str | None = typer.Option(None, "--kind", help="template, config, application, ..."),
    name: str | None = typer.Option(None, "--name", help="Only changes to objects named so."),
    env: str | None = typer.Option(None, "--env", "-e", help="Only this environment."),
    since: datetime | None = SinceOpt,
    limit: int = typer.Option(50, "--limit", min=1, max=500, help="How many, newest first."),
    output: Format = OutputOpt,
) -> None:
    """The newest entries first."""
    filters: dict[str, Any] = {
        "actor": actor,
        "kind": kind,
        "name": name,
        "environment": env,
        "since": since,
    }
    with open_backend(ctx) as backend:
        if backend.client is not None:
            params = {**filters, "since": since.isoformat() if since else None}
            page = backend.client.get(path("audit"), **params, limit=limit)
            entries = [decode.parse(schemas.AuditOut, e) for e in page["items"]]
        else:
            found = backend.local_store("audit").list_audit(limit=limit, **filters)
            entries = [schemas.AuditOut.of(e) for e in found]
    records = [e.model_dump(mode="json", by_alias=True) for e in entries]
    rows = [
        (e.id, when(e.at), e.actor, e.action, e.name, e.environment or "-", _versions(e))
        for e in entries
    ]
    print_rows(
        ("id", "at", "actor", "action", "name", "environment", "change"), rows, output, records
    )


@app.command()
def export(ctx: typer.Context, since: datetime | None = SinceOpt) -> None:
    """Every entry, oldest first, one JSON object per line."""
    with open_backend(ctx) as backend:
        if backend.client is not None:
            params = {"since": since.isoformat() if since else None}
            print(backend.client.text(path("audit", "export"), **params), end="")
            return
        for e in backend.local_store("audit").export_audit(since):
            print(json.dumps(schemas.AuditOut.of(e).model_dump(mode="json", by_alias=True)))


def _versions(e: schemas.AuditOut) -> str:
    if e.from_version is None and e.to_version is None:
        return ""
    return f"{e.from_version or '-'} -> {e.to_version or '-'}"
