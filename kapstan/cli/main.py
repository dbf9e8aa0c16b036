"""The ``kapstan`` command: sub-commands per object, errors mapped to exit codes here only.

Exit codes: see ``kapstan.cli.exitcodes`` (0 ok, 1 failure, 64 usage error, ...).
"""

from __future__ import annotations

import sys

import typer
from typer._click.exceptions import ClickException, UsageError  # typer re-exports neither

from kapstan.cli import coercion
from kapstan.cli.common import settings_of
from kapstan.cli.exitcodes import ExitCode
from kapstan.cli.globalopts import GIVEN, output_defaults
from kapstan.cli.lazy import Lazy, LazyGroup
from kapstan.cli.output import Format, print_error
from kapstan.errors import KapstanError

# Each command's module is imported by its mount, when that command runs (kapstan.cli.lazy):
# a command module may import anything, and `kapstan --version` still imports none of it.

coercion.install()  # no pydantic for values that need no conversion (kapstan.cli.coercion)


def _users(root: typer.Typer) -> None:
    from kapstan.cli import access_cmd, server_cmd

    server_cmd.register(root)  # `kapstan server` and `kapstan user`
    access_cmd.register(root)  # `kapstan token`; `kapstan user disable|enable|revoke`


def _login(root: typer.Typer) -> None:
    from kapstan.cli import login_cmd

    login_cmd.register(root)  # `kapstan login`, `logout`, `whoami`


def _demo(root: typer.Typer) -> None:
    from kapstan.cli import demo_cmd

    root.command("demo")(demo_cmd.demo)


def _app(root: typer.Typer) -> None:
    # Its commands from other modules (views, engine, live reads, delete, drift, instances)
    # are mounted as they run: kapstan.cli.appgroup.
    from kapstan.cli import app_cmd

    root.add_typer(app_cmd.app, name="app")


def _template(root: typer.Typer) -> None:
    from kapstan.cli import delete_cmd, template_cmd  # noqa: F401  (delete_cmd: `template delete`)

    root.add_typer(template_cmd.app, name="template")


def _config(root: typer.Typer) -> None:
    from kapstan.cli import config_cmd, delete_cmd  # noqa: F401  (delete_cmd: `config delete`)

    root.add_typer(config_cmd.app, name="config")


def _env(root: typer.Typer) -> None:
    from kapstan.cli import delete_cmd, env_cmd  # noqa: F401  (delete_cmd: `env delete`)

    root.add_typer(env_cmd.app, name="env")


def _cluster(root: typer.Typer) -> None:
    from kapstan.cli import cluster_cmd

    root.add_typer(cluster_cmd.app, name="cluster")


def _import(root: typer.Typer) -> None:
    from kapstan.cli import import_cmd

    root.add_typer(import_cmd.app, name="import")


def _market(root: typer.Typer) -> None:
    from kapstan.cli import market_cmd

    root.add_typer(market_cmd.app, name="market")


def _secret_key(root: typer.Typer) -> None:
    from kapstan.cli import secret_key_cmd

    root.add_typer(secret_key_cmd.app, name="secret-key")


def _audit(root: typer.Typer) -> None:
    from kapstan.cli import audit_cmd

    root.add_typer(audit_cmd.app, name="audit")


def _approval(root: typer.Typer) -> None:
    from kapstan.cli import approval_cmd

    root.add_typer(approval_cmd.app, name="approval")


def _rollout(root: typer.Typer) -> None:
    from kapstan.cli import rollout_cmd

    root.add_typer(rollout_cmd.app, name="rollout")


def _sandbox(root: typer.Typer) -> None:
    from kapstan.cli import sandbox_cmd

    root.add_typer(sandbox_cmd.app, name="sandbox")


