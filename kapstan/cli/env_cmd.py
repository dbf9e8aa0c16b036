"""``kapstan env``: deploy targets (kubeconfig, context, namespace) with their own config.

The environment ports and actions (the store, the Kubernetes client) are imported by the
commands that use them: ``delete_cmd`` imports this module for any ``kapstan app ...``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from kapstan.cli import logs_cmd, quota_cmd
from kapstan.cli.backend import open_backend
from kapstan.cli.common import OutputOpt, author, iso
from kapstan.cli.output import Format, print_data, print_rows
from kapstan.errors import InputError
from kapstan.store import Environment

KubeconfigOpt = typer.Option(
    None,
    "--kubeconfig",
    help="Path of the kubeconfig file (registered as a cluster when the store has a key).",
)
ClusterOpt = typer.Option(
    None, "--cluster", help="A registered cluster (`kapstan cluster add`) instead of --kubeconfig."
)
SHARED_HELP = (
    "Other environments may use the same cluster and namespace (each must be shared); "
    "Kapstan then never creates the namespace."
)
AllowNamespaceOpt = typer.Option(
    [], "--allow-namespace", help="Let deploys write into this namespace too (repeatable)."
)
AllowKindOpt = typer.Option(
    [],
    "--allow-kind",
    help='Let deploys write this cluster-scoped kind: "Kind" or "group/Kind" (repeatable).',
)
CloneKubeconfigOpt = typer.Option(
    None, "--kubeconfig", help="The clone's kubeconfig (default: SOURCE's)."
)
RemoveNamespaceOpt = typer.Option(
    [], "--remove-namespace", help="Stop allowing this namespace (repeatable)."
)
RemoveKindOpt = typer.Option(
    [], "--remove-kind", help="Stop allowing this cluster-scoped kind (repeatable)."
)
ImpersonateOpt = typer.Option(
    None,
    "--impersonate",
    help="Make every request as this user or system:serviceaccount:NAMESPACE:NAME.",
)

app = typer.Typer(help="Environments: a cluster context and a namespace, with a config.")
app.add_typer(quota_cmd.app, name="quota")
app.add_typer(logs_cmd.app, name="logs")


@app.command()
def create(
    ctx: typer.Context,
    name: str,
    kubeconfig: Path | None = KubeconfigOpt,
    cluster: str | None = ClusterOpt,
    namespace: str = typer.Option(..., "--namespace", "-n", help="Namespace apps are deployed to."),
    context: str | None = typer.Option(None, "--context", help="Kubeconfig context."),
    config: str | None = typer.Option(None, "--config", help="The environment's config."),
    shared: bool = typer.Option(False, "--shared", help=SHARED_HELP),
    allow_namespace: list[str] = AllowNamespaceOpt,
    allow_kind: list[str] = AllowKindOpt,
    impersonate: str | None = ImpersonateOpt,
    output: Format = OutputOpt,
) -> None:
    """Create environment NAME."""
    from kapstan.actions.environments import check_boundary_input
    from kapstan.cli.backend.environments import BoundaryChange

    check_boundary_input(allow_namespace, allow_kind, impersonate)  # before anything is made
    with open_backend(ctx) as backend:
        env = backend.environments.create(
            name,
            kubeconfig=kubeconfig,
            namespace=namespace,
            context=context,
            config=config,
            shared=shared,
            cluster=cluster,
        )
        if allow_namespace or allow_kind or impersonate:
            change = BoundaryChange(
                allow_namespaces=tuple(allow_namespace),
                allow_kinds=tuple(allow_kind),
                impersonate=impersonate,
            )
            env = backend.environments.set_boundary(name, change, author=author())
    text = f"environment {env.name} created (namespace {env.namespace})"
    print_data(_record(env), output, text)


@app.command()
def clone(
    ctx: typer.Context,
    source: str,
    new: str,
    namespace: str | None = typer.Option(
        None, "--namespace", "-n", help="The clone's namespace (default: SOURCE's)."
    ),
    kubeconfig: Path | None = CloneKubeconfigOpt,
    context: str | None = typer.Option(
        None, "--context", help="The clone's kubeconfig context (default: SOURCE's)."
    ),
    shared: bool | None = typer.Option(
        None, "--shared/--not-shared", help=SHARED_HELP + " Default: as SOURCE."
    ),
    output: Format = OutputOpt,
) -> None:
    """Copy environment SOURCE as NEW, with a config NEW copied from SOURCE's.

    NEW must go to another namespace or cluster than SOURCE (--namespace, --kubeconfig,
    --context) unless both are shared.
    """
    from kapstan.cli.backend.environments import Place

    place = Place(namespace=namespace, kubeconfig=kubeconfig, context=context, shared=shared)
    with open_backend(ctx) as backend:
        env = backend.environments.clone(source, new, author=author(), place=place)
    tail = f" with config {env.config}" if env.config else ""
    text = f"environment {env.name} cloned from {source} (namespace {env.namespace}){tail}"
    print_data(_record(env), output, text)


@app.command("set")
def set_(
    ctx: typer.Context,
    name: str,
    allow_namespace: list[str] = AllowNamespaceOpt,
    remove_namespace: list[str] = RemoveNamespaceOpt,
    allow_kind: list[str] = AllowKindOpt,
    remove_kind: list[str] = RemoveKindOpt,
    impersonate: str | None = ImpersonateOpt,
    no_impersonate: bool = typer.Option(
        False, "--no-impersonate", help="Stop impersonating: use the kubeconfig's own user."
    ),
    shared: bool | None = typer.Option(None, "--shared/--not-shared", help=SHARED_HELP),
    output: Format = OutputOpt,
) -> None:
    """Change environment NAME's tenancy boundary (admins; audited).

    Deploys write namespaced objects into NAME's namespace only, and no cluster-scoped
    object, unless allowed here; with --impersonate, the cluster's RBAC for that identity
    bounds them too.
    """
    from kapstan.cli.backend.environments import BoundaryChange
    from kapstan.store.environments import UNCHANGED

    if impersonate and no_impersonate:
        raise InputError("give --impersonate or --no-impersonate, not both")
    change = BoundaryChange(
        allow_namespaces=tuple(allow_namespace),
        remove_namespaces=tuple(remove_namespace),
        allow_kinds=tuple(allow_kind),
        remove_kinds=tuple(remove_kind),
        impersonate=None if no_impersonate else (impersonate or UNCHANGED),
        shared=shared,
    )
    with open_backend(ctx) as backend:
        env = backend.environments.set_boundary(name, change, author=author())
    print_data(_boundary_record(env), output, "\n".join(_boundary_lines(env)))


@app.command()
def approval(
    ctx: typer.Context,
    name: str,
    required: bool = typer.Option(
        ...,
        "--required/--not-required",
        help="Whether deploys, rollbacks, deletes and promotions into NAME wait for a second "
        "user's approval (locally as through a server).",
    ),
    output: Format = OutputOpt,
) -> None:
    """Make environment NAME require (or stop requiring) a second user's approval."""
    with open_backend(ctx) as backend:
        env = backend.environments.set_approval(name, required, author=author())
    state = "requires" if env.requires_approval else "does not require"
    text = f"environment {env.name} {state} approval for deploys, rollbacks, deletes and promotions"
    print_data(_record(env), output, text)


