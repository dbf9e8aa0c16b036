"""The ``kapstan`` command: sub-commands per object, errors mapped to exit codes here only.

Exit codes: see ``kapstan.cli.exitcodes`` (0 ok, 1 failure, 64 usage error, ...).
"""

from __future__ import annotations

import sys
from importlib.metadata import version

import typer
from typer import rich_utils
from typer._click.exceptions import ClickException, UsageError  # typer re-exports neither

from kapstan.cli import (
    access_cmd,
    app_cmd,
    approval_cmd,
    appviews_cmd,  # noqa: F401  (registers the read-only `app` views on app_cmd.app)
    audit_cmd,
    cluster_cmd,
    config_cmd,
    delete_cmd,  # noqa: F401  (registers `delete` on app, env, template and config)
    demo_cmd,
    deploy_cmd,  # noqa: F401  (registers plan, deploy, rollback, status, operation on app_cmd.app)
    env_cmd,
    import_cmd,
    login_cmd,
    market_cmd,
    sandbox_cmd,
    secret_key_cmd,
    server_cmd,
    template_cmd,
)
from kapstan.cli.common import settings_of
from kapstan.cli.exitcodes import ExitCode
from kapstan.cli.globalopts import GIVEN, KapstanGroup, output_defaults
from kapstan.cli.output import Format, print_error
from kapstan.errors import KapstanError

app = typer.Typer(
    name="kapstan",
    help="Kapstan: deploy multi-service applications to Kubernetes, service by service.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion / --show-completion (README: shell completion)
    cls=KapstanGroup,
)
app.add_typer(template_cmd.app, name="template")
app.add_typer(config_cmd.app, name="config")
app.add_typer(env_cmd.app, name="env")
app.add_typer(cluster_cmd.app, name="cluster")
app.add_typer(app_cmd.app, name="app")
app.add_typer(import_cmd.app, name="import")
app.add_typer(market_cmd.app, name="market")
app.add_typer(secret_key_cmd.app, name="secret-key")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(approval_cmd.app, name="approval")
app.add_typer(sandbox_cmd.app, name="sandbox")
server_cmd.register(app)  # `kapstan server` and `kapstan user`
access_cmd.register(app)  # `kapstan token`; `kapstan user disable|enable|revoke`
login_cmd.register(app)  # `kapstan login`, `logout`, `whoami`
app.command("demo")(demo_cmd.demo)


OutputDefaultOpt = typer.Option(
    None,
    "-o",
    "--output",
    help="Output format of every command that prints table|json|yaml (its own -o wins).",
    show_default=False,
)


def show_version(value: bool) -> None:
    if value:
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
    if output is not None:
        ctx.default_map = output_defaults(ctx.command, output)


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
        rich_utils.rich_format_error(exc)
        return ExitCode.USAGE
    except ClickException as exc:
        rich_utils.rich_format_error(exc)
        return exc.exit_code
    except typer.Abort:
        print_error("aborted")
        return ExitCode.FAILED
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return result if isinstance(result, int) else ExitCode.OK


def run() -> None:
    sys.exit(main())
