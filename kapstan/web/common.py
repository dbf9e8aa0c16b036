"""What every console page shares: the state, the session caller, CSRF, rendering, errors.

Pages call actions and the API's own permission checks (``kapstan.api.auth.Caller``),
never the REST API over HTTP. An error an action raises becomes an HTML page with the
status the API would give it (``kapstan.api.errors.status_of``); no session -> the login
page. Every POST needs the session's CSRF token (form field ``csrf`` or header
``X-CSRF-Token``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape

from kapstan.api.auth import Caller
from kapstan.api.errors import status_of
from kapstan.api.state import state_of, store_of
from kapstan.errors import AuthError, ForbiddenError, KapstanError
from kapstan.model.values import Value, display
from kapstan.web.sessions import COOKIE, CSRF_FIELD, CSRF_HEADER, Session, Sessions, same_token

HERE = Path(__file__).parent
STATIC = HERE / "static"
VENDOR_FILES = ("htmx.min.js", "sse.min.js")
PREFIX = "/ui"


def vendor_missing() -> list[str]:
    """Vendor assets not built (see web/package.json); the console then runs without JS."""
    return [name for name in VENDOR_FILES if not (STATIC / "vendor" / name).is_file()]


@dataclass
class WebState:
    templates: Environment


def new_state() -> WebState:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "svg"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["shown"] = _shown
    env.globals["prefix"] = PREFIX
    return WebState(env)


def _shown(value: Value) -> str:
    return display(value)


def web_of(request: Request) -> WebState:
    state = request.app.state.console
    assert isinstance(state, WebState)
    return state


def sessions_of(request: Request) -> Sessions:
    return Sessions(store_of(request))


def session_of(request: Request) -> Session | None:
    """The request's live session, read once per request (pages ask more than once)."""
    if not hasattr(request.state, "console_session"):
        request.state.console_session = sessions_of(request).get(request.cookies.get(COOKIE))
    found = request.state.console_session
    assert found is None or isinstance(found, Session)
    return found


class NeedLogin(AuthError):
    """No live session: the console answers with a redirect to the login page."""


@dataclass(frozen=True)
class PageCaller:
    """The caller (the API's permission checks) and their browser session."""

    caller: Caller
    session: Session

    @property
    def name(self) -> str:
        return self.caller.name


def page_caller(request: Request) -> PageCaller:
    session = session_of(request)
    if session is None:
        raise NeedLogin("log in to use the console")
    if session.account.disabled:
        sessions_of(request).end(session.id)
        request.state.console_session = None
        raise NeedLogin("this account is disabled; log in again")
    return PageCaller(Caller(session.account, store_of(request), state_of(request).access), session)


async def check_csrf(request: Request, session: Session) -> None:
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        given = field if isinstance(field, str) else None
    if not same_token(given, session.csrf):
        raise ForbiddenError("the form's CSRF token is missing or wrong; reload the page and retry")


async def posting_caller(request: Request) -> PageCaller:
    found = page_caller(request)
    await check_csrf(request, found.session)
    return found


ViewerDep = Annotated[PageCaller, Depends(page_caller)]
PosterDep = Annotated[PageCaller, Depends(posting_caller)]


def render(request: Request, page: str, code: int = 200, /, **context: Any) -> HTMLResponse:
    """Template ``page`` with the session's user and CSRF token in its context."""
    web = web_of(request)
    session = session_of(request)
    html = web.templates.get_template(page).render(
        request=request,
        user=session.user if session else None,
        csrf=session.csrf if session else "",
        vendor_ok=not vendor_missing(),
        **context,
    )
    return HTMLResponse(html, status_code=code)


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(PREFIX + path, status_code=303)


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class PageRoute(APIRoute):
    """A console route: KapstanError -> an HTML error page; no session -> the login page."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except NeedLogin:
                return redirect("/login")
            except KapstanError as exc:
                status = status_of(exc)
                return render(
                    request, "error.html", status, status_code=status, message=exc.message
                )

        return handle
