"""Who is calling and what they may do: the ONLY place the API resolves users and checks roles.

Rules (the store's ``check_permission`` knows the role -> permission table):

- Every endpoint but /healthz, /readyz, /metrics, /openapi.json, /api/v1/login and the
  signed webhook needs ``Authorization: Bearer <token>`` (401 otherwise).
- Anything reached through an application (by name or operation id) is checked on the
  application's environment: ``view`` for reads; ``deploy``, ``rollback``, ``promote``,
  ``config.edit`` for writes. An object in an environment the caller has no role on is
  refused (403), not hidden; lists show only what the caller may view.
- A config is checked on every environment that uses it (as the environment's config or
  an application's): reads need ``view`` on all of them, writes ``config.edit`` on all of
  them. A config no environment uses may be read by anyone holding a role, and written
  by an administrator or anyone holding the deployer or admin role somewhere.
- Templates are global and versions immutable: any user reads them; importing a version
  needs an administrator or a deployer/admin role somewhere (it deploys nothing).
- Creating environments and users, granting roles and reading the audit log need an
  administrator (``admin`` user), except that an environment's ``admin`` role may grant
  roles on that environment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kapstan.api.authcache import AccessCache
from kapstan.api.proxies import ClientAddress, client_of
from kapstan.api.state import state_of, store_of
from kapstan.errors import AuthError, ForbiddenError, NotFoundError
from kapstan.store import Application, Store, User

WRITER_ROLES = ("deployer", "admin")
T = TypeVar("T")
bearer = HTTPBearer(
    auto_error=False, description="A token from POST /api/v1/login or `kapstan user token`."
)


@dataclass(frozen=True)
class Caller:
    """An authenticated user and the checks made on their behalf."""

    user: User
    store: Store
    access: AccessCache  # what this process remembers for a few seconds (``api.authcache``)

    @property
    def name(self) -> str:
        return self.user.name

    def require(self, environment: str, permission: str) -> None:
        """ForbiddenError unless the caller has ``permission`` on ``environment``.

        An environment remembered as allowing it passes; anything else is the store's
        decision (and its message).
        """
        if environment in self._allowing(permission):
            return
        self.store.check_permission(self.user.name, environment, permission)

    def can(self, environment: str, permission: str) -> bool:
        try:
            self.require(environment, permission)
        except ForbiddenError:
            return False
        return True

    def require_admin(self, what: str) -> None:
        if not self.user.admin:
            raise ForbiddenError(f"{what} needs an administrator; {self.name!r} is not one")

    def application(self, name: str, permission: str = "view") -> Application:
        """Application ``name``, once ``permission`` on its environment is checked."""
        found = self.store.get_application(name)
        self.require(found.environment, permission)
        return found

    def deleted_application(self, name: str, permission: str = "view") -> Application:
        """The last deleted application ``name``, once ``permission`` is checked on its
        environment (an administrator's, if that was deleted too)."""
        found = self.store.get_deleted_application(name)
        try:
            self.require(found.environment, permission)
        except NotFoundError:
            self.require_admin(f"reading the history of {name!r}, whose environment was deleted")
        return found

    def operation_of(self, app: str, operation_id: int, permission: str = "view") -> None:
        """Check operation ``operation_id`` belongs to ``app`` and the caller may see it.

        An operation of a deleted application stays readable (its delete operation too).
        """
        try:
            self.application(app, permission)
        except NotFoundError:
            self.deleted_application(app, permission)
        op = self.store.get_operation(operation_id)
        if op.app != app:
            raise NotFoundError(
                f"operation {operation_id} belongs to another application, not {app!r}"
            )

    def config(self, name: str, permission: str = "view") -> None:
        """Check ``permission`` on every environment using config ``name`` (see the rules)."""
        users = self.environments_using(name)  # 404 before 403 for a config that does not exist
        self.require_all(users, permission)
        if users or self.user.admin:
            return
        if permission == "view" and self._roles_show(bool):
            return
        if self._roles_show(_has_writer_role):
            return
        raise ForbiddenError(
            f"config {name!r} is used by no environment: changing it needs an administrator "
            "or the deployer role on some environment"
        )

    def require_all(self, environments: Iterable[str], permission: str) -> None:
        """``require`` on each of ``environments``, in name order, in one read when all pass."""
        wanted = sorted(set(environments))
        if not wanted:
            return
        allowed = set(self.environments_allowing(permission))
        for environment in wanted:
            if environment not in allowed:
                self.require(environment, permission)  # raises, naming the first refusal

    def environments_allowing(self, permission: str) -> list[str]:
        """The environments where the caller has ``permission``, by name."""
        return sorted(self._allowing(permission))

    def _allowing(self, permission: str) -> frozenset[str]:
        return self.access.environments(
            self.user.name, permission, self.store.environments_allowing
        )

    def template_writer(self) -> None:
        if self.user.admin or self._roles_show(_has_writer_role):
            return
        raise ForbiddenError(
            f"importing templates needs an administrator or the deployer role on some "
            f"environment; {self.name!r} has neither"
        )

    def grant(self, environment: str) -> None:
        """May the caller grant roles on ``environment``? (administrator, or its admin)."""
        if self.user.admin or self.store.role_for(self.user.name, environment) == "admin":
            return
        raise ForbiddenError(
            f"granting roles on environment {environment!r} needs an administrator or "
            f"its admin role; {self.name!r} has neither"
        )

    def require_env_admin(self, environment: str, what: str) -> None:
        """ForbiddenError unless the caller is an administrator or ``environment``'s admin
        (NotFoundError first for an unknown environment); ``what``: "setting its quota"."""
        self.store.get_environment(environment)
        if self.user.admin or self.store.role_for(self.user.name, environment) == "admin":
            return
        raise ForbiddenError(
            f"{what} of environment {environment!r} needs an administrator or its admin role; "
            f"{self.name!r} has neither"
        )

    def environments_using(self, config: str) -> set[str]:
        """Environments whose config is ``config`` or that hold an app using it; NotFoundError
        if there is no such config."""
        return set(self.store.environments_using_config(config))

    def roles(self) -> dict[str, str]:
        """Environment -> the role granted to the caller there (the admin flag aside)."""
        return self.access.roles_of(self.user.name, self._stored_roles)

    def _stored_roles(self, user: str) -> dict[str, str]:
        return {env: str(role) for env, role in self.store.roles_of(user).items()}

    def _roles_show(self, test: Callable[[dict[str, str]], bool]) -> bool:
        """``test`` on the remembered roles, else on the stored ones: a refusal is never
        based on what was remembered (a role granted a second ago counts)."""
        return test(self.roles()) or test(self._stored_roles(self.user.name))


def _has_writer_role(roles: dict[str, str]) -> bool:
    return any(role in WRITER_ROLES for role in roles.values())


async def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> AsyncIterator[Caller]:
    """The caller, with a view of the store whose reads share one transaction until the
    endpoint returns (``Store.for_request``; a stream it returns reads on its own).

    Async so that a request pays for worker threads only where it calls the store: a
    remembered token needs none, and the view is closed here without one when the endpoint
    left no transaction open (``in_thread``). A sync dependency cost two hand-offs to the
    thread pool per request, on top of the endpoint's own.
    """
    access, store, token = _request_view(request, credentials)
    try:
        user = access.remembered(token)
        if user is None:
            user = await anyio.to_thread.run_sync(access.user, token, store.authenticate_token)
        yield Caller(user, store, access)
    finally:
        if store.holds_reads:
            with anyio.CancelScope(shield=True):  # a client gone away must not leak the session
                await anyio.to_thread.run_sync(store.close)
        else:
            store.close()


async def reading_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """``current_caller`` for an endpoint that does all its store work through ``in_thread``
    (which ends the view's reads there), without a dependency that yields: FastAPI's
    machinery for one (an exit stack, cancel scopes, a context manager) was about a tenth
    of the server's CPU per application read.

    The token is authenticated (when not remembered) in a transaction of its own, ended
    before this returns, so an endpoint that never runs (a parameter refused) leaves
    nothing open.
    """
    access, store, token = _request_view(request, credentials)
    user = access.remembered(token)
    if user is None:

        def authenticate() -> User:
            try:
                return access.user(token, store.authenticate_token)
            finally:
                store.end_reads()

        # Not abandoned if the client goes away: the thread's own ``finally`` ends its reads.
        user = await anyio.to_thread.run_sync(authenticate)
    return Caller(user, store, access)


def _request_view(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> tuple[AccessCache, Store, str]:
    """This process's access cache, a view of the store for the request, and its token."""
    if credentials is None or not credentials.credentials:
        raise AuthError(
            "this endpoint needs 'Authorization: Bearer <token>'; get a token with "
            "POST /api/v1/login or `kapstan user token NAME`"
        )
    return state_of(request).access, store_of(request).for_request(), credentials.credentials


async def in_thread(caller: Caller, work: Callable[[], T]) -> T:
    """``work()`` (an endpoint's store calls and answer) in one worker thread, the caller's
    read transaction ended there too: the request then hands off to a thread once. For
    the hottest reads; an ``async def`` endpoint calls it, a plain ``def`` endpoint is
    already run in a thread."""

    def run() -> T:
        try:
            return work()
        finally:
            caller.store.close()

    return await anyio.to_thread.run_sync(run)


# scope="function": the view's transaction ends when the endpoint returns, not after the
# response is sent (an event stream would otherwise read one old snapshot for minutes).
CallerDep = Annotated[Caller, Depends(current_caller, scope="function")]
# For the hottest reads, whose endpoint is async and calls the store only in ``in_thread``.
ReaderDep = Annotated[Caller, Depends(reading_caller)]


def client_of_request(request: Request) -> ClientAddress:
    """The TCP peer, and whom a listed proxy forwards for (``kapstan.api.proxies``)."""
    peer = request.client.host if request.client else None
    return client_of(peer, request.headers, state_of(request).proxies)


def client_address(request: Request) -> str:
    """Whom the request counts against: the peer, or a listed proxy's client."""
    return client_of_request(request).address
