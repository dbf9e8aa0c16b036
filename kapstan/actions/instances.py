"""An application across clusters: its instances in every environment, side by side.

What the instances of one application are: application names are unique in the store, and
``app promote`` copies an application into another environment under a new name
(``<app>-<environment>`` by default) at the same template. So the instances of application
A are the applications of A's template, in every environment: A's *family*, named after
the template. ``lineage`` narrows them to A's promotion line: the applications of that
template whose name is A's root followed by ``-<environment>`` suffixes (``shop``,
``shop-staging``, ``shop-prod``, ``shop-staging-prod``), the root being A's name without
such suffixes. An application promoted under a name of its own (``--as``) is in the
family, not in the lineage. The CLI (``app instances``), the API
(``/applications/{app}/instances``) and the console (``/ui/apps/{app}/instances``) all
show this one set, less the environments the caller may not view.

Per instance:

    versions    the template@version and config version it is pinned to (a config that
                follows its latest version: that version), and the last deployed release
                (the versions its newest deployed revision ran; ``current`` when every
                service's last revision is deployed at the pinned versions)
    health      read live (``status.app_status``), every instance at once, within
                ``timeout`` overall; an instance whose cluster did not answer says why,
                and the others are still shown
    drift       the last drift check of each service (the ``drift`` table); a check of a
                revision since replaced is not counted (the new revision re-applied it)
    operation   the last operation: kind, status, who, when
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kapstan.actions.clusters import server_of
from kapstan.actions.status import Connector, ServiceStatus, app_status
from kapstan.actions.storeports import InstanceReads, StateReads
from kapstan.errors import ClusterError, KapstanError
from kapstan.health import HealthStatus
from kapstan.kube import connect
from kapstan.model.operation import Operation
from kapstan.model.records import Application, Environment, Revision

TIMEOUT = 10.0  # seconds: the view never waits longer for a slow cluster
MAX_READERS = 8  # clusters read at once
_RANK = {
    HealthStatus.FAILED: 0,
    HealthStatus.MISSING: 1,
    HealthStatus.UNKNOWN: 2,
    HealthStatus.PROGRESSING: 3,
    HealthStatus.HEALTHY: 4,
}


@dataclass(frozen=True)
class Release:
    """The last deployed release: the versions the newest deployed revision ran."""

    template_version: int
    config_version: int
    deployed_at: datetime
    current: bool  # every service's last revision is deployed at the pinned versions


@dataclass(frozen=True)
class InstanceHealth:
    """The services' health read live; ``error``: why it could not be read (then UNKNOWN)."""

    status: HealthStatus
    ready: int = 0
    desired: int = 0
    message: str = ""
    error: str = ""
    reachable: bool = True  # False: its cluster refused the connection or did not answer


@dataclass(frozen=True)
class InstanceDrift:
    """The last drift checks: the services found drifted; None never checked."""

    drifted: tuple[str, ...]
    checked_at: datetime | None

    @property
    def state(self) -> str:
        if self.drifted:
            return "drifted"
        return "in sync" if self.checked_at is not None else "not checked"


@dataclass(frozen=True)
class Instance:
    application: Application
    environment: Environment
    cluster: str  # the registered cluster's name, else the server its kubeconfig names
    config_version: int  # pinned, or the config's latest when it follows it
    release: Release | None  # None: never deployed
    health: InstanceHealth
    drift: InstanceDrift
    last_operation: Operation | None

    @property
    def healthy(self) -> bool:
        return self.health.status is HealthStatus.HEALTHY


@dataclass(frozen=True)
class InstancesView:
    app: str  # the application asked for
    template: str  # the family's name
    lineage: bool
    instances: tuple[Instance, ...]

    @property
    def unhealthy(self) -> list[str]:
        return [i.application.name for i in self.instances if not i.healthy]

    @property
    def drifted(self) -> list[str]:
        return [i.application.name for i in self.instances if i.drift.drifted]


