"""``kapstan login|logout|whoami``: a token for a Kapstan server, kept for the next commands.

``login`` trades a user's password for a new API token (``POST /api/v1/login``) and saves
it for that server (``kapstan.client.credentials``); later commands with ``--server URL``
or ``$KAPSTAN_SERVER`` use it when no ``--token`` is given. ``logout`` revokes it on the
server and forgets it here.
"""

from __future__ import annotations

import typer

from kapstan import schemas
from kapstan.cli.common import OutputOpt, read_password, settings_of
from kapstan.cli.output import Format, print_data
from kapstan.client import credentials, decode
from kapstan.client.http import ApiClient, check_server_url, path
from kapstan.errors import InputError

ServerArg = typer.Argument(
    None, metavar="[SERVER]", help="The server's URL (default: --server or $KAPSTAN_SERVER)."
)


def _server(ctx: typer.Context, given: str | None) -> str:
    url = given or settings_of(ctx).server
    if not url:
        raise InputError("which server? give its URL: kapstan login http://HOST:PORT --user NAME")
    return check_server_url(url)


def login(
    ctx: typer.Context,
    server: str | None = ServerArg,
    user: str = typer.Option(..., "--user", "-u", help="Your user name on the server."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from stdin."
    ),
) -> None:
    """Log in to a Kapstan server; its token is saved for later commands."""
    url = _server(ctx, server)
    password = read_password(f"Password for {user}", stdin=password_stdin, confirm=False)
    with ApiClient(url, None) as client:
        answer = client.post(path("login"), {"user": user, "password": password})
    made = decode.parse(schemas.NewToken, answer)
    where = credentials.save_token(url, made.user, made.token, made.info.id)
    print(f"logged in to {url} as {made.user}; token {made.info.prefix}... saved in {where}")


def logout(ctx: typer.Context, server: str | None = ServerArg) -> None:
    """Revoke the token `kapstan login` saved for the server, and forget it."""
    url = _server(ctx, server)
    saved = credentials.saved_entry(url)
    if saved is None:
        raise InputError(f"no saved login for {url}")
    if saved.token_id is not None:
        with ApiClient(url, saved.token) as client:
            client.delete(path("tokens", saved.token_id))
    credentials.forget(url)
    print(f"logged out of {url}")


def whoami(ctx: typer.Context, output: Format = OutputOpt) -> None:
    """Who the server takes you for, and your role in each environment."""
    settings = settings_of(ctx)
    if not settings.server:
        raise InputError("whoami asks a server: pass --server URL or set $KAPSTAN_SERVER")
    with ApiClient(settings.server, settings.token) as client:
        me = decode.parse(schemas.UserOut, client.get(path("users", "me")))
    record = {"user": me.name, "admin": me.admin, "server": settings.server, "roles": me.roles}
    roles = ", ".join(f"{role} in {env}" for env, role in sorted(me.roles.items())) or "-"
    text = f"{me.name}{' (administrator)' if me.admin else ''} on {settings.server}\nroles: {roles}"
    print_data(record, output, text)


def register(app: typer.Typer) -> None:
    app.command("login")(login)
    app.command("logout")(logout)
    app.command("whoami")(whoami)
