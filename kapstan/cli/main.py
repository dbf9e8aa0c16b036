"""The ``kapstan`` command: sub-commands per object, errors mapped to exit codes here only.

Exit codes: 0 ok, 1 failure (any KapstanError), 2 usage error (bad flags or arguments).
"""

from __future__ import annotations

import sys

import typer

from kapstan.cli import (
    app_cmd,
    appviews_cmd,  # noqa: F401  (registers the read-only `app` views on app_cmd.app)
    config_cmd,
    demo_cmd,
    deploy_cmd,  # noqa: F401  (registers plan, deploy, rollback, status, operation on app_cmd.app)
    env_cmd,
    import_cmd,
    market_cmd,
    sandbox_cmd,
    secret_key_cmd,
    server_cmd,
    template_cmd,
)
from kapstan.cli.common import Settings
from kapstan.cli.output import print_error
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
app.add_typer(sandbox_cmd.app, name="sandbox")
server_cmd.register(app)  # `kapstan server` and `kapstan user`
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
) -> None:
    ctx.obj = Settings(db=db)


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
