"""Login, users, roles and tokens.

``POST /api/v1/login`` trades a password for a new token; failures are limited per user
and client address (``ratelimit``). Administrators create users and grant roles; every
user manages their own tokens.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from kapstan import schemas
from kapstan.actions import access
from kapstan.api import auditing
from kapstan.api.auth import CallerDep, client_of_request
from kapstan.api.pagination import WindowDep, paged
from kapstan.api.state import state_of, store_of
from kapstan.errors import AuthError, NotFoundError
from kapstan.store import TokenInfo, User

router = APIRouter(prefix="/api/v1", tags=["users"])


def _token(info: TokenInfo) -> schemas.TokenOut:
    return schemas.TokenOut(
        id=info.id,
        description=info.description,
        prefix=info.prefix,
        created_at=info.created_at,
        last_used_at=info.last_used_at,
        revoked=info.revoked,
        user=info.user,
    )


def _user(user: User, roles: dict[str, str]) -> schemas.UserOut:
    return schemas.UserOut(
        name=user.name,
        admin=user.admin,
        disabled=user.disabled,
        created_at=user.created_at,
        roles=roles,
    )


@router.post("/login", tags=["auth"])
def login(request: Request, body: schemas.LoginRequest) -> schemas.NewToken:
    """A new token for ``user`` if ``password`` is theirs (5 failures a minute: 429)."""
    store, limiter = store_of(request), state_of(request).limiter
    client = client_of_request(request)
    address = client.address  # the peer, unless a listed proxy forwards for a client
    limiter.check(store, body.user, address)
    try:
        user = store.verify_password(body.user, body.password)
    except AuthError:
        limiter.failed(store, body.user, address)
        raise
    limiter.succeeded(store, body.user, address)
    text, info = store.create_token(user.name, description=f"login from {address}")
    auditing.record(
        store,
        user.name,
        "token.create",
        kind="user",
        name=user.name,
        details={"token": info.id, "via": "login", **client.audit()},
    )
    return schemas.NewToken(token=text, info=_token(info), user=user.name)


@router.get("/users/me")
def me(caller: CallerDep) -> schemas.UserOut:
    return _user(caller.user, caller.roles())


@router.get("/users")
def list_users(caller: CallerDep, at: WindowDep) -> schemas.Page[schemas.UserOut]:
    caller.require_admin("listing users")
    return paged(caller.store.list_users(), at, lambda u: _user(u, caller.store.roles_of(u.name)))


@router.post("/users", status_code=201)
def create_user(caller: CallerDep, body: schemas.UserCreate) -> schemas.UserOut:
    """A new user; without a password it can only use tokens an administrator makes."""
    caller.require_admin("creating a user")
    user = caller.store.create_user(body.name, password=body.password, admin=body.admin)
    auditing.record(
        caller.store,
        caller.name,
        "user.create",
        kind="user",
        name=user.name,
        details={"admin": user.admin, "password": body.password is not None},
    )
    return _user(user, {})


@router.post("/users/{name}/roles")
def grant_role(caller: CallerDep, name: str, body: schemas.RoleGrant) -> schemas.UserOut:
    caller.grant(body.environment)
    before = caller.store.role_for(name, body.environment)
    caller.store.grant_role(name, body.environment, body.role)
    caller.access.forget()  # a role replaced may allow less: not after ttl, now, here
    auditing.record(
        caller.store,
        caller.name,
        "role.grant",
        kind="user",
        name=name,
        environment=body.environment,
        from_version=before,
        to_version=body.role,
    )
    return _user(caller.store.get_user(name), caller.store.roles_of(name))


@router.get("/tokens")
def list_tokens(
    caller: CallerDep, at: WindowDep, user: str | None = None, all: bool = False
) -> schemas.Page[schemas.TokenOut]:
    """The caller's own tokens (never their text); an administrator may ask for one
    ``user``'s, or ``all`` users'."""
    whose = None if all else (user or caller.name)
    if whose != caller.name:
        caller.require_admin("listing other users' tokens")
    return paged(caller.store.list_tokens(whose), at, _token)


@router.post("/tokens", status_code=201)
def create_token(caller: CallerDep, body: schemas.TokenRequest) -> schemas.NewToken:
    text, info = caller.store.create_token(caller.name, description=body.description)
    auditing.record(
        caller.store,
        caller.name,
        "token.create",
        kind="user",
        name=caller.name,
        details={"token": info.id},
    )
    return schemas.NewToken(token=text, info=_token(info), user=caller.name)


@router.delete("/tokens/{token_id}")
def revoke_token(caller: CallerDep, token_id: schemas.StoredInt) -> schemas.TokenOut:
    """Revoke one of the caller's own tokens; an administrator, anyone's."""
    own = token_id in {t.id for t in caller.store.list_tokens(caller.name)}
    if not own and not caller.user.admin:
        raise NotFoundError(f"you have no token {token_id}; list yours with GET /api/v1/tokens")
    revoked = access.revoke_token(caller.store, token_id, author=caller.name, via="api")
    caller.access.forget()
    return _token(revoked)
