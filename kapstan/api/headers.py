"""Security headers on every HTTP response of the API.

    X-Content-Type-Options: nosniff     a browser never guesses another content type
    Referrer-Policy: no-referrer        no URL (with its ids and query) leaks onward
    X-Frame-Options: DENY               no page of ours inside someone else's frame
    Content-Security-Policy             on JSON, event streams and plain text: nothing
                                        may load, nothing may frame it

A header the response already carries is kept: a console page sets its own policy.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DATA_TYPES = ("application/json", "application/problem+json", "text/event-stream", "text/plain")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_headers(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, sending)


def add_headers(headers: MutableHeaders) -> None:
    for name, value in ALWAYS.items():
        headers.setdefault(name, value)
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in DATA_TYPES or kind.endswith("+json") or not kind:
        headers.setdefault("Content-Security-Policy", DATA_POLICY)
