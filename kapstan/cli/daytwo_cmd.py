"""``kapstan app events|logs|top``: a deployed application read live, on ``app_cmd.app``."""

from __future__ import annotations

import math
import sys
from contextlib import closing
from typing import Any

import typer

from kapstan.cli.app_cmd import app
from kapstan.cli.backend import open_backend
from kapstan.cli.common import OutputOpt, seconds
from kapstan.cli.exitcodes import ExitCode
from kapstan.cli.output import Format, print_rows

ServicesOpt = typer.Option([], "-s", "--service", help="Only this service (repeatable).")


@app.command()
def events(
    ctx: typer.Context, name: str, services: list[str] = ServicesOpt, output: Format = OutputOpt
) -> None:
    """Events of the app's objects and pods: Warning first, newest first."""
    with open_backend(ctx) as backend:
        found = backend.daytwo.events(name, services)
    if not found and output is Format.table:
        print(f"{name}: no events (the cluster keeps them about an hour)")
        return
    columns = ("type", "reason", "service", "object", "count", "last seen", "message")
    rows = [(e.type, e.reason, e.service, e.object, e.count, e.when, e.message) for e in found]
    records = [
        {
            "type": e.type,
            "reason": e.reason,
            "service": e.service,
            "object": e.object,
            "count": e.count,
            "lastSeen": e.when,
            "message": e.message,
        }
        for e in found
    ]
    print_rows(columns, rows, output, records)


@app.command()
def logs(
    ctx: typer.Context,
    name: str,
    services: list[str] = ServicesOpt,
    follow: bool = typer.Option(
        False, "-f", "--follow", help="Keep printing new lines, and those of new pods (Ctrl-C)."
    ),
    since: float | None = typer.Option(
        None,
        "--since",
        parser=seconds,
        metavar="DURATION",
        help="Only lines newer than this: 90s, 10m, 1h30m, or plain seconds.",
    ),
    tail: int | None = typer.Option(
        None,
        "--tail",
        min=0,
        help="Last lines per container (default: all, at most 10000; 10 with --follow).",
    ),
    previous: bool = typer.Option(
        False, "--previous", help="The log of each container's previous (terminated) run."
    ),
    timestamps: bool = typer.Option(False, "--timestamps", help="Show each line's timestamp."),
    follow_for: float = typer.Option(
        "1h",
        "--follow-for",
        parser=seconds,
        metavar="DURATION",
        help="Stop following after this long: 90s, 10m, 1h30m, or plain seconds.",
    ),
) -> None:
    """Logs of every pod of the app's services, merged by time, each line prefixed with
    its service and pod (and container, when the pod has several)."""
    from kapstan.actions.podlogs import LogLine, LogQuery

    query = LogQuery(
        services=tuple(services),
        follow=follow,
        since_seconds=math.ceil(since) if since else None,
        tail=tail,
        previous=previous,
        follow_for=follow_for,
    )
    with open_backend(ctx) as backend, closing(backend.daytwo.logs(name, query)) as items:
        try:
            for item in items:
                if isinstance(item, LogLine):
                    stamp = f"{item.time} " if timestamps and item.time else ""
                    print(f"[{item.source}] {stamp}{item.text}", flush=follow)
                else:  # about the logs, not a line of them: kept out of a pipe's input
                    where = "/".join(p for p in (item.service, item.pod, item.container) if p)
                    print(
                        f"kapstan: {where}: {item.message}"
                        if where
                        else f"kapstan: {item.message}",
                        file=sys.stderr,
                    )
        except KeyboardInterrupt:
            raise typer.Exit(ExitCode.INTERRUPTED) from None


@app.command()
def top(
    ctx: typer.Context, name: str, services: list[str] = ServicesOpt, output: Format = OutputOpt
) -> None:
    """CPU and memory per service and pod, now, from the cluster's metrics API."""
    from kapstan.model.quantities import format_cpu, format_memory

    with open_backend(ctx) as backend:
        found = backend.daytwo.usage(name, services)
    rows: list[tuple[Any, ...]] = []
    records: list[dict[str, Any]] = []
    for s in found:
        rows.append((s.service, "", format_cpu(s.cpu_millicores), format_memory(s.memory_bytes)))
        for p in s.pods:
            cpu = format_cpu(p.cpu_millicores) if p.cpu_millicores is not None else "-"
            memory = format_memory(p.memory_bytes) if p.memory_bytes is not None else "-"
            rows.append(("", p.pod, cpu, memory))  # "-": the metrics API has no figure yet
        records.append(
            {
                "service": s.service,
                "cpuMillicores": s.cpu_millicores,
                "memoryBytes": s.memory_bytes,
                "pods": [
                    {
                        "pod": p.pod,
                        "cpuMillicores": p.cpu_millicores,
                        "memoryBytes": p.memory_bytes,
                        "window": p.window,
                    }
                    for p in s.pods
                ],
            }
        )
    print_rows(("service", "pod", "cpu", "memory"), rows, output, records)
