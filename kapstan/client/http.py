"""``ApiClient``: the Kapstan server's HTTP API as Python calls, errors as ``KapstanError``.

The server answers every error as ``{"error": {"type": ..., "message": ...}}`` where
``type`` names a class of ``kapstan.errors``; the client raises that class again, so the
CLI prints the server's message and exits as it would have locally. A server that
cannot be reached, or answers something that is not the Kapstan API, raises
``ServerError`` naming the URL.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from kapstan import errors

API = "/api/v1"
PAGE = 500  # the server's largest page: lists come in as few requests as possible
DEFAULT_TIMEOUT = 30.0
RECONNECTS = 5  # attempts in a row to pick a cut event stream up again
RECONNECT_PAUSE = 0.5  # seconds, times the attempt number

# The status decides when a body carries no known type (a proxy's 502, say).
_BY_STATUS: dict[int, type[errors.KapstanError]] = {
    400: errors.InputError,
    401: errors.AuthError,
    403: errors.ForbiddenError,
    404: errors.NotFoundError,
    409: errors.ConflictError,
    413: errors.InputError,
    422: errors.InputError,
    429: errors.ConflictError,
}


class ServerError(errors.KapstanError):
    """The Kapstan server could not be reached or did not answer as the API does."""


def _error_classes() -> dict[str, type[errors.KapstanError]]:
    found: dict[str, type[errors.KapstanError]] = {}
    pending: list[type[errors.KapstanError]] = [errors.KapstanError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


def path(*parts: str | int) -> str:
    """``/api/v1/a/b``: each part quoted, so a name never changes the route."""
    return API + "".join("/" + quote(str(p), safe="") for p in parts)


def check_server_url(url: str) -> str:
    """The base URL without a trailing slash; InputError for anything but http(s)://host."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise errors.InputError(
            f"server URL {url!r} is not valid: give http://HOST:PORT or https://HOST:PORT"
        )
    return url.strip().rstrip("/")


def _verify(base_url: str) -> ssl.SSLContext | bool:
    """How TLS is verified: httpx's default (the CA bundle) for an https:// server.

    A plain http:// server never uses TLS, and loading the CA bundle costs about 0.1 s of
    every command's start-up. Its context trusts no certificate at all, so should TLS ever
    be reached through it (the client does not follow redirects), it fails closed.
    """
    if urlsplit(base_url).scheme == "https":
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


@dataclass(frozen=True)
class Event:
    """One Server-Sent Event: its ``event`` name and JSON ``data``."""

    name: str
    data: Any
    id: str | None = None


