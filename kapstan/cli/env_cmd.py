"""``kapstan env``: deploy targets (kubeconfig, context, namespace) with their own config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from kapstan.cli.backend import open_backend
from kapstan.cli.common import OutputOpt, author, when
from kapstan.cli.output import Format, print_data, print_rows
from kapstan.store import Environment

KubeconfigOpt = typer.Option(..., "--kubeconfig", help="Path of the kubeconfig file.")

app = typer.Typer(help="Environments: a cluster context and a namespace, with a config.")


@app.command()
def create(
    ctx: typer.Context,
    name: str,
    kubeconfig: Path = KubeconfigOpt,
    namespace: str = typer.Option(..., "--namespace", help="Namespace apps are deployed to."),
    context: str | None = typer.Option(None, "--context", help="Kubeconfig context."),
    config: str | None = typer.Option(None, "--config", help="The environment's config."),
) -> None:
    """Create environment NAME."""
    with open_backend(ctx) as backend:
        env = backend.environments.create(
            name, kubeconfig=kubeconfig, namespace=namespace, context=context, config=config
        )
    print(f"environment {env.name} created (namespace {env.namespace})")


@app.command()
def clone(ctx: typer.Context, source: str, new: str) -> None:
    """Copy environment SOURCE as NEW, with a config NEW copied from SOURCE's."""
    with open_backend(ctx) as backend:
        env = backend.environments.clone(source, new, author=author())
    tail = f" with config {env.config}" if env.config else ""
    print(f"environment {env.name} cloned from {source}{tail}")


@app.command()
def approval(
    ctx: typer.Context,
    name: str,
    required: bool = typer.Option(
        ...,
        "--required/--not-required",
        help="Whether deploys and promotions into NAME wait for a second user's approval.",
    ),
) -> None:
    """Make environment NAME require (or stop requiring) a second user's approval."""
    with open_backend(ctx) as backend:
        env = backend.environments.set_approval(name, required, author=author())
    state = "requires" if env.requires_approval else "does not require"
    print(f"environment {env.name} {state} approval for deploys and promotions")


@app.command("list")
def list_(ctx: typer.Context, output: Format = OutputOpt) -> None:
    """Every environment."""
    with open_backend(ctx) as backend:
        envs = backend.environments.list()
    records = [_record(e) for e in envs]
    columns = ("name", "namespace", "context", "config", "kubeconfig")
    rows = [tuple(r[c] for c in columns) for r in records]
    print_rows(columns, rows, output, records)


@app.command()
def show(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """An environment, its config's latest version and its applications."""
    with open_backend(ctx) as backend:
        details = backend.environments.details(name)
    record = _record(details.environment)
    record["configVersion"] = details.config.version if details.config else None
    record["applications"] = [a.name for a in details.applications]
    text = "\n".join(f"{k}: {'-' if v is None else v}" for k, v in _flat(record).items())
    print_data(record, output, text)


def _record(env: Environment) -> dict[str, Any]:
    return {
        "name": env.name,
        "namespace": env.namespace,
        "context": env.context,
        "config": env.config,
        "kubeconfig": env.kubeconfig,
        "requiresApproval": env.requires_approval,
        "created": when(env.created_at),
    }


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    return {k: ", ".join(v) or None if isinstance(v, list) else v for k, v in record.items()}
