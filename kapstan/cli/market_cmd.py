"""``kapstan market``: ready templates from catalogs: list, show, install (and deploy),
add and remove catalogs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

from kapstan.actions.configfiles import parse_assignments
from kapstan.actions.install import InstallResult
from kapstan.cli.backend import open_backend
from kapstan.cli.backend.market import CatalogsPort, LocalCatalogs
from kapstan.cli.backend.started import Approval, see_through
from kapstan.cli.common import OutputOpt, author, settings_of, timeout_option
from kapstan.cli.deploy_cmd import print_approval, reasons
from kapstan.cli.exitcodes import ExitCode
from kapstan.cli.output import Format, console, print_data, print_rows
from kapstan.engine.deploy import DeployOptions
from kapstan.market import catalog as market
from kapstan.market.catalogs import Catalog, MarketTemplate
from kapstan.model.operation import Operation, Step
from kapstan.model.template import ServiceSpec
from kapstan.model.values import display
from kapstan.plan.graphviews import format_text
from kapstan.render.variables import Variable

TemplateArg = typer.Argument(..., metavar="NAME", help="A template: NAME or CATALOG/NAME.")
SetOpt = typer.Option(
    [], "--set", metavar="KEY=VALUE", help="A config value (YAML scalar); repeat for more."
)

CatalogNamesArg = typer.Argument(..., metavar="NAME...", help="Registered catalogs.")

app = typer.Typer(help="The app market: ready templates, installed in one command.")


@app.command("list")
def list_(ctx: typer.Context, output: Format = OutputOpt) -> None:
    """Every template of every catalog (the built-in one is 'kapstan').

    With --server: the server's catalogs, the ones `market install` uses there.
    """
    server = settings_of(ctx).server
    if server:
        with open_backend(ctx) as backend:
            entries = backend.market.list()
    else:
        entries = market.list_templates()
    records = [_entry_record(t) for t in entries]
    rows = [(t.catalog, t.name, t.description) for t in entries]
    print_rows(("catalog", "name", "description"), rows, output, records)


@app.command()
def show(name: str = TemplateArg, output: Format = OutputOpt) -> None:
    """A template's services, dependency waves and config keys with their defaults."""
    info = market.show_template(name)
    secrets = set(info.entry.secrets)
    data = {
        **_entry_record(info.entry),
        "services": [_service_record(s) for s in info.template.services.values()],
        "keys": [_key_record(v, secrets) for v in info.variables],
    }
    print_data(data, output, format_show(info) if output is Format.table else None)


def format_show(info: market.TemplateInfo) -> str:
    secrets = set(info.entry.secrets)
    width = max((len(v.key) for v in info.variables), default=0)
    keys = [f"  {v.key.ljust(width)}  {_default(v, secrets)}" for v in info.variables]
    return "\n".join(
        [
            f"{info.entry.qualified}: {info.entry.description}",
            "",
            format_text(info.graph).rstrip("\n"),
            "",
            f"config keys ({len(info.variables)}):",
            *keys,
            "",
            f"install: kapstan market install {info.entry.name} --env ENV [--app NAME] [--deploy]",
        ]
    )


@app.command()
def install(
    ctx: typer.Context,
    name: str = TemplateArg,
    env: str = typer.Option(..., "--env", "-e", help="The environment to install into."),
    app_name: str | None = typer.Option(
        None, "--app", "-a", help="Application name (default: the template's name)."
    ),
    pairs: list[str] = SetOpt,
    deploy: bool = typer.Option(False, "--deploy", help="Deploy it right away."),
    timeout: float = timeout_option("10m", "each service to be ready (with --deploy)"),
    output: Format = OutputOpt,
) -> None:
    """Import the template, make the app's config from its defaults, create the app."""
    values = parse_assignments(pairs)
    with open_backend(ctx) as backend:
        result = backend.market.install(name, env=env, app=app_name, author=author(), values=values)
        if not deploy:
            hint = f"deploy it with: kapstan app deploy {result.application.name} --yes"
            print_data(install_record(result), output, f"{format_install(result)}\n{hint}")
            return
        if output is Format.table:
            print(format_install(result))
        started = backend.deploys.deploy(
            result.application.name,
            services=[],
            options=DeployOptions(timeout=timeout, message=f"market install of {name}"),
            author=author(),
        )
        op = see_through(started, _progress if output is Format.table else None)
        if isinstance(op, Approval):
            print_approval(op, output)
    if output is Format.table:
        print(format_deploy(op))
    else:  # one document: what was made, then how its deploy ended
        print_data({**install_record(result), "operation": _operation_summary(op)}, output)
    if op.status is not Step.SUCCEEDED:
        raise typer.Exit(ExitCode.FAILED)


def _progress(service: str, resource: str, status: str, message: str) -> None:
    where = service or "(app)"
    what = f" {resource}" if resource else ""
    console(stderr=True).print(
        f"  {where:<14} {status:<11}{what}  {message}", markup=False, highlight=False
    )


def format_install(result: InstallResult) -> str:
    t, c, a = result.template, result.config, result.application
    generated = (
        f"; random secrets generated for {', '.join(result.generated)}" if result.generated else ""
    )
    config = (
        f"config {c.name}: version {c.version} saved{generated}"
        if result.config_created
        else f"config {c.name}: version {c.version} reused (exists already)"
    )
    template = (
        f"template {t.name}: version {t.version} saved (from catalog {result.entry.catalog})"
        if result.template_created
        else f"template {t.name}: unchanged, still version {t.version}"
    )
    env = result.environment
    return "\n".join(
        [
            template,
            config,
            f"application {a.name}: created in environment {env.name} (namespace {env.namespace})",
        ]
    )