# In the order `kapstan --help` lists them; each summary is the first paragraph of the
# command's own help (tests/cli/test_startup.py keeps them equal).
COMMANDS = {
    "server": Lazy("Serve the REST API (OpenAPI at /openapi.json) until interrupted.", _users),
    "login": Lazy("Log in to a Kapstan server; its token is saved for later commands.", _login),
    "logout": Lazy("Revoke the token `kapstan login` saved for the server, and forget it.", _login),
    "whoami": Lazy("Who the server takes you for, and your role in each environment.", _login),
    "demo": Lazy(
        "Start the sandbox, install the demo shop into dev, deploy it, change one key, "
        "promote to prod.",
        _demo,
    ),
    "template": Lazy("Templates: services as plain manifests with ${key} placeholders.", _template),
    "config": Lazy("Configs: versioned key/value pairs; every change is a new version.", _config),
    "env": Lazy("Environments: a cluster context and a namespace, with a config.", _env),
    "cluster": Lazy("Clusters: registered Kubernetes APIs, read live.", _cluster),
    "app": Lazy("Applications: a template version in an environment with a config.", _app),
    "rollout": Lazy(
        "Rollouts across environments: one version, canary first, then the rest.", _rollout
    ),
    "import": Lazy("Import docker-compose files, plain manifests and Helm charts.", _import),
    "market": Lazy("The app market: ready templates, installed in one command.", _market),
    "secret-key": Lazy(
        "The key that encrypts secret config values at rest ($KAPSTAN_SECRET_KEY).", _secret_key
    ),
    "audit": Lazy("The audit log: who changed what, when, from which version to which.", _audit),
    "approval": Lazy("Approval requests for changes to guarded environments.", _approval),
    "sandbox": Lazy("Run a real Kubernetes control plane (kwok nodes) on 127.0.0.1.", _sandbox),
    "user": Lazy("Users of the server: create them, give them tokens and roles.", _users),
    "token": Lazy("API tokens: list them (never their text) and revoke them.", _users),
}


class RootGroup(LazyGroup):
    table = COMMANDS


app = typer.Typer(
    name="kapstan",
    help="Kapstan: deploy multi-service applications to Kubernetes, service by service.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion / --show-completion (README: shell completion)
    cls=RootGroup,
)

OutputDefaultOpt = typer.Option(
    None,
    "-o",
    "--output",
    help="Output format of every command that prints table|json|yaml (its own -o wins).",
    show_default=False,
)


def show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"kapstan {version('kapstan')}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None,
        "--db",
        metavar="URL",
        help="Store URL (sqlite:///path or postgresql+psycopg://...); "
        "default: $KAPSTAN_DB, else kapstan.db in the user data directory.",
    ),
    server: str | None = typer.Option(
        None,
        "--server",
        metavar="URL",
        envvar="KAPSTAN_SERVER",
        help="Work against this Kapstan server instead of the local store "
        "(default: $KAPSTAN_SERVER).",
    ),
    token: str | None = typer.Option(
        None,
        "--token",
        envvar="KAPSTAN_TOKEN",
        help="The server's API token (default: $KAPSTAN_TOKEN, else the one `kapstan login` "
        "saved for the server).",
        show_default=False,
    ),
    output: Format | None = OutputDefaultOpt,
    _version: bool = typer.Option(
        False,
        "--version",
        is_eager=True,
        callback=show_version,
        help="Print Kapstan's version and exit.",
    ),
) -> None:
    # Each command also takes --db/--server/--token after its name (kapstan.cli.globalopts):
    # its own then win; the settings are made once the command has been parsed.
    source = ctx.get_parameter_source("server")
    from_env = source is not None and source.name == "ENVIRONMENT"
    ctx.meta[GIVEN] = {"db": db, "server": server, "token": token, "server_from_env": from_env}
    ctx.obj = settings_of(ctx)
    if output is not None and ctx.invoked_subcommand is not None:
        # Only the command that runs: walking the others would import them all.
        name = ctx.invoked_subcommand
        assert isinstance(ctx.command, LazyGroup)
        ctx.default_map = {name: output_defaults(ctx.command.lazy[name], output)}


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of raising (so tests can call it)."""
    command = typer.main.get_command(app)
    try:
        # Not standalone: a usage error gets its own code (exitcodes.ExitCode.USAGE).
        result = command.main(args=argv, prog_name="kapstan", standalone_mode=False)
    except KapstanError as exc:
        print_error(str(exc))
        return exc.exit_code
    except UsageError as exc:
        _print_usage_error(exc)
        return ExitCode.USAGE
    except ClickException as exc:
        _print_usage_error(exc)
        return exc.exit_code
    except typer.Abort:
        print_error("aborted")
        return ExitCode.FAILED
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return result if isinstance(result, int) else ExitCode.OK


def _print_usage_error(exc: ClickException) -> None:
    from typer import rich_utils  # rich's help machinery: loaded only to print an error

    rich_utils.rich_format_error(exc)


def run() -> None:
    # httpcore2 (under lightkube) imports trio whenever it is installed, to serve trio event
    # loops; the CLI never runs one, and that import was a tenth of a second of the start
    # of every command that talks to a cluster. Without trio installed this changes nothing.
    sys.modules.setdefault("trio", None)  # type: ignore[arg-type]
    sys.exit(main())