@app.command()
def update(
    ctx: typer.Context,
    name: str,
    self_heal: bool | None = typer.Option(
        None,
        "--self-heal/--no-self-heal",
        help="Whether the server re-applies a service whose live objects drifted from its "
        "last revision (a deploy by kapstan:self-heal, audited).",
    ),
    output: Format = OutputOpt,
) -> None:
    """Change settings of environment NAME (audited)."""
    if self_heal is None:
        raise InputError("nothing to change: give --self-heal or --no-self-heal")
    with open_backend(ctx) as backend:
        env = backend.environments.set_self_heal(name, self_heal, author=author())
    state = "heals" if env.self_heal else "does not heal"
    text = f"environment {env.name}: the server {state} drift (re-applies the drifted services)"
    print_data(_record(env), output, text)


@app.command("set-config")
def set_config(
    ctx: typer.Context,
    name: str,
    config: str | None = typer.Argument(None, help="The config (omit with --none)."),
    none: bool = typer.Option(False, "--none", help="Leave NAME without a config."),
    output: Format = OutputOpt,
) -> None:
    """Give environment NAME another config (audited). Applications created from now on
    take it; applications there keep theirs."""
    if (config is None) == (not none):
        raise InputError("give a CONFIG or --none, not both and not neither")
    with open_backend(ctx) as backend:
        env = backend.environments.set_config(name, config, author=author())
    text = f"environment {env.name} now uses config {env.config or '(none)'}"
    print_data(_record(env), output, text)


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
    record["allowedNamespaces"] = list(details.environment.allowed_namespaces)
    record["allowedKinds"] = list(details.environment.allowed_kinds)
    record["impersonate"] = details.environment.impersonate
    record["shared"] = details.environment.shared
    record["namespaceCreated"] = details.environment.namespace_created
    text = "\n".join(f"{k}: {'-' if v is None else v}" for k, v in _flat(record).items())
    print_data(record, output, text)


def _record(env: Environment) -> dict[str, Any]:
    return {
        "name": env.name,
        "namespace": env.namespace,
        "context": env.context,
        "config": env.config,
        "kubeconfig": env.kubeconfig,
        "cluster": env.cluster,
        "requiresApproval": env.requires_approval,
        "selfHeal": env.self_heal,
        "created": iso(env.created_at),
    }


def _boundary_record(env: Environment) -> dict[str, Any]:
    return {
        **_record(env),
        "allowedNamespaces": list(env.allowed_namespaces),
        "allowedKinds": list(env.allowed_kinds),
        "impersonate": env.impersonate,
        "shared": env.shared,
    }


def _boundary_lines(env: Environment) -> list[str]:
    others = ", ".join(env.allowed_namespaces) or "none"
    kinds = ", ".join(env.allowed_kinds) or "none"
    who = env.impersonate or "the kubeconfig's user (no impersonation)"
    return [
        f"environment {env.name}: namespace {env.namespace}, other namespaces allowed: {others}",
        f"cluster-scoped kinds allowed: {kinds}",
        f"deploys act as: {who}",
        f"shared: {'yes' if env.shared else 'no'}",
    ]


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    """For people: lists joined, yes/no for booleans (never Python's True/False)."""
    return {
        k: ", ".join(v) or None
        if isinstance(v, list)
        else ("yes" if v else "no")
        if isinstance(v, bool)
        else v
        for k, v in record.items()
    }