def install_record(result: InstallResult) -> dict[str, Any]:
    t, c, a = result.template, result.config, result.application
    return {
        "template": {
            "name": t.name,
            "version": t.version,
            "saved": result.template_created,
            "catalog": result.entry.catalog,
        },
        "config": {
            "name": c.name,
            "version": c.version,
            "saved": result.config_created,
            "generated": list(result.generated),
        },
        "application": {
            "name": a.name,
            "environment": result.environment.name,
            "namespace": result.environment.namespace,
        },
    }


def _operation_summary(op: Operation) -> dict[str, Any]:
    return {
        "id": op.id,
        "status": op.status.value,
        "message": op.message,
        "services": [
            {"service": s.service, "step": s.step.value, "message": s.message} for s in op.services
        ],
    }


def format_deploy(op: Operation) -> str:
    width = max((len(s.service) for s in op.services), default=0)
    lines = [f"operation {op.id} ({op.kind}) {op.status.value}: {op.message}"]
    for s in op.services:
        lines.append(f"  {s.service.ljust(width)}  {s.step.value:<10} {s.message}".rstrip())
        lines.extend(f"      {line}" for line in reasons(op, s.service))
    return "\n".join(lines)


@app.command()
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A name for the catalog."),
    source: str = typer.Argument(..., metavar="PATH|GIT_URL", help="A directory or a git URL."),
    output: Format = OutputOpt,
) -> None:
    """Register a directory of templates, or clone a git repository (helm repo add).

    With --server: on the server's machine, for its `market install` (administrators only).
    """
    with _catalogs(ctx) as where:
        catalog, count = where.add_catalog(name, source)
    text = f"catalog {catalog.name}: {count} template{'s' * (count != 1)} from {catalog.source}"
    print_data({**_catalog_record(catalog), "templates": count}, output, text)


@app.command()
def remove(
    ctx: typer.Context,
    names: list[str] = CatalogNamesArg,
    output: Format = OutputOpt,
) -> None:
    """Forget catalogs: a clone is deleted, a directory left alone (helm repo remove).

    With --server: the server's catalogs (administrators only).
    """
    removed: list[dict[str, Any]] = []
    with _catalogs(ctx) as where:
        for name in names:
            catalog = where.remove_catalog(name)
            removed.append({"kind": "catalog", **_catalog_record(catalog)})
            if output is Format.table:  # each as it goes: a later name may be refused
                print(f"catalog {catalog.name} removed ({catalog.source})")
    if output is not Format.table:
        print_data({"removed": removed}, output)


@app.command()
def catalogs(ctx: typer.Context, output: Format = OutputOpt) -> None:
    """The catalogs: the built-in one and those added (helm repo list).

    With --server: the server's catalogs, the ones `market install` uses there.
    """
    with _catalogs(ctx) as where:
        found = where.catalogs()
    records = [_catalog_record(c) for c in found]
    rows = [(c.name, c.source, str(c.path)) for c in found]
    print_rows(("name", "source", "path"), rows, output, records)


# `kapstan market repo add|list|remove`: helm's spelling of the three above.
repo_app = typer.Typer(help="Catalogs, as helm repo add|list|remove: market add|catalogs|remove.")
repo_app.command("add")(add)
repo_app.command("list")(catalogs)
repo_app.command("remove")(remove)
repo_app.command("rm", hidden=True)(remove)
app.add_typer(repo_app, name="repo")


@contextmanager
def _catalogs(ctx: typer.Context) -> Iterator[CatalogsPort]:
    """The server's catalogs with --server; else this machine's (no store opened)."""
    if settings_of(ctx).server:
        with open_backend(ctx) as backend:
            yield backend.market
        return
    yield LocalCatalogs()


def _entry_record(t: MarketTemplate) -> dict[str, Any]:
    return {"catalog": t.catalog, "name": t.name, "description": t.description}


def _catalog_record(c: Catalog) -> dict[str, Any]:
    return {"name": c.name, "source": c.source, "path": str(c.path)}


def _service_record(s: ServiceSpec) -> dict[str, Any]:
    kinds = sorted({d.kind for d in s.documents})
    return {
        "name": s.name,
        "kinds": kinds,
        "dependsOn": list(s.depends_on),
        "calls": list(s.calls),
        "autoscaled": s.settings.autoscaling is not None,
        "exposed": s.settings.expose is not None,
    }


def _key_record(v: Variable, secrets: set[str]) -> dict[str, Any]:
    return {
        "key": v.key,
        "default": None if v.key in secrets else v.default,
        "secret": v.key in secrets,
        "required": not v.has_default and v.key not in secrets,
        "services": list(v.services),
    }


def _default(v: Variable, secrets: set[str]) -> str:
    if v.key in secrets:
        return "(secret: generated at install)"
    if not v.has_default:
        return "(required)"
    text = display(v.default) if v.default != "" else '""'
    lines = text.splitlines()
    return f"{lines[0]} ... ({len(lines)} lines)" if len(lines) > 1 else text
