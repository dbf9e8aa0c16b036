"""The request body limits: a larger body is refused with 413, a JSON body nested deeper
than the YAML limit (``kapstan.render.yamlsafety``) with 422, before any handler runs.

The body is read here (up to the limit) and handed on whole, so a handler never sees a
partial body and a client that lies in Content-Length (or sends none) is still bounded.
The depth is counted on the bytes, before the JSON parser and the handlers recurse.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kapstan.api.errors import error_response
from kapstan.render.yamlsafety import DEFAULT_LIMITS, json_too_deep

DEFAULT_MAX_BODY = 1024 * 1024
MAX_JSON_DEPTH = DEFAULT_LIMITS.max_depth
log = logging.getLogger("kapstan.api")


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        try:
            declared = _content_length(scope)
            if declared is not None and declared > self.max_body:
                raise BodyTooLarge
            body = await self._read(receive)
        except BodyTooLarge:
            log.warning(
                "refused %s %s: body over %d bytes", scope["method"], scope["path"], self.max_body
            )
            response = error_response(
                413,
                "PayloadTooLarge",
                f"the request body is larger than {self.max_body} bytes; send less "
                "(split a large config into several requests)",
            )
            await response(scope, receive, send)
            return
        if _may_be_json(scope) and json_too_deep(body, MAX_JSON_DEPTH):
            log.warning("refused %s %s: JSON nested too deep", scope["method"], scope["path"])
            response = error_response(
                422,
                "InputError",
                f"the request body nests arrays and objects more than {MAX_JSON_DEPTH} levels "
                "deep; send flatter JSON",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _may_be_json(scope: Scope) -> bool:
    """Any body but a form's: FastAPI reads a body without a type as JSON, and the webhook
    parses its body as JSON whatever the type says."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return not value.lower().startswith((b"multipart/", b"application/x-www-form"))
    return True


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect, as usual

    return replay