class ApiClient:
    """Calls on ``base_url`` with ``Authorization: Bearer <token>``; a context manager."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = check_server_url(base_url)
        headers = {"Accept": "application/json", "User-Agent": "kapstan-cli"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=timeout,
            transport=transport,
            verify=_verify(self.base_url),
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- plain calls -------------------------------------------------------------------

    def get(self, url: str, **params: Any) -> Any:
        return self.request("GET", url, params=params)

    def post(self, url: str, body: Any = None, *, wait: float | None = None, **params: Any) -> Any:
        """``wait``: seconds the server may take to answer (a call that waits on a cluster),
        instead of the client's default."""
        return self.request("POST", url, body=body, params=params, wait=wait)

    def put(self, url: str, body: Any = None) -> Any:
        return self.request("PUT", url, body=body)

    def patch(self, url: str, body: Any = None) -> Any:
        return self.request("PATCH", url, body=body)

    def delete(self, url: str) -> Any:
        return self.request("DELETE", url)

    def request(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        wait: float | None = None,
    ) -> Any:
        """The decoded JSON answer of a 2xx; otherwise the server's error, raised."""
        timeout = (
            httpx.USE_CLIENT_DEFAULT if wait is None else httpx.Timeout(DEFAULT_TIMEOUT, read=wait)
        )
        try:
            response = self._http.request(
                method, url, json=body, params=_params(params or {}), timeout=timeout
            )
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        return self._decode(response)

    def text(self, url: str, **params: Any) -> str:
        """A 2xx answer's body as text (an export, say); otherwise the server's error."""
        try:
            response = self._http.get(url, params=_params(params))
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        if not response.is_success:
            self._decode(response)
        return response.text

    def pages(self, url: str, **params: Any) -> list[Any]:
        """Every item of a paged list, following ``next`` to the end."""
        items: list[Any] = []
        offset: int | None = 0
        while offset is not None:
            page = self.get(url, **params, limit=PAGE, offset=offset)
            items.extend(page["items"])
            offset = page.get("next")
        return items

    # --- server-sent events ------------------------------------------------------------

    def events(self, url: str, *, timeout: float, reconnects: int = RECONNECTS) -> Iterator[Event]:
        """The events of a stream as they arrive; stops when the server ends it.

        The stream ends with the server's ``end`` event. One cut before it (a restart,
        a proxy timing out) is picked up again with ``Last-Event-ID``, so no event is
        lost or repeated; after ``reconnects`` failed attempts in a row the error is raised.
        """
        last_id: str | None = None
        failures = 0
        while True:
            headers = {"Accept": "text/event-stream"}
            if last_id is not None:
                headers["Last-Event-ID"] = last_id
            try:
                with self._http.stream(
                    "GET",
                    url,
                    headers=headers,
                    timeout=httpx.Timeout(DEFAULT_TIMEOUT, read=timeout),
                ) as response:
                    if response.status_code >= 400:
                        response.read()
                        self._decode(response)
                    for event in _parse_events(response.iter_lines()):
                        failures = 0
                        if event.id is not None:
                            last_id = event.id
                        yield event
                        if event.name == "end":
                            return
                # Closed before the server's ``end`` event: a cut, not the end.
                cut: httpx.HTTPError = httpx.RemoteProtocolError("the event stream was cut")
            except httpx.TransportError as exc:
                cut = exc
            except httpx.HTTPError as exc:
                raise self._unreachable(exc) from exc
            failures += 1
            if failures > reconnects:
                raise self._unreachable(cut) from cut
            time.sleep(RECONNECT_PAUSE * failures)

    # --- answers -----------------------------------------------------------------------

    def _unreachable(self, exc: httpx.HTTPError) -> ServerError:
        return ServerError(
            f"cannot reach the Kapstan server at {self.base_url}: {exc or type(exc).__name__}; "
            "check --server / $KAPSTAN_SERVER and that `kapstan server` runs there"
        )

    def _decode(self, response: httpx.Response) -> Any:
        try:
            data = response.json() if response.content else None
        except ValueError:
            data = None
        if response.is_success:
            if response.content and data is None:
                raise ServerError(
                    f"{self.base_url} answered {response.request.method} "
                    f"{response.request.url.path} with something that is not JSON; "
                    "is it a Kapstan server?"
                )
            return data
        raise self._error(response, data)

    def _error(self, response: httpx.Response, data: Any) -> errors.KapstanError:
        status = response.status_code
        detail = data.get("error") if isinstance(data, dict) else None
        if not isinstance(detail, dict) or not isinstance(detail.get("message"), str):
            return ServerError(
                f"{self.base_url} answered {response.request.method} "
                f"{response.request.url.path} with HTTP {status}; is it a Kapstan server?"
            )
        message: str = detail["message"]
        cls = _error_classes().get(str(detail.get("type")))
        if cls is None or cls is errors.KapstanError:
            cls = _BY_STATUS.get(status, ServerError)
        if status == 401 and cls is errors.AuthError:
            message += "; pass a token with --token or $KAPSTAN_TOKEN, or run `kapstan login`"
        error = cls(message)
        if isinstance(error, errors.ApprovalRequiredError):
            error.approval_id = detail.get("approvalId")  # type: ignore[attr-defined]
        return error


def _params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Query parameters without the unset ones; booleans as the server reads them."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None or value == []:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return out


def _parse_events(lines: Iterator[str]) -> Iterator[Event]:
    name, event_id = "message", None
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                text = "\n".join(data)
                try:
                    payload: Any = json.loads(text)
                except ValueError:
                    payload = text
                yield Event(name, payload, event_id)
            name, data, event_id = "message", [], None
            continue
        if line.startswith(":"):
            continue  # a keep-alive comment
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
        elif field == "id":
            event_id = value
