"""The ``kapstan`` command: sub-commands per object, errors mapped to exit codes here only.

Exit codes: 0 ok, 1 failure (any KapstanError), 2 usage error (bad flags or arguments).
"""

from __future__ import annotations

import sys

import typer

from kapstan.cli import sandbox_cmd
from kapstan.cli.output import print_error
from kapstan.errors import KapstanError

app = typer.Typer(
    name="kapstan",
    help="Kapstan: deploy multi-service applications to Kubernetes, service by service.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(sandbox_cmd.app, name="sandbox")


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
