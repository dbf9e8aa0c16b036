"""A container's log as a stream of lines: one streamed GET on the pod's ``log`` endpoint.

lightkube's ``log`` reads with the client's fixed timeout, which a ``follow`` that waits
quietly for the next line would hit; so this is one plain streamed request, its socket
registered with the client's open watches (``watches.OpenWatches``) so that closing the
client ends it at once, from any thread. A line longer than ``MAX_LINE`` characters is
cut there (a runaway line must not hold the reader's memory). A follow is bounded by
``FOLLOW_IDLE`` seconds without a byte: its caller reopens it.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping

import httpx2

from kapstan.kube import errors, watches

MAX_LINE = 16 * 1024
READ_TIMEOUT = 30.0  # without follow the kubelet answers at once
# A follow that receives nothing this long fails with ClusterUnavailableError (a timeout),
# like a watch that ends: the caller opens it again. So no read waits unbounded, even one
# still waiting for the answer's headers (its socket is not yet known to ``watching``).
FOLLOW_IDLE = 5.0
CONNECT_TIMEOUT = 10.0


def log_params(
    container: str | None,
    *,
    follow: bool,
    tail_lines: int | None,
    since_seconds: int | None,
    previous: bool,
    timestamps: bool,
) -> dict[str, str]:
    """The query of ``GET .../pods/NAME/log`` (the Kubernetes names, unset ones left out)."""
    params = {"follow": str(follow).lower(), "timestamps": str(timestamps).lower()}
    if container:
        params["container"] = container
    if tail_lines is not None:
        params["tailLines"] = str(max(0, tail_lines))
    if since_seconds is not None:
        params["sinceSeconds"] = str(max(1, since_seconds))
    if previous:
        params["previous"] = "true"
    return params


def stream_lines(
    http: httpx2.Client,
    path: str,
    params: Mapping[str, str],
    *,
    what: str,
    origin: str,
    identity: str | None,
    watching: watches.OpenWatches,
) -> Generator[str, None, None]:
    """Each line (without its newline) until the server ends the log or the client closes."""
    follow = params.get("follow") == "true"
    timeout = httpx2.Timeout(FOLLOW_IDLE if follow else READ_TIMEOUT, connect=CONNECT_TIMEOUT)
    try:
        with http.stream("GET", path, params=dict(params), timeout=timeout) as resp:
            if resp.is_error:
                resp.read()
                raise errors.from_response(resp, what, identity)
            with watching.reading(resp):
                for line in resp.iter_lines():
                    yield line[:MAX_LINE]
    except httpx2.TransportError as exc:
        if watching.ended:  # the client was closed under the reader: the end, not a fault
            return
        raise errors.from_transport(exc, what, origin) from exc
