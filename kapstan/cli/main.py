"""The ``kapstan`` command: sub-commands per object, errors mapped to exit codes here only.

Exit codes: 0 ok, 1 failure (any KapstanError), 2 usage error (bad flags or arguments).
"""

from __future__ import annotations

import sys

import typer

from kapstan.cli import (
    access_cmd,
    app_cmd,
    approval_cmd,
    appviews_cmd,  # noqa: F401  (registers the read-only `app` views on app_cmd.app)
    audit_cmd,
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
from kapstan.cli.common import Settings
from kapstan.cli.output import print_error
from kapstan.client.credentials import saved_token
from kapstan.client.http import check_server_url
from kapstan.errors import KapstanError

app = typer.Typer(
    name="kapstan",
    help="Kapstan: deploy multi-service applications to Kubernetes, service by service.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(template_cmd.app, name="template")
app.add_typer(config_cmd.app, name="config")
app.add_typer(env_cmd.app, name="env")
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
) -> None:
    # An explicit --db wins over a $KAPSTAN_SERVER left in the environment.
    source = ctx.get_parameter_source("server")
    from_env = source is not None and source.name == "ENVIRONMENT"
    ctx.obj = settings(db, None if (db and from_env) else server, token)


def settings(db: str | None, server: str | None, token: str | None) -> Settings:
    if not server or not server.strip():
        return Settings(db=db)
    if db:
        raise typer.BadParameter("give --db (a local store) or --server, not both")
    url = check_server_url(server)
    return Settings(server=url, token=token or saved_token(url))


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of raising (so tests can call it)."""
    command = typer.main.get_command(app)
    try:
        # Standalone mode lets the CLI library report usage errors itself (exit 2).
        command.main(args=argv, prog_name="kapstan", standalone_mode=True)
    except KapstanError as exc:
        print_error(str(exc))
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def run() -> None:
    sys.exit(main())