def lineage_root(name: str, environments: Iterable[str]) -> str:
    """``name`` without its ``-<environment>`` suffixes (``shop-staging-prod`` -> ``shop``)."""
    suffixes = sorted((f"-{e}" for e in environments), key=len, reverse=True)
    root = name
    while True:
        cut = next((s for s in suffixes if root.endswith(s) and len(root) > len(s)), None)
        if cut is None:
            return root
        root = root[: -len(cut)]


def family(
    store: StateReads,
    app: str,
    *,
    lineage: bool = False,
    environments: Collection[str] | None = None,
) -> list[Application]:
    """The instances of ``app`` (see the module's docstring), in the order the environments
    were created; only those in ``environments`` when given (what a caller may view)."""
    anchor = store.get_application(app)
    envs = sorted(store.list_environments(), key=lambda e: (e.created_at, e.name))
    order = {e.name: i for i, e in enumerate(envs)}
    names = [e.name for e in envs]
    root = lineage_root(anchor.name, names)
    found = [
        a
        for a in store.list_applications()
        if a.template == anchor.template
        and (environments is None or a.environment in environments)
        and (not lineage or lineage_root(a.name, names) == root)
    ]
    return sorted(found, key=lambda a: (order.get(a.environment, len(order)), a.name))


def families(
    store: StateReads, environments: Collection[str] | None = None
) -> dict[str, list[Application]]:
    """Template -> its applications (in ``environments`` when given), for an overview; no
    cluster is read."""
    out: dict[str, list[Application]] = {}
    for a in sorted(store.list_applications(), key=lambda a: a.name):
        if environments is None or a.environment in environments:
            out.setdefault(a.template, []).append(a)
    return dict(sorted(out.items()))


def app_instances(
    store: InstanceReads,
    app: str,
    *,
    lineage: bool = False,
    environments: Collection[str] | None = None,
    timeout: float = TIMEOUT,
    clients: Connector = connect,
) -> InstancesView:
    """Every instance of ``app`` with its versions, live health, drift and last operation."""
    anchor = store.get_application(app)
    members = family(store, app, lineage=lineage, environments=environments)
    healths = _healths(store, members, timeout, clients)
    instances = tuple(_instance(store, a, healths[a.name]) for a in members)
    return InstancesView(anchor.name, anchor.template, lineage, instances)


def _healths(
    store: InstanceReads, apps: Sequence[Application], timeout: float, clients: Connector
) -> dict[str, InstanceHealth]:
    """Each application's health, read in parallel, all within ``timeout`` seconds."""
    if not apps:
        return {}
    pool = ThreadPoolExecutor(max_workers=min(MAX_READERS, len(apps)))
    try:
        futures: dict[str, Future[list[ServiceStatus]]] = {
            a.name: pool.submit(app_status, store, a.name, clients=clients, timeout=timeout)
            for a in apps
        }
        wait(futures.values(), timeout=timeout)
        out = {}
        for a in apps:
            future = futures[a.name]
            if not future.done():
                why = f"no answer from its cluster within {timeout:g}s"
                out[a.name] = InstanceHealth(HealthStatus.UNKNOWN, error=why, reachable=False)
                continue
            error = future.exception()
            if isinstance(error, KapstanError):  # a render error too: then the cluster may be up
                reachable = not isinstance(error, ClusterError)
                out[a.name] = InstanceHealth(
                    HealthStatus.UNKNOWN, error=error.message, reachable=reachable
                )
            else:
                out[a.name] = _summed(future.result())  # any other exception is a bug: raised
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a late read ends at its own timeout
    return out


def _summed(statuses: list[ServiceStatus]) -> InstanceHealth:
    ready = sum(s.ready for s in statuses)
    desired = sum(s.desired for s in statuses)
    if not statuses:
        return InstanceHealth(HealthStatus.HEALTHY, message="no services")
    worst = min(statuses, key=lambda s: _RANK[s.health.status])
    message = "" if worst.health.status is HealthStatus.HEALTHY else worst.health.message
    why = f"{worst.service}: {message}" if message else ""
    return InstanceHealth(worst.health.status, ready, desired, why)


