"""Errors at the HTTP edge: every KapstanError subclass -> one status, here and nowhere else.

Every error body is ``{"error": {"type": ..., "message": ...}}``; the message is the one
the action raised (it names what is at fault and what to do). Unknown exceptions become a
500 with a generic message; the stack trace goes to the log, never to the client.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kapstan import errors

log = logging.getLogger("kapstan.api")


class TooManyAttempts(errors.KapstanError):
    """Too many failed attempts (logins); wait ``retry_after`` seconds. HTTP only: 429."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLarge(errors.KapstanError):
    """A request body over a route's own limit. HTTP only: 413."""


# Most specific first: the first class an error is an instance of decides its status.
STATUSES: tuple[tuple[type[errors.KapstanError], int], ...] = (
    (TooManyAttempts, 429),
    (PayloadTooLarge, 413),
    (errors.InputError, 422),
    (errors.NotFoundError, 404),
    (errors.ConflictError, 409),
    (errors.AuthError, 401),
    (errors.ForbiddenError, 403),
    (errors.ApprovalRequiredError, 202),
    (errors.ClusterError, 502),
    (errors.StoreError, 503),
    (errors.SecretKeyError, 500),
    (errors.KapstanError, 500),
)


def status_of(exc: errors.KapstanError) -> int:
    return next(status for kind, status in STATUSES if isinstance(exc, kind))


def error_body(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, **extra}}


def error_response(
    status: int, kind: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(error_body(kind, message, **extra), status_code=status, headers=headers)


def _kapstan_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.KapstanError)
    status = status_of(exc)
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, errors.ApprovalRequiredError):
        extra["approvalId"] = getattr(exc, "approval_id", None)
    if isinstance(exc, errors.AuthError):
        headers["WWW-Authenticate"] = "Bearer"
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, int | float):
        headers["Retry-After"] = str(max(1, round(retry_after)))
    if status >= 500:
        log.warning("%s: %s", type(exc).__name__, exc.message)
    return error_response(status, type(exc).__name__, exc.message, headers or None, **extra)


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for item in exc.errors():
        where = ".".join(str(part) for part in item.get("loc", ()))
        problems.append(f"{where}: {item.get('msg', 'invalid')}")
    message = "the request is not valid: " + "; ".join(problems)
    return error_response(422, "InputError", message)


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    kind = {404: "NotFoundError", 405: "MethodNotAllowed", 401: "AuthError"}.get(
        exc.status_code, "HTTPError"
    )
    message = str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = "no such endpoint; the API is described at /openapi.json"
    return error_response(exc.status_code, kind, message, dict(exc.headers or {}) or None)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.KapstanError, _kapstan_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(CatchAllMiddleware)


class CatchAllMiddleware:
    """Any exception no handler took: logged with its trace, answered with a generic 500.

    (Starlette's own last-resort handler re-raises after answering; this one does not.)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = error_response(
                500, "InternalError", "internal error; the server log has the details"
            )
            await response(scope, receive, send)
