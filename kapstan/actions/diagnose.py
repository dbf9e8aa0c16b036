"""Diagnosing an app: per service, its pods, events and failing logs (the console shows it).

Read live through ``kapstan.kube`` with the environment's kubeconfig and context. Pods are
those carrying the Kapstan labels (``kapstan.io/app``, ``kapstan.io/service``); events are
those about the service's pods, their owners and the service's rendered objects (Warning
first, newest first, at most ``MAX_EVENTS``); logs are the last lines of containers that
fail, or ``None`` when the node does not serve logs (kwok's fake nodes). A cluster that
cannot be read gives every service the same message instead of failing the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kapstan.actions.rendering import RenderedAppVersion, render_application
from kapstan.actions.status import Connector
from kapstan.actions.storeports import RenderInputs
from kapstan.errors import KapstanError
from kapstan.health.objects import KubeObject, integer, items, mapping, text
from kapstan.health.pods import FAILING_REASONS, container_statuses, waiting_reason
from kapstan.kube import KubeClient, connect
from kapstan.kube.retries import RetryPolicy
from kapstan.render.labels import APP_LABEL, SERVICE_LABEL

MAX_EVENTS = 10
MAX_LOGS = 3  # failing containers whose logs are read, per service
LOG_LINES = 30
CONNECT_TIMEOUT = 5.0
RETRY = RetryPolicy(max_attempts=2, max_total=5.0)  # a page view must not wait long


@dataclass(frozen=True)
class PodRow:
    name: str
    phase: str
    ready: str  # "1/2"
    restarts: int
    node: str


@dataclass(frozen=True)
class EventRow:
    type: str
    reason: str
    object: str  # "Pod/api-5d8f-x2"
    message: str
    count: int
    when: str


@dataclass(frozen=True)
class LogBlock:
    pod: str
    container: str
    why: str
    lines: str | None  # None: the node does not serve logs
    error: str = ""


@dataclass
class ServiceDiagnosis:
    service: str
    pods: list[PodRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    logs: list[LogBlock] = field(default_factory=list)
    error: str = ""


def diagnose(
    store: RenderInputs,
    app: str,
    *,
    clients: Connector = connect,
    rendered_app: RenderedAppVersion | None = None,
) -> dict[str, ServiceDiagnosis]:
    """Per service of ``app``; on a cluster error every service carries its message.

    ``rendered_app``: ``app`` already rendered at its current versions, if the caller has it.
    """
    application = store.get_application(app)
    env = store.get_environment(application.environment)
    services = (rendered_app or render_application(store, app)).rendered.services
    names = {s: _object_names(r.objects) for s, r in services.items()}
    out = {s: ServiceDiagnosis(s) for s in names}
    try:
        with clients(
            env.kubeconfig,
            env.context,
            timeout=CONNECT_TIMEOUT,
            retry=RETRY,
            impersonate=env.impersonate,
        ) as kube:
            _read(kube, env.namespace, app, out, names)
    except KapstanError as exc:
        message = f"cluster of environment {env.name} cannot be read: {exc.message}"
        for found in out.values():
            found.error = message
    return out


def _object_names(objects: Sequence[KubeObject]) -> set[tuple[str, str]]:
    return {(text(o, "kind"), text(o, "metadata", "name")) for o in objects}


def _read(
    kube: KubeClient,
    namespace: str,
    app: str,
    out: dict[str, ServiceDiagnosis],
    names: Mapping[str, set[tuple[str, str]]],
) -> None:
    pods = kube.list("v1", "Pod", namespace, labels={APP_LABEL: app})
    events = kube.list("v1", "Event", namespace)
    for service, found in out.items():
        mine = [p for p in pods if mapping(p, "metadata", "labels").get(SERVICE_LABEL) == service]
        mine.sort(key=lambda p: text(p, "metadata", "name"))
        found.pods = [_pod_row(p) for p in mine]
        involved = set(names.get(service, set()))
        for pod in mine:
            involved.add(("Pod", text(pod, "metadata", "name")))
            for owner in items(pod, "metadata", "ownerReferences"):
                involved.add((text(owner, "kind"), text(owner, "name")))
        found.events = _recent([e for e in events if _about(e) in involved])
        found.logs = _failing_logs(kube, namespace, mine)


def _pod_row(pod: KubeObject) -> PodRow:
    statuses = items(pod, "status", "containerStatuses")
    ready = sum(1 for c in statuses if c.get("ready") is True)
    total = len(items(pod, "spec", "containers")) or len(statuses)
    return PodRow(
        name=text(pod, "metadata", "name"),
        phase=text(pod, "status", "phase") or "Unknown",
        ready=f"{ready}/{total}",
        restarts=sum(integer(c, "restartCount") for c in statuses),
        node=text(pod, "spec", "nodeName") or "(not scheduled)",
    )


def _about(event: KubeObject) -> tuple[str, str]:
    return text(event, "involvedObject", "kind"), text(event, "involvedObject", "name")


def _when(event: KubeObject) -> str:
    stamp = event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp")
    return str(stamp or text(event, "metadata", "creationTimestamp") or "")


def _recent(events: list[KubeObject]) -> list[EventRow]:
    """Warning first, newest first within each type, at most ``MAX_EVENTS``."""
    newest = sorted(events, key=_when, reverse=True)
    ordered = sorted(newest, key=lambda e: text(e, "type") != "Warning")
    return [_event_row(e) for e in ordered[:MAX_EVENTS]]


def _event_row(e: KubeObject) -> EventRow:
    return EventRow(
        type=text(e, "type") or "Normal",
        reason=text(e, "reason"),
        object="/".join(_about(e)),
        message=text(e, "message"),
        count=integer(e, "count", default=1),
        when=_when(e),
    )


def _failing(status: KubeObject) -> str:
    """Why a container status counts as failing, or "" when it does not."""
    reason = waiting_reason(status)
    if reason in FAILING_REASONS:
        return reason
    code = integer(status, "state", "terminated", "exitCode")
    if code:
        return f"exited with code {code}"
    if integer(status, "restartCount") and mapping(status, "lastState", "terminated"):
        return f"restarted {integer(status, 'restartCount')} times"
    return ""


def _failing_logs(kube: KubeClient, namespace: str, pods: Sequence[KubeObject]) -> list[LogBlock]:
    out: list[LogBlock] = []
    for pod in pods:
        name = text(pod, "metadata", "name")
        for status in container_statuses(pod):
            why = _failing(status)
            if not why or len(out) >= MAX_LOGS:
                continue
            container = text(status, "name")
            try:
                lines = kube.pod_logs(namespace, name, container, tail_lines=LOG_LINES)
            except KapstanError as exc:
                out.append(LogBlock(name, container, why, None, exc.message))
                continue
            out.append(LogBlock(name, container, why, lines))
    return out
