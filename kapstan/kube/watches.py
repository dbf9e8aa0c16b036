"""Bounded watches: one streamed request that the apiserver ends after ``timeout_seconds``.

lightkube's watch reconnects forever when the server closes the stream, which a caller
waiting for readiness cannot bound; so this is one plain streamed GET, closed as soon as
the caller stops iterating, with objects passed through as the dicts the server sent.

A watch is often read by a thread of its own (the engine's shared watches), still blocked
on its socket when the client is closed. Closing that socket under it would let the
reader's TLS layer read from whatever connection reuses the descriptor next; so a client
first ends its open watches (``OpenWatches.end``: the socket is shut down, which wakes
the reader with an end of stream) and waits, briefly, for their readers to let go.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import httpx2

from kapstan.errors import ClusterError
from kapstan.kube import errors
from kapstan.kube.resources import Kind, KubeObject

# The client gives up this long after the server should have closed the stream itself.
GRACE_SECONDS = 10.0
# How long closing a client waits for the readers of its watches to let go of them.
END_WAIT = 5.0


class OpenWatches:
    """The sockets of one client's watches being read, to end them before the client closes."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._sockets: dict[int, socket.socket] = {}
        self.ended = False  # the client is closing: no watch starts any more

    @contextmanager
    def reading(self, response: httpx2.Response) -> Iterator[None]:
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            yield
            return
        with self._changed:
            if self.ended:
                raise ClusterError("the client was closed while this watch started")
            self._sockets[id(sock)] = sock
        try:
            yield
        finally:
            with self._changed:
                self._sockets.pop(id(sock), None)
                self._changed.notify_all()

    def end(self) -> None:
        """Wake every reader with an end of stream, then wait (bounded) until they let go."""
        with self._changed:
            self.ended = True
            for sock in self._sockets.values():
                try:  # the plain socket's shutdown: the TLS state stays the reader's alone
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:
                    continue  # already closed by the server
            self._changed.wait_for(lambda: not self._sockets, END_WAIT)


def label_selector(labels: Mapping[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))


def watch_params(
    labels: Mapping[str, str] | None, resource_version: str | None, timeout_seconds: int
) -> dict[str, str]:
    params = {"watch": "true", "timeoutSeconds": str(max(1, timeout_seconds))}
    if labels:
        params["labelSelector"] = label_selector(labels)
    if resource_version:
        params["resourceVersion"] = resource_version
    return params


def stream(
    http: httpx2.Client,
    kind: Kind,
    namespace: str | None,
    params: dict[str, str],
    *,
    what: str,
    origin: str,
    identity: str | None = None,
    watching: OpenWatches | None = None,
) -> Iterator[tuple[str, KubeObject]]:
    """Yield (type, object) until the server ends the watch; errors become Kapstan errors.

    ``identity``: the identity impersonated, named when the cluster refuses the watch.
    ``watching``: where the client keeps its open watches, to end them when it closes.
    """
    seconds = float(params["timeoutSeconds"]) + GRACE_SECONDS
    timeout = httpx2.Timeout(seconds, connect=min(seconds, 10.0))
    watching = watching or OpenWatches()
    try:
        with http.stream("GET", kind.path(namespace), params=params, timeout=timeout) as resp:
            if resp.is_error:
                raise errors.from_response(resp, what, identity)
            with watching.reading(resp):
                yield from _events(resp.iter_lines(), what)
    except httpx2.TransportError as exc:
        raise errors.from_transport(exc, what, origin) from exc


def _events(lines: Iterator[str], what: str) -> Iterator[tuple[str, KubeObject]]:
    for line in lines:
        if not line.strip():
            continue
        event = json.loads(line)
        if event.get("type") == "ERROR":
            raise errors.from_status(event.get("object") or {}, what)
        if event.get("type") != "BOOKMARK":
            yield str(event["type"]), dict(event["object"])
