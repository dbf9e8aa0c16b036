"""``kapstan app instances``: one application in every environment, on ``app_cmd.app``.

On the local store through ``kapstan.actions.instances``, or on a server through
``GET /applications/{app}/instances``; both print the same data (``instances_data``).
The actions are imported when the command runs, so ``kapstan app ...`` starts as fast.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer

from kapstan.cli.app_cmd import app
from kapstan.cli.backend import open_backend
from kapstan.cli.common import OutputOpt, timeout_option
from kapstan.cli.exitcodes import ExitCode
from kapstan.cli.output import Format, print_data, print_rows

COLUMNS = (
    "environment",
    "cluster",
    "application",
    "template",
    "config",
    "deployed",
    "health",
    "drift",
    "last operation",
)


@app.command()
def instances(
    ctx: typer.Context,
    name: str,
    lineage: bool = typer.Option(
        False,
        "--lineage",
        help="Only NAME's promotion line (NAME plus -ENV suffixes), not every application "
        "of its template.",
    ),
    timeout: float = timeout_option("10s", "the clusters' answers (all read at once)"),
    output: Format = OutputOpt,
) -> None:
    """Application NAME in every environment: the applications of its template (`app
    promote` makes them), each with its versions, health read live, drift and last
    operation.

    Versions: template@version and config@version pinned, and the release last deployed
    (marked * when a service is not deployed at the pinned versions). Drift is the last
    check's (the server checks periodically; `kapstan app drift APP` checks now). A cluster
    that does not answer within --timeout is named, and the other instances still shown.

    Exits 4 when an instance is not healthy or its cluster could not be read (as `app
    status` does), else 2 when one drifted (as `app drift` does), else 0.
    """
    with open_backend(ctx) as backend:
        if backend.client is not None:
            from kapstan.client.http import path  # the HTTP client only for a server

            query: dict[str, Any] = {"timeout": timeout} | ({"lineage": "true"} if lineage else {})
            data: dict[str, Any] = backend.client.get(
                path("applications", name, "instances"), **query
            )
        else:
            from kapstan.actions.instances import app_instances, instances_data
            from kapstan.schemas.instances import InstancesOut

            store = backend.local_store("app instances")
            view = app_instances(store, name, lineage=lineage, timeout=timeout)
            # Through the API's model, so -o json|yaml prints what the server would send.
            out = InstancesOut.model_validate(instances_data(view))
            data = out.model_dump(mode="json", by_alias=True)
    if output is Format.table:
        print_rows(COLUMNS, [instance_row(i) for i in data["instances"]], output)
    else:
        print_data(data, output)
    if data["unhealthy"]:
        raise typer.Exit(ExitCode.UNHEALTHY)
    if data["drifted"]:
        raise typer.Exit(ExitCode.CHANGES)


def instance_row(i: dict[str, Any]) -> tuple[str, ...]:
    """One instance as a table row (``instances_data``'s record)."""
    follows = " (latest)" if i["configFollowsLatest"] else ""
    return (
        i["environment"],
        i["cluster"],
        i["application"],
        f"{i['template']}@{i['templateVersion']}",
        f"{i['config']}@{i['configVersion']}{follows}",
        _deployed(i["deployed"]),
        _health(i["health"]),
        _drift(i["drift"]),
        _operation(i["lastOperation"]),
    )


def _deployed(d: dict[str, Any] | None) -> str:
    if d is None:
        return "never"
    mark = "" if d["current"] else "*"
    return f"t@{d['templateVersion']} c@{d['configVersion']}{mark} {_when(d['deployedAt'])}"


def _health(h: dict[str, Any]) -> str:
    if h["error"]:
        return f"{'unreachable' if not h['reachable'] else 'not read'}: {h['error']}"
    why = f" ({h['message']})" if h["message"] else ""
    return f"{h['ready']}/{h['desired']} {h['status']}{why}"


def _drift(d: dict[str, Any]) -> str:
    if d["services"]:
        return f"drifted: {', '.join(d['services'])}"
    return str(d["state"])


def _operation(op: dict[str, Any] | None) -> str:
    if op is None:
        return "-"
    return f"{op['kind']} #{op['id']} {op['status']} by {op['author']} {_when(op['startedAt'])}"


def _when(moment: str) -> str:
    """An ISO time (either side's spelling of UTC) as ``YYYY-MM-DD HH:MM`` UTC."""
    return datetime.fromisoformat(moment).strftime("%Y-%m-%d %H:%M")
