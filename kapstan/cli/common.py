"""What every command shares: the store (``--db``), the author, options and small formatters."""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import typer

from kapstan.cli.globalopts import GIVEN, MADE
from kapstan.cli.output import Format
from kapstan.errors import InputError
from kapstan.model.durations import parse_duration
from kapstan.model.values import REDACTED, SecretValue, Value

if TYPE_CHECKING:
    from kapstan.store import Store

OutputOpt = typer.Option(Format.table, "-o", "--output", help="Output format.")
MessageOpt = typer.Option("", "-m", "--message", help="Why: kept with the new version.")
ExitCodeOpt = typer.Option(
    False, "--exit-code", help="Exit 2 when there are changes, 0 when none (1 stays an error)."
)


def seconds(value: str | float) -> float:
    """``--timeout``'s value: a duration (``90s``, ``5m``, ``1h30m``) or plain seconds.

    The CLI library names the option in front of the message; the message names the value.
    """
    try:
        parsed = value if isinstance(value, float | int) else parse_duration(value)
    except InputError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if parsed < 1:
        raise typer.BadParameter(f"{value!r} is under a second; give at least 1s")
    return float(parsed)


def timeout_option(default: str, what: str) -> Any:
    """``--timeout DURATION``: ``what`` says what it bounds (e.g. "each service's readiness")."""
    return typer.Option(
        default,
        "--timeout",
        parser=seconds,
        metavar="DURATION",
        help=f"How long to wait for {what}: 90s, 5m, 1h30m, or plain seconds.",
    )


@dataclass(frozen=True)
class Settings:
    """Global options, carried on the Typer context (``ctx.obj``).

    ``server`` set: commands go to that Kapstan server with ``token`` (see ``backend``).
    """

    db: str | None = None
    server: str | None = None
    token: str | None = None


def settings_of(ctx: typer.Context) -> Settings:
    """The global options given before and after the command (``globalopts``), made once."""
    given = ctx.meta.get(GIVEN)
    if given is None:  # a root command built without kapstan.cli.main's callback (tests)
        return ctx.obj if isinstance(ctx.obj, Settings) else Settings()
    made = ctx.meta.get(MADE)
    if not isinstance(made, Settings):
        made = ctx.meta[MADE] = resolve_settings(given)
    return made


def resolve_settings(given: dict[str, Any]) -> Settings:
    db, server, token = given.get("db"), given.get("server"), given.get("token")
    if db and given.get("server_from_env"):
        server = None  # an explicit --db wins over a $KAPSTAN_SERVER left in the environment
    if not server or not server.strip():
        return Settings(db=db)
    if db:
        raise typer.BadParameter("give --db (a local store) or --server, not both")
    # Imported here: a local command needs no HTTP client (start-up time, kapstan.cli.lazy).
    from kapstan.client.credentials import saved_token
    from kapstan.client.http import check_server_url

    url = check_server_url(server)
    return Settings(server=url, token=token or saved_token(url))


def open_store(ctx: typer.Context) -> Store:
    """The store named by ``--db``, else ``$KAPSTAN_DB``, else the default; close it after use.

    For commands that only ever work on this machine's store (``user``, ``demo``); the
    others go through ``kapstan.cli.backend.open_backend``.
    """
    from kapstan.store import Store  # SQLAlchemy: only for the commands that open the store

    return Store.open(settings_of(ctx).db)


def author() -> str:
    """Who makes a change: ``$KAPSTAN_USER``, else the OS user."""
    name = os.environ.get("KAPSTAN_USER", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def when(moment: datetime) -> str:
    """A moment for a person reading a table: UTC, to the second."""
    return _utc(moment).strftime("%Y-%m-%d %H:%M:%S")


def iso(moment: datetime) -> str:
    """A moment for JSON/YAML output: ISO 8601 with its zone (UTC), read by programs."""
    return _utc(moment).isoformat(timespec="seconds")


def _utc(moment: datetime) -> datetime:
    # The store answers in UTC; a naive moment (a record made by hand) is taken as UTC too.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def shown(value: Value) -> Any:
    """A value for JSON/YAML output: native scalars, secrets redacted."""
    return REDACTED if isinstance(value, SecretValue) else value


def joined(items: tuple[str, ...] | list[str]) -> str:
    return ", ".join(items) if items else "-"


def read_password(prompt: str, *, stdin: bool, confirm: bool, other: str = "") -> str:
    """From stdin's first line (``--password-stdin``), else asked on the terminal, hidden.

    ``other`` names another way out, said when there is no terminal to ask on.
    """
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InputError("--password-stdin: standard input holds no password")
        return password
    if not sys.stdin.isatty():
        raise InputError(f"no terminal to ask for a password: pass --password-stdin{other}")
    text: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    return text
