"""The console's pages: login and logout, the overview; the page groups it includes.

/ui/login /ui/logout             the login form (rate-limited), the end of a session
/ui                              environments (reachability), applications (search, health)
/ui/apps/...                     one application (``apps``), operations (``operations``),
                                 its live log tail and CPU/memory chart (``daytwo``)
/ui/templates /ui/configs        templates and configs (``catalog``)
/ui/approvals                    pending and recent approvals, approve/reject (``approvals``)
/ui/audit                        the audit log (``auditlog``)
/ui/clusters[/NAME]              the fleet: every cluster's health, one cluster (``fleet``)
/ui/apps/NAME/instances          the application in every environment (``instances``)
/ui/environments/NAME/quota      an environment's quota, used now; set or clear it (``quotas``)
/ui/rollouts[/ID]                rollouts across environments and rollout plans (``rollouts``)
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from kapstan.actions.environments import reach
from kapstan.actions.status import health_by_service
from kapstan.api import auditing
from kapstan.api.auth import client_of_request
from kapstan.api.errors import TooManyAttempts
from kapstan.api.state import clusters_of, state_of, store_of
from kapstan.errors import AuthError
from kapstan.web import (
    approvals,
    apps,
    auditlog,
    catalog,
    daytwo,
    deletions,
    fleet,
    instances,
    operations,
    quotas,
    rollouts,
)
from kapstan.web.common import (
    PREFIX,
    PageRoute,
    PosterDep,
    ViewerDep,
    redirect,
    render,
    sessions_of,
)
from kapstan.web.sessions import COOKIE, LOGIN_COOKIE, same_token

router = APIRouter(prefix=PREFIX, route_class=PageRoute, include_in_schema=False)
for group in (
    apps,
    operations,
    catalog,
    approvals,
    auditlog,
    deletions,
    fleet,
    daytwo,
    quotas,
    instances,
    rollouts,
):
    router.include_router(group.router)


def _login_form(request: Request, status: int = 200, error: str = "", user: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", status, login_csrf=token, error=error, login_user=user)
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=600,
        httponly=True,
        samesite="strict",
        path=f"{PREFIX}/login",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/login")
def login_page(request: Request) -> Response:
    return _login_form(request)


@router.post("/login")
def login(
    request: Request,
    user: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """A password for a session (5 failures a minute per user and address: 429)."""
    if not same_token(csrf, request.cookies.get(LOGIN_COOKIE, "")) or not csrf:
        return _login_form(request, 403, "the form expired; log in again", user)
    store, limiter = store_of(request), state_of(request).limiter
    client = client_of_request(request)
    address = client.address  # the peer, unless a listed proxy forwards for a client
    try:
        limiter.check(store, user, address)
        found = store.verify_password(user, password)
    except TooManyAttempts as exc:
        return _login_form(request, 429, exc.message, user)
    except AuthError:
        limiter.failed(store, user, address)
        return _login_form(request, 401, "wrong user name or password", user)
    limiter.succeeded(store, user, address)
    session = sessions_of(request).create(found.name)
    auditing.record(
        store, found.name, "console.login", kind="user", name=found.name, details=client.audit()
    )
    response = redirect("")
    response.set_cookie(
        COOKIE,
        session.id,
        httponly=True,
        samesite="strict",
        path=PREFIX,
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_COOKIE, path=f"{PREFIX}/login")
    return response


@router.post("/logout")
def logout(request: Request, viewer: PosterDep) -> Response:
    sessions_of(request).end(viewer.session.id)
    response = redirect("/login")
    response.delete_cookie(COOKIE, path=PREFIX)
    return response


@router.get("")
def overview(request: Request, viewer: ViewerDep, q: str = "") -> Response:
    """Environments with reachability; applications (searchable) with health per service."""
    caller = viewer.caller
    allowed = set(caller.environments_allowing("view"))
    envs = [e for e in caller.store.list_environments() if e.name in allowed]
    reachability = {e.name: reach(e) for e in envs}
    found = caller.store.find_applications(environments=allowed, search=q)
    clients = clusters_of(request).connect
    health = {a.name: health_by_service(caller.store, a.name, clients=clients) for a in found}
    return render(
        request,
        "overview.html",
        environments=envs,
        reachability=reachability,
        applications=found,
        health=health,
        q=q,
    )
