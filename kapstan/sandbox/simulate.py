"""What a test does to a running sandbox's fake workloads: write their logs, set their usage.

    append_log(state, "shop", "web-5d9c-x2x", "web", ["GET / 200", "GET /cart 500"])
    set_usage(state, "shop", "app=web", cpu="500m", memory="64Mi")

Both act through the same components a real cluster uses (kwok's Logs and
ClusterResourceUsage objects in the apiserver), so what Kapstan then reads — the pod log
endpoint, ``metrics.k8s.io`` — is served by the real apiserver and metrics-server.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

from kapstan.errors import SandboxError
from kapstan.sandbox import api, certs, crds, podlogs, usage
from kapstan.sandbox.cluster import SandboxState

LOGS_SERVED_TIMEOUT = 30.0
_POLL = 0.1


def _client(state: SandboxState) -> api.SandboxClient:
    return api.SandboxClient(state.server, certs.paths(Path(state.directory) / "pki"))


def _pod(client: api.SandboxClient, namespace: str, pod: str) -> dict[str, Any]:
    obj = client.get(f"/api/v1/namespaces/{namespace}/pods/{pod}")
    if obj is None:
        raise SandboxError(f"no pod {namespace}/{pod} on the sandbox to write log lines for")
    return obj


def append_log(
    state: SandboxState,
    namespace: str,
    pod: str,
    container: str,
    lines: Iterable[str],
    *,
    stream: podlogs.Stream = "stdout",
    previous: bool = False,
    at: dt.datetime | None = None,
) -> Path:
    """Append ``lines`` to a container's log, as if it printed them at ``at`` (default now).

    ``previous``: to the log of the container before its last restart (``kubectl logs -p``).
    Returns the file written. The first call for a pod points kwok at the pod's files and
    waits until kwok's kubelet server serves them, so a read right after sees the lines.
    """
    text = podlogs.cri_lines(lines, stream, at or dt.datetime.now(dt.UTC))
    client = _client(state)
    try:
        obj = _pod(client, namespace, pod)
        names = [c["name"] for c in obj["spec"].get("containers", [])]
        names += [c["name"] for c in obj["spec"].get("initContainers", [])]
        if container not in names:
            raise SandboxError(
                f"pod {namespace}/{pod} has no container {container!r} (it has {', '.join(names)})"
            )
        d = Path(state.directory)
        uid = obj["metadata"]["uid"]
        target = podlogs.container_file(d, namespace, pod, uid, container, previous)
        fresh = not target.parent.exists()
        for name in names:  # every container's current log exists, empty if it said nothing
            current = podlogs.container_file(d, namespace, pod, uid, name)
            current.parent.mkdir(parents=True, exist_ok=True)
            current.touch()
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a") as f:
            f.write(text)
        if fresh or previous:
            logs = podlogs.logs_object(d, obj)
            client.apply(crds.path("Logs", pod, namespace), logs)
            _wait_served(state, namespace, pod, container, previous, text)
    finally:
        client.close()
    return target


def _wait_served(
    state: SandboxState, namespace: str, pod: str, container: str, previous: bool, text: str
) -> None:
    """Until kwok's server answers for this container with the lines just written."""
    last_line = text.rstrip("\n").rsplit("\n", 1)[-1].split(" ", 3)[-1]
    url = f"http://127.0.0.1:{state.kwok_port}/containerLogs/{namespace}/{pod}/{container}"
    params = {"tailLines": "1", **({"previous": "true"} if previous else {})}
    deadline = time.monotonic() + LOGS_SERVED_TIMEOUT
    answer = "no answer"
    with httpx.Client(timeout=5.0) as http:
        while time.monotonic() < deadline:
            try:
                r = http.get(url, params=params)
                answer = f"HTTP {r.status_code} {r.text[:200]!r}"
                if r.status_code == 200 and last_line in r.text:
                    return
            except httpx.TransportError as exc:
                answer = type(exc).__name__
            time.sleep(_POLL)
    raise SandboxError(
        f"kwok did not serve the log of {namespace}/{pod}/{container} within "
        f"{LOGS_SERVED_TIMEOUT:.0f}s ({answer}); kwok's log: {state.directory}/logs/kwok.log"
    )


def set_usage(
    state: SandboxState,
    namespace: str,
    selector: str | Mapping[str, str],
    *,
    cpu: str | None = None,
    memory: str | None = None,
    network: str | None = None,
) -> None:
    """Make every container of the pods matching ``selector`` use ``cpu`` / ``memory``.

    ``selector`` is label equality (``"app=web,tier=api"`` or a mapping). It holds for pods
    created later too (an HPA's new replicas). A later call for the same namespace and
    selector replaces the earlier one. kwok computes the usage on each scrape; metrics-server
    (``up(metrics=True)``) shows it within one or two of its 10 s scrapes.

    ``network``: bytes received per second by each container (e.g. "20Mi"), served per pod
    as the custom metric ``network_receive_bytes_per_second`` (``up(custom_metrics=True)``).
    """
    labels = usage.parse_selector(selector)
    client = _client(state)
    try:
        rules = usage.read_rules(client.get(usage.object_path()))
        rules = usage.merge_rule(rules, namespace, labels, cpu, memory, network)
        client.apply(usage.object_path(), usage.usage_object(rules))
    finally:
        client.close()
