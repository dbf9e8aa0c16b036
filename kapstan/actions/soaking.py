"""A canary's soak: its pods must stay Ready for the soak time, watched, not slept through.

    watch Pods labelled kapstan.io/app=<app> in its namespace   (each watch <= 60 s, re-opened
        -> every pod seen (ADDED at the start of each watch, MODIFIED as it changes)
        -> one not Ready (and not going away) fails the soak, naming its service and why
    until the deadline

Bounded: each watch ends by the server's timeout (at most the time left), and the loop
ends at the deadline. A pod being deleted (a blue-green retirement) or one that completed
(a Job's) is no failure.
"""

from __future__ import annotations

from dataclasses import dataclass

from kapstan.actions.clusters import connect_environment
from kapstan.actions.storeports import EnvironmentReads
from kapstan.engine.ports import Clock
from kapstan.model.rendered import KubeObject
from kapstan.render.labels import APP_LABEL, SERVICE_LABEL

MAX_WATCH = 60  # seconds one watch stays open; the next starts where the soak stands


@dataclass(frozen=True)
class Soaked:
    """How the soak ended: ``ok``, or the first pod that was not Ready and why."""

    ok: bool
    message: str


def unready(pod: KubeObject) -> str:
    """Why ``pod`` is not Ready ("" when it is, or when it is going away or completed)."""
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    if meta.get("deletionTimestamp") or status.get("phase") == "Succeeded":
        return ""
    for c in status.get("conditions") or []:
        if c.get("type") == "Ready":
            if c.get("status") == "True":
                return ""
            why = c.get("reason") or c.get("message") or "Ready is " + str(c.get("status"))
            break
    else:
        why = f"phase {status.get('phase') or 'unknown'}, no Ready condition yet"
    waiting = [
        f"{cs.get('name')}: {(cs.get('state') or {}).get('waiting', {}).get('reason')}"
        for cs in status.get("containerStatuses") or []
        if (cs.get("state") or {}).get("waiting")
    ]
    labels = meta.get("labels") or {}
    service = labels.get(SERVICE_LABEL, "?")
    return f"service {service}: pod {meta.get('name')} is not Ready ({'; '.join([why, *waiting])})"


def soak(
    store: EnvironmentReads, environment: str, app: str, seconds: float, clock: Clock
) -> Soaked:
    """Watch ``app``'s pods in ``environment`` for ``seconds``: all must stay Ready."""
    env = store.get_environment(environment)
    deadline = clock.monotonic() + seconds
    seen = 0
    with connect_environment(env) as cluster:
        while (left := deadline - clock.monotonic()) > 0:
            window = max(1, min(MAX_WATCH, int(left + 0.999)))
            for _, pod in cluster.watch(
                "v1", "Pod", env.namespace, labels={APP_LABEL: app}, timeout_seconds=window
            ):
                seen += 1
                why = unready(pod)
                if why:
                    return Soaked(False, why)
                if clock.monotonic() >= deadline:
                    break
    return Soaked(True, f"every pod of {app} stayed Ready for {seconds:g}s ({seen} seen)")