def _instance(store: InstanceReads, app: Application, health: InstanceHealth) -> Instance:
    env = store.get_environment(app.environment)
    pinned = app.config_version or store.get_config(app.config).version
    revisions = store.list_revisions(app.name)
    latest = _latest(revisions)
    operations = store.list_operations(app.name, 1)
    return Instance(
        application=app,
        environment=env,
        cluster=env.cluster or server_of(env),
        config_version=pinned,
        release=_release(revisions, latest, (app.template_version, pinned)),
        health=health,
        drift=_drift(store, app.name, latest),
        last_operation=operations[0] if operations else None,
    )


def _latest(revisions: Iterable[Revision]) -> dict[str, Revision]:
    """Each service's newest revision."""
    out: dict[str, Revision] = {}
    for r in revisions:
        if r.service not in out or r.number > out[r.service].number:
            out[r.service] = r
    return out


def _release(
    revisions: list[Revision], latest: dict[str, Revision], pinned: tuple[int, int]
) -> Release | None:
    deployed = [r for r in revisions if r.status == "deployed"]
    if not deployed:
        return None
    newest = max(deployed, key=lambda r: (r.created_at, r.number))
    current = all(
        r.status == "deployed" and (r.template_version, r.config_version) == pinned
        for r in latest.values()
        if r.status != "removed"
    )
    return Release(newest.template_version, newest.config_version, newest.created_at, current)


def _drift(store: InstanceReads, app: str, latest: dict[str, Revision]) -> InstanceDrift:
    checks = [
        d
        for d in store.list_drift(app)
        if d.service in latest and d.revision == latest[d.service].number
    ]
    drifted = tuple(sorted(d.service for d in checks if d.drifted))
    return InstanceDrift(drifted, max((d.checked_at for d in checks), default=None))


def instances_data(view: InstancesView) -> dict[str, Any]:
    """The view as plain data: the API's answer and ``-o json|yaml``, the same both ways."""
    return {
        "app": view.app,
        "template": view.template,
        "lineage": view.lineage,
        "unhealthy": view.unhealthy,
        "drifted": view.drifted,
        "instances": [_instance_data(i) for i in view.instances],
    }


def _instance_data(i: Instance) -> dict[str, Any]:
    a, r, h, op = i.application, i.release, i.health, i.last_operation
    return {
        "application": a.name,
        "environment": a.environment,
        "namespace": i.environment.namespace,
        "cluster": i.cluster,
        "template": a.template,
        "templateVersion": a.template_version,
        "config": a.config,
        "configVersion": i.config_version,
        "configFollowsLatest": a.config_version is None,
        "deployed": None
        if r is None
        else {
            "templateVersion": r.template_version,
            "configVersion": r.config_version,
            "deployedAt": r.deployed_at.isoformat(),
            "current": r.current,
        },
        "health": {
            "status": h.status.value,
            "ready": h.ready,
            "desired": h.desired,
            "message": h.message,
            "error": h.error,
            "reachable": h.reachable,
        },
        "drift": {
            "state": i.drift.state,
            "services": list(i.drift.drifted),
            "checkedAt": i.drift.checked_at.isoformat() if i.drift.checked_at else None,
        },
        "lastOperation": None
        if op is None
        else {
            "id": op.id,
            "app": op.app,
            "kind": op.kind,
            "status": op.status.value,
            "author": op.author,
            "startedAt": op.started_at.isoformat(),
            "finishedAt": op.finished_at.isoformat() if op.finished_at else None,
            "message": op.message,
            "services": [
                {
                    "service": x.service,
                    "step": x.step.value,
                    "message": x.message,
                    "revision": x.revision,
                }
                for x in op.services
            ],
        },
    }
