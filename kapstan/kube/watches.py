"""Bounded watches: one streamed request that the apiserver ends after ``timeout_seconds``.

lightkube's watch reconnects forever when the server closes the stream, which a caller
waiting for readiness cannot bound; so this is one plain streamed GET, closed as soon as
the caller stops iterating, with objects passed through as the dicts the server sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

import httpx2

from kapstan.kube import errors
from kapstan.kube.resources import Kind, KubeObject

# The client gives up this long after the server should have closed the stream itself.
GRACE_SECONDS = 10.0


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
) -> Iterator[tuple[str, KubeObject]]:
    """Yield (type, object) until the server ends the watch; errors become Kapstan errors.

    ``identity``: the identity impersonated, named when the cluster refuses the watch.
    """
    seconds = float(params["timeoutSeconds"]) + GRACE_SECONDS
    timeout = httpx2.Timeout(seconds, connect=min(seconds, 10.0))
    try:
        with http.stream("GET", kind.path(namespace), params=params, timeout=timeout) as resp:
            if resp.is_error:
                raise errors.from_response(resp, what, identity)
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
