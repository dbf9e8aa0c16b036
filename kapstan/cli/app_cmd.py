"""``kapstan app``: create, list, show, changes and update. Read views: ``appviews_cmd``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from kapstan.actions.refs import parse_ref
from kapstan.cli.appgroup import AppGroup
from kapstan.cli.backend import open_backend
from kapstan.cli.common import OutputOpt, author, iso
from kapstan.cli.output import Format, print_data, print_rows
from kapstan.store import Application

# Imported where used: `app list` loads neither the actions nor the API's schemas
# (tests/cli/test_startup.py).
if TYPE_CHECKING:
    from kapstan.actions.changes import AppChanges

# The other modules' commands are mounted as they run (kapstan.cli.appgroup).
app = typer.Typer(
    help="Applications: a template version in an environment with a config.", cls=AppGroup
)

TemplateVersionOpt = typer.Option(
    None, "--template-version", min=1, help="Template version (default: the latest)."
)
ConfigVersionOpt = typer.Option(
    None, "--config-version", min=1, help="Config version (default: the latest)."
)


@app.command()
def create(
    ctx: typer.Context,
    name: str,
    template: str = typer.Option(..., "--template", metavar="NAME[@VERSION]"),
    env: str = typer.Option(..., "--env", "-e", help="Environment to deploy into."),
    config: str | None = typer.Option(
        None, "--config", metavar="NAME[@VERSION]", help="Default: the environment's config."
    ),
    output: Format = OutputOpt,
) -> None:
    """Create app NAME; it is checked by rendering before anything is saved."""
    template_ref = parse_ref(template, "template")
    config_ref = parse_ref(config, "config") if config is not None else None
    with open_backend(ctx) as backend:
        created = backend.apps.create(
            name, template=template_ref, environment=env, config=config_ref, author=author()
        )
    text = (
        f"application {created.name} created: template {created.template}@{created.template_version}, "
        f"config {_record(created)['config']}, environment {created.environment}"
    )
    print_data(_record(created), output, text)


@app.command("list")
def list_(ctx: typer.Context, output: Format = OutputOpt) -> None:
    """Every application."""
    with open_backend(ctx) as backend:
        apps = backend.apps.list()
    records = [_record(a) for a in apps]
    columns = ("name", "template", "config", "environment", "updated")
    rows = [tuple(r[c] for c in columns) for r in records]
    print_rows(columns, rows, output, records)


@app.command()
def show(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """An application: its versions, environment, namespace and services."""
    with open_backend(ctx) as backend:
        details = backend.apps.details(name)
    record = _record(details.application)
    record["config"] = f"{details.application.config}@{details.config_version}"
    record["namespace"] = details.environment.namespace
    record["services"] = list(details.services)
    text = "\n".join(
        f"{k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in record.items()
    )
    print_data(record, output, text)


@app.command()
def changes(
    ctx: typer.Context,
    name: str,
    template_version: int | None = TemplateVersionOpt,
    config_version: int | None = ConfigVersionOpt,
    output: Format = OutputOpt,
) -> None:
    """Which services' output changes at other versions, and why (keys, files). No cluster."""
    with open_backend(ctx) as backend:
        found = backend.apps.changes(
            name, template_version=template_version, config_version=config_version
        )
    print_data(changes_record(found), output, format_changes(found))


@app.command()
def update(
    ctx: typer.Context,
    name: str,
    template_version: int | None = TemplateVersionOpt,
    config_version: int | None = ConfigVersionOpt,
    output: Format = OutputOpt,
) -> None:
    """Point app NAME at other versions (default: the latest); deploys nothing."""
    with open_backend(ctx) as backend:
        result = backend.apps.update(
            name,
            template_version=template_version,
            config_version=config_version,
            author=author(),
        )
    a = result.application
    text = (
        f"{format_changes(result.changes)}\napplication {a.name} now uses template "
        f"{a.template}@{a.template_version}, config {_record(a)['config']}"
    )
    print_data({**_record(a), "changes": changes_record(result.changes)}, output, text)


def format_changes(found: AppChanges) -> str:
    head = (
        f"{found.app}: template {found.template}@{found.from_template} -> @{found.to_template}, "
        f"config {found.config}@{found.from_config} -> @{found.to_config}"
    )
    if not found.changes:
        return f"{head}\nno service changes"
    return "\n".join([head, *(f"  {c.describe()}" for c in found.changes)])


def changes_record(found: AppChanges) -> dict[str, Any]:
    return {
        "app": found.app,
        "template": {"name": found.template, "from": found.from_template, "to": found.to_template},
        "config": {"name": found.config, "from": found.from_config, "to": found.to_config},
        "changes": [
            {
                "service": c.service,
                "kind": c.kind,
                "keys": list(c.keys),
                "files": list(c.files),
                "notes": list(c.notes),
                "oldHash": c.old_hash,
                "newHash": c.new_hash,
            }
            for c in found.changes
        ],
    }


def _record(a: Application) -> dict[str, Any]:
    config = a.config if a.config_version is None else f"{a.config}@{a.config_version}"
    return {
        "name": a.name,
        "template": f"{a.template}@{a.template_version}",
        "config": config,
        "environment": a.environment,
        "created": iso(a.created_at),
        "updated": iso(a.updated_at),
    }


@app.command()
def webhook(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """A new CI webhook secret for app NAME, shown once (on a server; it replaces the old one)."""
    from kapstan import schemas
    from kapstan.client import decode
    from kapstan.client.http import path
    from kapstan.schemas.hooks import HOW_TO_SIGN

    with open_backend(ctx) as backend:
        client = backend.api("app webhook")
        made = decode.parse(
            schemas.WebhookSecretOut, client.post(path("applications", name, "webhook"))
        )
        url = f"{client.base_url}{path('hooks', name)}"
    how = (
        f'POST {url} with a JSON body {{"set": {{KEY: VALUE}}}} and the headers '
        "X-Kapstan-Timestamp (Unix seconds), X-Kapstan-Nonce (unique) and "
        f"{HOW_TO_SIGN}, path being {path('hooks', name)}"
    )
    # The secret goes to stdout once, in whichever format, and nowhere else (no log line).
    text = (
        f"webhook secret for {made.app} (config version {made.config_version}; shown once):\n"
        f"{made.secret}\n{how}"
    )
    record = {
        "app": made.app,
        "configVersion": made.config_version,
        "secret": made.secret,
        "url": url,
        "howToSign": how,
    }
    print_data(record, output, text)
