"""Diagnosing an app live: per service, its pods, events and failing logs; the app's events.

The console's application page, ``kapstan app events`` and the API's ``/diagnosis`` and
``/events`` read through here, and ``podlogs`` and ``usage`` start from the same scope
(``app_scope``: the app's environment and its selected services, checked by name).

Read live through ``kapstan.kube`` with the environment's kubeconfig and context. Pods are
those carrying the Kapstan labels (``kapstan.io/app``, ``kapstan.io/service``); events are
those about the service's pods, their owners and the service's rendered objects (Warning
first, newest first, at most ``MAX_EVENTS`` per service in a diagnosis); logs are the last
lines of containers that fail, or ``None`` when the node does not serve logs. In a diagnosis
a cluster that cannot be read gives every service the same message instead of failing the
page; ``app_events`` raises it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from kapstan.actions.clusters import environment_client
from kapstan.actions.rendering import RenderedAppVersion, render_application
from kapstan.actions.status import Connector
from kapstan.actions.storeports import RenderInputs
from kapstan.errors import InputError, KapstanError
from kapstan.health.objects import KubeObject, integer, items, mapping, text
from kapstan.health.pods import FAILING_REASONS, container_statuses, waiting_reason
from kapstan.kube import KubeClient, connect
from kapstan.kube.retries import RetryPolicy
from kapstan.render.labels import APP_LABEL, SERVICE_LABEL
from kapstan.store import Environment

MAX_EVENTS = 10
MAX_APP_EVENTS = 500  # ``app events``: a namespace's events are bounded by the apiserver's TTL
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
    service: str = ""


@dataclass(frozen=True)
class AppScope:
    """An app's environment and the services a read is about, with their rendered objects."""

    app: str
    environment: Environment
    objects: dict[str, set[tuple[str, str]]]  # service -> its rendered (kind, name)

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(self.objects)


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


def app_scope(
    store: RenderInputs,
    app: str,
    services: Sequence[str] = (),
    *,
    rendered_app: RenderedAppVersion | None = None,
) -> AppScope:
    """``app``'s environment and ``services`` (none: all); InputError naming an unknown one."""
    application = store.get_application(app)
    env = store.get_environment(application.environment)
    rendered = (rendered_app or render_application(store, app)).rendered.services
    unknown = sorted(set(services) - set(rendered))
    if unknown:
        raise InputError(
            f"application {app} has no service {', '.join(unknown)}; "
            f"its services: {', '.join(rendered)}"
        )
    chosen = [s for s in rendered if not services or s in services]
    return AppScope(app, env, {s: _object_names(rendered[s].objects) for s in chosen})


def open_cluster(
    scope: AppScope,
    clients: Connector = connect,
    *,
    timeout: float = CONNECT_TIMEOUT,
    retry: RetryPolicy = RETRY,
) -> AbstractContextManager[KubeClient]:
    """A client on the scope's environment's cluster, as its identity."""
    env = scope.environment
    return environment_client(env, clients, timeout=timeout, retry=retry)


def app_pods(kube: KubeClient, scope: AppScope) -> dict[str, list[KubeObject]]:
    """Each selected service's pods, by name."""
    pods = kube.list("v1", "Pod", scope.environment.namespace, labels={APP_LABEL: scope.app})
    out: dict[str, list[KubeObject]] = {s: [] for s in scope.services}
    for pod in sorted(pods, key=lambda p: text(p, "metadata", "name")):
        service = mapping(pod, "metadata", "labels").get(SERVICE_LABEL)
        if isinstance(service, str) and service in out:
            out[service].append(pod)
    return out


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
    scope = app_scope(store, app, rendered_app=rendered_app)
    out = {s: ServiceDiagnosis(s) for s in scope.services}
    try:
        with open_cluster(scope, clients) as kube:
            _read(kube, scope, out)
    except KapstanError as exc:
        message = f"cluster of environment {scope.environment.name} cannot be read: {exc.message}"
        for found in out.values():
            found.error = message
    return out


def app_events(
    store: RenderInputs,
    app: str,
    services: Sequence[str] = (),
    *,
    clients: Connector = connect,
    limit: int = MAX_APP_EVENTS,
) -> list[EventRow]:
    """The events of the services' objects and pods: Warning first, newest first, each row
    naming its service. A cluster that cannot be read is an error naming the environment."""
    scope = app_scope(store, app, services)
    try:
        with open_cluster(scope, clients) as kube:
            pods = app_pods(kube, scope)
            events = kube.list("v1", "Event", scope.environment.namespace)
    except KapstanError as exc:
        raise type(exc)(
            f"cluster of environment {scope.environment.name} cannot be read: {exc.message}"
        ) from exc
    owner = {
        about: service
        for service in scope.services
        for about in _involved(scope.objects[service], pods[service])
    }
    mine = _ordered([e for e in events if _about(e) in owner])
    return [_event_row(e, owner[_about(e)]) for e in mine[: max(0, limit)]]


def _object_names(objects: Sequence[KubeObject]) -> set[tuple[str, str]]:
    return {(text(o, "kind"), text(o, "metadata", "name")) for o in objects}


def _involved(objects: set[tuple[str, str]], pods: Sequence[KubeObject]) -> set[tuple[str, str]]:
    """What a service's events may be about: its objects, its pods and the pods' owners."""
    involved = set(objects)
    for pod in pods:
        involved.add(("Pod", text(pod, "metadata", "name")))
        for owner in items(pod, "metadata", "ownerReferences"):
            involved.add((text(owner, "kind"), text(owner, "name")))
    return involved


def _read(kube: KubeClient, scope: AppScope, out: dict[str, ServiceDiagnosis]) -> None:
    namespace = scope.environment.namespace
    pods = app_pods(kube, scope)
    events = kube.list("v1", "Event", namespace)
    for service, found in out.items():
        mine = pods[service]
        found.pods = [_pod_row(p) for p in mine]
        involved = _involved(scope.objects[service], mine)
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


def _ordered(events: Sequence[KubeObject]) -> list[KubeObject]:
    """Warning first, newest first within each type."""
    newest = sorted(events, key=_when, reverse=True)
    return sorted(newest, key=lambda e: text(e, "type") != "Warning")


def _recent(events: list[KubeObject]) -> list[EventRow]:
    """Warning first, newest first within each type, at most ``MAX_EVENTS``."""
    return [_event_row(e) for e in _ordered(events)[:MAX_EVENTS]]


def _event_row(e: KubeObject, service: str = "") -> EventRow:
    return EventRow(
        type=text(e, "type") or "Normal",
        reason=text(e, "reason"),
        object="/".join(_about(e)),
        message=text(e, "message"),
        count=integer(e, "count", default=1),
        when=_when(e),
        service=service,
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
