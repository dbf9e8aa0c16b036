"""``kapstan server`` (the REST API on uvicorn) and ``kapstan user`` (users, tokens, roles).

Register on the root app with ``server_cmd.register(app)`` (see ``kapstan.cli.main``).
Changes made here are audited as the OS user (``$KAPSTAN_USER``), like every CLI change.
"""

from __future__ import annotations

import os

import typer

from kapstan import schemas
from kapstan.cli.backend import open_backend
from kapstan.cli.common import OutputOpt, Settings, author, read_password
from kapstan.cli.output import Format, print_data
from kapstan.client import decode
from kapstan.client.http import path
from kapstan.errors import InputError
from kapstan.store import Store

# Longer than the idle timeouts of common proxies and client pools (60 s): the side that
# closes an idle connection must be the client, or a request sent as the server closes it
# fails in transit (uvicorn's default is 5 s).
KEEP_ALIVE_SECONDS = 75
# uvicorn kills a worker that does not answer its supervisor's ping in this time, and a new
# worker first imports all of Kapstan: 5 s (uvicorn's default) is too little on a busy machine.
WORKER_HEALTHCHECK_SECONDS = 60

user_app = typer.Typer(help="Users of the server: create them, give them tokens and roles.")


def server(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8080, "--port", min=1, max=65535, help="Port to listen on."),
    db: str | None = typer.Option(
        None, "--db", metavar="URL", help="Store URL (overrides the global --db)."
    ),
    forwarded_allow_ips: str = typer.Option(
        "",
        "--forwarded-allow-ips",
        metavar="A,B",
        help="Proxies (addresses or networks, or '*') whose X-Forwarded-For/-Proto and "
        "Forwarded headers are believed. Default: none; the peer address is the client.",
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        max=64,
        help="Server processes on the one port (each with its own store connections, "
        "operation runner and reaper; they share the store). About one per core.",
    ),
    drift_interval: str = typer.Option(
        "60s",
        "--drift-interval",
        metavar="DURATION",
        help="How often every application is checked for drift (30s, 5m; 0: never). One "
        "process checks each application; environments with self-heal on are healed.",
    ),
) -> None:
    """Serve the REST API (OpenAPI at /openapi.json) until interrupted."""
    import uvicorn

    from kapstan.api import driftchecks, serve
    from kapstan.api.app import create_app
    from kapstan.api.proxies import TrustedProxies
    from kapstan.model.durations import parse_duration

    settings = ctx.obj if isinstance(ctx.obj, Settings) else Settings()
    url = db or settings.db
    proxies = TrustedProxies.parse(forwarded_allow_ips)
    Store.open(url).close()  # fail here, with a clear message, if the store cannot be opened
    # Every worker reads it (``kapstan.api.driftchecks``); the store's claims pick one.
    drift = {driftchecks.INTERVAL_VARIABLE: str(parse_duration(drift_interval))}
    # proxy_headers=False: uvicorn would believe X-Forwarded-For from 127.0.0.1 by default
    # and replace the peer address with the claim; kapstan.api.proxies reads the headers,
    # from the listed proxies only, and keeps the peer for the audit log.
    if workers > 1:
        # The workers are new processes: they build the app from these (``kapstan.api.serve``).
        os.environ.update({**serve.worker_environ(url, forwarded_allow_ips), **drift})
    uvicorn.run(
        serve.FACTORY
        if workers > 1
        else create_app(
            url, proxies=proxies, environ={**os.environ, **drift}, started=serve.settle_memory
        ),
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        proxy_headers=False,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def _password(name: str, stdin: bool) -> str:
    return read_password(
        f"Password for {name}", stdin=stdin, confirm=True, other=" or --no-password"
    )


@user_app.command("create")
def create_user(
    ctx: typer.Context,
    name: str,
    admin: bool = typer.Option(False, "--admin", help="Administrator in every environment."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from stdin."
    ),
    no_password: bool = typer.Option(False, "--no-password", help="A token-only user."),
    output: Format = OutputOpt,
) -> None:
    """Create user NAME (asks for the password twice; there is no default password)."""
    if password_stdin and no_password:
        raise InputError("--password-stdin and --no-password exclude each other")
    password = None if no_password else _password(name, password_stdin)
    with open_backend(ctx) as backend:
        if backend.client is not None:
            body = {"name": name, "password": password, "admin": admin}
            made = decode.parse(schemas.UserOut, backend.client.post(path("users"), body))
            created_admin = made.admin
        else:
            store = backend.local_store("user create")
            created_admin = store.create_user(name, password=password, admin=admin).admin
            store.audit(
                author(),
                "user.create",
                kind="user",
                name=name,
                details={"admin": admin, "password": password is not None, "via": "cli"},
            )
    text = f"user {name} created" + (" (administrator)" if created_admin else "")
    print_data(
        {"name": name, "admin": created_admin, "password": password is not None}, output, text
    )


@user_app.command("token")
def create_token(
    ctx: typer.Context,
    name: str,
    description: str = typer.Option("", "--description", "-d", help="What the token is for."),
    output: Format = OutputOpt,
) -> None:
    """A new API token for NAME, printed once (send it as 'Authorization: Bearer ...').

    Through a server, only for yourself: the server makes tokens for its caller only.
    """
    with open_backend(ctx) as backend:
        if backend.client is not None:
            me = decode.parse(schemas.UserOut, backend.client.get(path("users", "me")))
            if me.name != name:
                raise InputError(
                    f"through a server you can only make tokens for yourself ({me.name!r}), "
                    f"not for {name!r}; {name} logs in with `kapstan login`, or an administrator "
                    "runs `kapstan user token` on the server's machine"
                )
            body = {"description": description}
            made = decode.parse(schemas.NewToken, backend.client.post(path("tokens"), body))
            text = made.token
        else:
            store = backend.local_store("user token")
            text, info = store.create_token(name, description=description)
            store.audit(
                author(),
                "token.create",
                kind="user",
                name=name,
                details={"token": info.id, "via": "cli"},
            )
    # The table form is the token alone, for `TOKEN=$(kapstan user token ...)`.
    print_data({"user": name, "description": description, "token": text}, output, text)


@user_app.command("grant")
def grant(
    ctx: typer.Context, name: str, environment: str, role: str, output: Format = OutputOpt
) -> None:
    """Give NAME the ROLE (viewer, deployer, admin) in ENVIRONMENT, replacing any other."""
    with open_backend(ctx) as backend:
        if backend.client is not None:
            body = {"environment": environment, "role": role}
            backend.client.post(path("users", name, "roles"), body)
        else:
            store = backend.local_store("user grant")
            before = store.role_for(name, environment)
            store.grant_role(name, environment, role)
            store.audit(
                author(),
                "role.grant",
                kind="user",
                name=name,
                environment=environment,
                from_version=before,
                to_version=str(role),
                details={"via": "cli"},
            )
    record = {"user": name, "environment": environment, "role": role}
    print_data(record, output, f"user {name} is {role} in environment {environment}")


def register(app: typer.Typer) -> None:
    """Add ``server`` and ``user`` to the root ``kapstan`` app."""
    app.command("server")(server)
    app.add_typer(user_app, name="user")
