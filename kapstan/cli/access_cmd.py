"""``kapstan user disable|enable|revoke`` and ``kapstan token list|revoke``: taking access away.

Locally they act on this machine's store (audited as the OS user); through a server, the
server checks the caller (an administrator; an environment's admin for its roles) and
audits. Each takes effect at the next request the user makes.
"""

from __future__ import annotations

import typer

from kapstan import schemas
from kapstan.actions import access
from kapstan.cli.backend import Backend, open_backend
from kapstan.cli.common import OutputOpt, author, iso
from kapstan.cli.output import Format, print_data, print_rows
from kapstan.cli.server_cmd import user_app
from kapstan.client import decode
from kapstan.client.http import path
from kapstan.store import TokenInfo

token_app = typer.Typer(help="API tokens: list them (never their text) and revoke them.")


@user_app.command("disable")
def disable(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """Disable NAME: its tokens and console sessions stop working at once."""
    with open_backend(ctx) as backend:
        if backend.client is not None:
            backend.client.post(path("users", name, "disable"))
        else:
            access.disable_user(backend.local_store("user disable"), name, author=author())
    text = f"user {name} disabled: its tokens and console sessions no longer work"
    print_data({"user": name, "disabled": True}, output, text)


@user_app.command("enable")
def enable(ctx: typer.Context, name: str, output: Format = OutputOpt) -> None:
    """Enable NAME again (its roles and unrevoked tokens work again)."""
    with open_backend(ctx) as backend:
        if backend.client is not None:
            backend.client.post(path("users", name, "enable"))
        else:
            access.enable_user(backend.local_store("user enable"), name, author=author())
    print_data({"user": name, "disabled": False}, output, f"user {name} enabled")


@user_app.command("revoke")
def revoke(ctx: typer.Context, name: str, environment: str, output: Format = OutputOpt) -> None:
    """Take NAME's role in ENVIRONMENT away (the opposite of `kapstan user grant`)."""
    with open_backend(ctx) as backend:
        if backend.client is not None:
            answer = backend.client.delete(path("users", name, "roles", environment))
            before = decode.parse(schemas.RoleRevokedOut, answer).role
        else:
            store = backend.local_store("user revoke")
            before = access.revoke_role(store, name, environment, author=author())
    text = (
        f"user {name} had no role in environment {environment}; nothing changed"
        if before is None
        else f"user {name} is no longer {before} in environment {environment}"
    )
    record = {"user": name, "environment": environment, "revoked": before, "changed": bool(before)}
    print_data(record, output, text)


def _tokens(backend: Backend, user: str | None, everyone: bool) -> list[TokenInfo]:
    if backend.client is not None:
        params: dict[str, object] = {"all": True} if everyone else {"user": user} if user else {}
        found = backend.client.pages(path("tokens"), **params)
        return [_token_info(decode.parse(schemas.TokenOut, t)) for t in found]
    store = backend.local_store("token list")
    return store.list_tokens(None if everyone or user is None else user)


def _token_info(t: schemas.TokenOut) -> TokenInfo:
    return TokenInfo(
        id=t.id,
        user=t.user or "",
        description=t.description,
        prefix=t.prefix,
        created_at=t.created_at,
        last_used_at=t.last_used_at,
        revoked=t.revoked,
    )


@token_app.command("list")
def list_tokens(
    ctx: typer.Context,
    user: str | None = typer.Option(
        None, "--user", help="Only this user's (default: all locally; your own through a server)."
    ),
    everyone: bool = typer.Option(False, "--all", help="Every user's (an administrator)."),
    output: Format = OutputOpt,
) -> None:
    """Tokens: id, owner, prefix, description, created, last used, revoked."""
    with open_backend(ctx) as backend:
        tokens = _tokens(backend, user, everyone or (backend.client is None and user is None))
    records = [
        {
            "id": t.id,
            "user": t.user,
            "prefix": t.prefix,
            "description": t.description,
            "created": iso(t.created_at),
            "lastUsed": iso(t.last_used_at) if t.last_used_at else None,
            "revoked": t.revoked,
        }
        for t in tokens
    ]
    rows = [
        (
            r["id"],
            r["user"],
            r["prefix"],
            r["description"],
            r["created"],
            r["lastUsed"] or "-",
            "yes" if r["revoked"] else "no",
        )
        for r in records
    ]
    print_rows(
        ("id", "user", "prefix", "description", "created", "last used", "revoked"),
        rows,
        output,
        records,
    )


@token_app.command("revoke")
def revoke_token(
    ctx: typer.Context,
    which: str = typer.Argument(..., metavar="ID|PREFIX"),
    output: Format = OutputOpt,
) -> None:
    """Revoke a token, named by its id or its first characters (as `token list` shows)."""
    # Not named ``token``: the global --token option every command takes has that name.
    with open_backend(ctx) as backend:
        if backend.client is not None:
            me = decode.parse(schemas.UserOut, backend.client.get(path("users", "me")))
            found = access.find_token(_tokens(backend, None, me.admin), which)
            backend.client.delete(path("tokens", found.id))
        else:
            store = backend.local_store("token revoke")
            found = access.find_token(store.list_tokens(None), which)
            access.revoke_token(store, found.id, author=author())
    record = {
        "revoked": {
            "kind": "token",
            "id": found.id,
            "prefix": found.prefix,
            "user": found.user,
            "description": found.description,
        }
    }
    print_data(record, output, f"token {found.id} ({found.prefix}…, of {found.user}) revoked")


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
