"""``kapstan template``: import a directory as a version, list, show, variables, export."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kapstan.actions.refs import parse_ref
from kapstan.cli.backend import open_backend
from kapstan.cli.common import MessageOpt, OutputOpt, author, iso, joined, when
from kapstan.cli.output import Format, print_data, print_rows
from kapstan.model.values import display
from kapstan.store import TemplateVersion

if TYPE_CHECKING:
    from kapstan.model.template import ServiceSpec
    from kapstan.render.variables import Variable

SourceDirArg = typer.Argument(..., help="Template directory (holds kapstan.yaml).")
TargetDirArg = typer.Argument(..., help="A new or empty directory.")

app = typer.Typer(help="Templates: services as plain manifests with ${key} placeholders.")


@app.command("import")
def import_(
    ctx: typer.Context,
    directory: Path = SourceDirArg,
    name: str | None = typer.Option(
        None, "--name", help="Expected name: refused unless kapstan.yaml says the same."
    ),
    message: str = MessageOpt,
    output: Format = OutputOpt,
) -> None:
    """Save DIRECTORY as a new immutable version (nothing if its content is unchanged)."""
    with open_backend(ctx) as backend:
        result = backend.templates.import_dir(
            directory, author=author(), name=name, message=message
        )
    print_saved(result.version, result.created, output)


def print_saved(v: TemplateVersion, created: bool, output: Format) -> None:
    """A template version a write made (or found unchanged), for people or programs."""
    text = (
        f"template {v.name}: version {v.version} saved"
        if created
        else f"template {v.name}: unchanged, still version {v.version}"
    )
    print_data({**_version_record(v), "saved": created}, output, text)


@app.command("list")
def list_(ctx: typer.Context, output: Format = OutputOpt) -> None:
    """Every template with its latest version."""
    with open_backend(ctx) as backend:
        versions = backend.templates.list()
    _print_versions(versions, output, ("name", "version", "author", "created", "message"))


@app.command()
def history(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """Every version of template NAME, oldest first."""
    with open_backend(ctx) as backend:
        versions = backend.templates.history(name)
    _print_versions(versions, output, ("version", "digest", "author", "created", "message"))


@app.command()
def show(
    ctx: typer.Context,
    template: str = typer.Argument(..., metavar="NAME[@VERSION]"),
    output: Format = OutputOpt,
) -> None:
    """A version's services (manifests, dependsOn, calls, env, files) and files."""
    ref = parse_ref(template, "template")
    with open_backend(ctx) as backend:
        details = backend.templates.load(ref)
    v = details.version
    services = [_service_record(s) for s in details.template.services.values()]
    data = {**_version_record(v), "services": services, "files": sorted(v.files)}
    rows = [
        (
            s.name,
            joined(s.manifests),
            joined(s.depends_on),
            joined(s.calls),
            joined(s.delivered_keys),
        )
        for s in details.template.services.values()
    ]
    if output is not Format.table:
        print_data(data, output)
        return
    print(f"template {v.name} version {v.version}  ({v.author}, {when(v.created_at)})")
    print_rows(("service", "manifests", "dependsOn", "calls", "env/files keys"), rows, output)
    print("files: " + ", ".join(sorted(v.files)))


@app.command("vars")
def vars_(
    ctx: typer.Context,
    template: str = typer.Argument(..., metavar="NAME[@VERSION]"),
    output: Format = OutputOpt,
) -> None:
    """Every key: its default, the services and the file:line that use it."""
    ref = parse_ref(template, "template")
    with open_backend(ctx) as backend:
        found = backend.templates.variables(ref)
    rows = [
        (
            v.key,
            _default(v),
            joined(v.services),
            joined([f"{u.file}:{u.line}" for u in v.uses]),
        )
        for v in found.variables
    ]
    records = [_variable_record(v) for v in found.variables]
    print_rows(("key", "default", "services", "used at"), rows, output, records)


@app.command()
def export(
    ctx: typer.Context,
    template: str = typer.Argument(..., metavar="NAME[@VERSION]"),
    directory: Path = TargetDirArg,
    output: Format = OutputOpt,
) -> None:
    """Write a version's files into DIRECTORY (import it again: unchanged)."""
    ref = parse_ref(template, "template")
    with open_backend(ctx) as backend:
        v = backend.templates.export(ref, directory)
    text = f"template {v.name} version {v.version}: {len(v.files)} files written to {directory}"
    record = {**_version_record(v), "directory": str(directory), "files": sorted(v.files)}
    print_data(record, output, text)


def _print_versions(
    versions: list[TemplateVersion], output: Format, columns: tuple[str, ...]
) -> None:
    records = [_version_record(v) for v in versions]
    rows = [tuple(r[c] for c in columns) for r in records]
    print_rows(columns, rows, output, records)


def _version_record(v: TemplateVersion) -> dict[str, Any]:
    return {
        "name": v.name,
        "version": v.version,
        "digest": v.digest[:12],
        "author": v.author,
        "created": iso(v.created_at),
        "message": v.message,
    }


def _service_record(s: ServiceSpec) -> dict[str, Any]:
    return {
        "name": s.name,
        "manifests": list(s.manifests),
        "dependsOn": list(s.depends_on),
        "calls": list(s.calls),
        "env": [{"key": b.key, "name": b.name} for b in s.env],
        "files": [{"name": b.name, "key": b.key} for b in s.files],
    }


def _default(v: Variable) -> str:
    return display(v.default) if v.has_default else "(required)"


def _variable_record(v: Variable) -> dict[str, Any]:
    return {
        "key": v.key,
        "required": not v.has_default,
        "default": v.default,
        "services": list(v.services),
        "uses": [
            {"file": u.file, "line": u.line, "service": u.service, "field": u.field} for u in v.uses
        ],
    }
