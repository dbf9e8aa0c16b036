"""``kapstan app render|services|graph|history|diff``: read-only views, on ``app_cmd.app``."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer

from kapstan.cli.app_cmd import app
from kapstan.cli.backend import open_backend
from kapstan.cli.common import ExitCodeOpt, OutputOpt, iso, joined
from kapstan.cli.exitcodes import ExitCode
from kapstan.cli.output import Format, format_data, print_data, print_rows
from kapstan.store import Revision

# The formatters are imported by the view that uses them: the `app` group is loaded whole
# for any `kapstan app ...` (tests/cli/test_startup.py).
if TYPE_CHECKING:
    from kapstan.plan.diffs import ResourceChange


class GraphFormat(StrEnum):
    text = "text"
    dot = "dot"
    mermaid = "mermaid"
    json = "json"
    yaml = "yaml"


GraphOutputOpt = typer.Option(GraphFormat.text, "-o", "--output", help="Output format.")
ServicesOpt = typer.Option([], "-s", "--service", help="Only this service (repeatable).")


@app.command()
def render(
    ctx: typer.Context,
    name: str,
    services: list[str] = ServicesOpt,
    output: Format = OutputOpt,
) -> None:
    """The rendered manifests (YAML; Secret values shown as <redacted>)."""
    from kapstan.render.hashing import objects_yaml
    from kapstan.render.redaction import redact_objects

    with open_backend(ctx) as backend:
        rendered = backend.apps.render(name, services)
    if output is Format.table:
        parts = [f"# service: {s.name}  {s.hash}\n{objects_yaml(s.objects)}" for s in rendered]
        print("---\n".join(parts), end="")
        return
    data = [
        {"service": s.name, "hash": s.hash, "objects": redact_objects(s.objects)} for s in rendered
    ]
    print(format_data(data, output))


@app.command()
def services(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """Each service: workload kinds, dependsOn, calls, content hash, latest revision."""
    with open_backend(ctx) as backend:
        found = backend.apps.services(name)
    records = [
        {
            "service": s.name,
            "kinds": list(s.kinds),
            "dependsOn": list(s.depends_on),
            "calls": list(s.calls),
            "hash": s.hash,
            "revision": s.latest_revision.number if s.latest_revision else None,
        }
        for s in found
    ]
    rows = [
        (
            s.name,
            joined(s.kinds),
            joined(s.depends_on),
            joined(s.calls),
            s.hash[:19],
            s.latest_revision.number if s.latest_revision else "-",
        )
        for s in found
    ]
    print_rows(
        ("service", "kinds", "dependsOn", "calls", "hash", "revision"), rows, output, records
    )


@app.command()
def graph(
    ctx: typer.Context,
    name: str,
    output: GraphFormat = GraphOutputOpt,
) -> None:
    """The dependency graph: waves as text, Graphviz DOT, Mermaid, or JSON/YAML."""
    from kapstan.plan.graph import waves
    from kapstan.plan.graphviews import format_dot, format_mermaid, format_text

    with open_backend(ctx) as backend:
        found = backend.apps.graph(name)
    if output in (GraphFormat.json, GraphFormat.yaml):
        data = {
            "app": found.name,
            "services": [
                {"name": s, "dependsOn": list(found.depends_on[s]), "calls": list(found.calls[s])}
                for s in found.services
            ],
            "waves": waves(found),
        }
        print(format_data(data, Format(output.value)))
        return
    formatter = {"text": format_text, "dot": format_dot, "mermaid": format_mermaid}[output.value]
    print(formatter(found), end="")


@app.command()
def history(
    ctx: typer.Context,
    name: str,
    service: str | None = typer.Option(None, "-s", "--service", help="Only this service."),
    deleted: bool = typer.Option(
        False, "--deleted", help="Of the last deleted application of that name."
    ),
    output: Format = OutputOpt,
) -> None:
    """Revisions (deploys) of each service."""
    from kapstan.actions.apphistory import rollback_targets

    with open_backend(ctx) as backend:
        revisions = (
            backend.deletes.history(name, service)
            if deleted
            else backend.apps.history(name, service)
        )
    if not revisions and output is Format.table:
        print(f"{name}: no revisions yet (nothing deployed)")
        return
    back = rollback_targets(revisions)
    records = [
        {**_revision_record(r), "rollbackTo": back.get((r.service, r.number))} for r in revisions
    ]
    columns = (
        "service",
        "revision",
        "status",
        "template",
        "config",
        "hash",
        "author",
        "created",
        "rollback",
        "message",
    )
    rows = [
        (
            *(r[c] for c in columns[:5]),
            r["hash"][:19],
            r["author"],
            r["created"],
            "-" if r["rollbackTo"] is None else f"to {r['rollbackTo']}",
            r["message"] or "-",
        )
        for r in records
    ]
    print_rows(columns, rows, output, records)


@app.command()
def diff(
    ctx: typer.Context,
    name: str,
    old: int = typer.Argument(..., metavar="REV1"),
    new: int = typer.Argument(..., metavar="REV2"),
    service: str = typer.Option(..., "-s", "--service", help="The service."),
    structured: bool = typer.Option(False, "--structured", help="Per-resource, per-field."),
    show_managed: bool = typer.Option(
        False,
        "--show-managed",
        help="Also Kapstan's own kapstan.io/* labels and annotations (revision, versions, "
        "checksums), which change on every deploy.",
    ),
    output: Format = OutputOpt,
    exit_code: bool = ExitCodeOpt,
) -> None:
    """What changed between two revisions of one service (unified diff by default)."""
    from kapstan.plan.diffs import format_structured

    with open_backend(ctx) as backend:
        found = backend.apps.diff(name, service, old, new, managed=show_managed)
    text = format_structured(found.structured) if structured else found.unified
    data = {
        "old": _revision_record(found.old),
        "new": _revision_record(found.new),
        "unified": found.unified,
        "structured": [_resource_record(c) for c in found.structured],
    }
    print_data(data, output, text.rstrip("\n") or "no differences")
    if exit_code and (found.unified.strip() or found.structured):
        raise typer.Exit(ExitCode.CHANGES)


def _revision_record(r: Revision) -> dict[str, Any]:
    return {
        "service": r.service,
        "revision": r.number,
        "status": r.status,
        "template": f"{r.template}@{r.template_version}",
        "config": f"{r.config}@{r.config_version}",
        "hash": r.hash,
        "author": r.author,
        "created": iso(r.created_at),
        "message": r.message,
    }


def _resource_record(c: ResourceChange) -> dict[str, Any]:
    return {
        "resource": str(c.key),
        "action": c.action,
        "fields": [{"path": f.path, "old": f.old, "new": f.new} for f in c.fields],
    }


__all__ = ["app"]
