"""``cluster show``: a registered cluster read live, and the fleet overview of all of them.

The reads (API version and latency, nodes, pods, ``/livez``, ``/readyz?verbose``,
APIServices) run in parallel, each one request, within ``timeout`` seconds overall. What did
not answer is named in ``errors`` and the rest is shown: a cluster that cannot be reached
still lists its environments and applications (from the store), with the reason.

Applications are judged from the pods already read (no extra request per application):
pods carrying the application's label in its environment's namespace, Running and Ready.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from kapstan.actions.clusters import connect_cluster
from kapstan.actions.storeports import ClusterViews
from kapstan.errors import KapstanError
from kapstan.kube import KubeClient, KubeObject
from kapstan.model.records import Cluster

TIMEOUT = 10.0  # seconds: a page or `cluster show` never waits longer for a slow cluster
PRESSURES = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")
ROLE_PREFIX = "node-role.kubernetes.io/"
PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")


@dataclass(frozen=True)
class NodeRow:
    name: str
    ready: bool
    roles: tuple[str, ...]
    capacity: Mapping[str, str]
    allocatable: Mapping[str, str]
    pressures: tuple[str, ...]  # the pressure conditions that are True
    taints: tuple[str, ...]  # key=value:Effect
    kubelet: str
    cordoned: bool = False  # spec.unschedulable: no new pod lands there


@dataclass(frozen=True)
class Check:
    """One component check (``/readyz?verbose`` line) or APIService: passing, and why not."""

    name: str
    ok: bool
    message: str = ""


@dataclass(frozen=True)
class AppRow:
    name: str
    environment: str
    namespace: str
    pods: int
    ready: int

    @property
    def health(self) -> str:
        if self.pods == 0:
            return "no pods"
        return "healthy" if self.ready == self.pods else "degraded"


@dataclass(frozen=True)
class ClusterReport:
    cluster: Cluster
    reachable: bool
    version: str | None = None
    latency_ms: float | None = None
    live: bool | None = None  # /livez
    nodes: tuple[NodeRow, ...] = ()
    pods: Mapping[str, int] = field(default_factory=dict)  # phase -> count
    components: tuple[Check, ...] = ()  # /readyz?verbose
    api_services: tuple[Check, ...] = ()
    environments: tuple[tuple[str, str], ...] = ()  # (environment, namespace)
    applications: tuple[AppRow, ...] = ()
    errors: Mapping[str, str] = field(default_factory=dict)  # what -> why it is missing


def show_cluster(store: ClusterViews, name: str, *, timeout: float = TIMEOUT) -> ClusterReport:
    """Cluster ``name`` read live (see the module's docstring)."""
    cluster = store.get_cluster(name)
    on = [store.get_environment(e) for e in store.environments_on_cluster(name)]
    places = tuple((e.name, e.namespace) for e in on)
    namespaces = dict(places)
    apps = [a for a in store.list_applications() if a.environment in namespaces]
    try:
        client = connect_cluster(store, name, timeout=timeout)
    except KapstanError as exc:
        rows = tuple(AppRow(a.name, a.environment, namespaces[a.environment], 0, 0) for a in apps)
        return ClusterReport(
            cluster, False, environments=places, applications=rows, errors={"api": exc.message}
        )
    with client:
        found, errors = _read_all(client, timeout)
    pods: list[KubeObject] = found.get("pods", [])
    return ClusterReport(
        cluster,
        True,
        version=found.get("version", (None, None))[0],
        latency_ms=found.get("version", (None, None))[1],
        live=found.get("livez"),
        nodes=tuple(found.get("nodes", ())),
        pods=_phases(pods) if "pods" in found else {},
        components=tuple(found.get("readyz", ())),
        api_services=tuple(found.get("apiservices", ())),
        environments=places,
        applications=tuple(_app_row(a.name, a.environment, namespaces, pods) for a in apps),
        errors=errors,
    )


def fleet(
    store: ClusterViews, names: Collection[str] | None = None, *, timeout: float = TIMEOUT
) -> list[ClusterReport]:
    """The registered clusters (those in ``names``, if given) read live, side by side, each
    within ``timeout``."""
    clusters = [c for c in store.list_clusters() if names is None or c.name in names]
    if not clusters:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(clusters))) as pool:
        return list(pool.map(lambda c: show_cluster(store, c.name, timeout=timeout), clusters))


def _read_all(client: KubeClient, timeout: float) -> tuple[dict[str, Any], dict[str, str]]:
    reads: dict[str, Callable[[], Any]] = {
        "version": lambda: _timed(client.version),
        "livez": lambda: client.health_check("/livez")[0],
        "readyz": lambda: _readyz(client.health_check("/readyz?verbose")),
        "nodes": lambda: [_node(n) for n in client.list("v1", "Node")],
        "pods": lambda: client.list("v1", "Pod", None),
        "apiservices": lambda: _api_services(
            client.list("apiregistration.k8s.io/v1", "APIService")
        ),
    }
    found: dict[str, Any] = {}
    errors: dict[str, str] = {}
    pool = ThreadPoolExecutor(max_workers=len(reads))
    try:
        futures: dict[str, Future[Any]] = {k: pool.submit(fn) for k, fn in reads.items()}
        wait(futures.values(), timeout=timeout)
        for what, future in futures.items():
            if not future.done():
                errors[what] = f"no answer within {timeout:g}s"
            elif isinstance(future.exception(), KapstanError):
                errors[what] = str(future.exception())
            else:
                found[what] = future.result()  # any other exception is a bug: raised
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a late read ends at its own timeout
    return found, errors


def _timed(call: Callable[[], str]) -> tuple[str, float]:
    start = time.perf_counter()
    version = call()
    return version, round((time.perf_counter() - start) * 1000, 1)


def _node(node: KubeObject) -> NodeRow:
    meta, spec, status = (
        node.get("metadata") or {},
        node.get("spec") or {},
        node.get("status") or {},
    )
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    labels = meta.get("labels") or {}
    roles = tuple(sorted(k[len(ROLE_PREFIX) :] for k in labels if k.startswith(ROLE_PREFIX)))
    taints = tuple(
        f"{t.get('key')}{'=' + t['value'] if t.get('value') else ''}:{t.get('effect')}"
        for t in spec.get("taints") or []
    )
    return NodeRow(
        name=str(meta.get("name")),
        ready=conditions.get("Ready") == "True",
        roles=roles,
        capacity=dict(status.get("capacity") or {}),
        allocatable=dict(status.get("allocatable") or {}),
        pressures=tuple(p for p in PRESSURES if conditions.get(p) == "True"),
        taints=taints,
        kubelet=str((status.get("nodeInfo") or {}).get("kubeletVersion", "")),
        cordoned=bool(spec.get("unschedulable")),
    )


def _readyz(answer: tuple[bool, str]) -> list[Check]:
    """``[+]etcd ok`` / ``[-]etcd failed: reason withheld`` lines, one check each."""
    checks = []
    for line in answer[1].splitlines():
        if line.startswith(("[+]", "[-]")):
            name, _, rest = line[3:].partition(" ")
            checks.append(Check(name, line.startswith("[+]"), "" if line[1] == "+" else rest))
    return checks


def _api_services(items: list[KubeObject]) -> list[Check]:
    out = []
    for item in items:
        conditions = (item.get("status") or {}).get("conditions") or []
        available: dict[str, Any] = next(
            (c for c in conditions if c.get("type") == "Available"), {}
        )
        ok = available.get("status") == "True"
        why = "" if ok else str(available.get("message") or available.get("reason") or "unknown")
        out.append(Check(str((item.get("metadata") or {}).get("name")), ok, why))
    return out


def _phases(pods: list[KubeObject]) -> dict[str, int]:
    counts = Counter(str((p.get("status") or {}).get("phase") or "Unknown") for p in pods)
    return {phase: counts[phase] for phase in PHASES if counts[phase]} | {
        k: v for k, v in counts.items() if k not in PHASES
    }


def _app_row(app: str, env: str, namespaces: Mapping[str, str], pods: list[KubeObject]) -> AppRow:
    # Here, not at the top: the labels module loads the rendering core, which `cluster show`
    # needs for nothing else (start-up, tests/cli/test_startup.py).
    from kapstan.render.labels import APP_LABEL

    namespace = namespaces[env]
    mine = [
        p
        for p in pods
        if (p.get("metadata") or {}).get("namespace") == namespace
        and ((p.get("metadata") or {}).get("labels") or {}).get(APP_LABEL) == app
    ]
    return AppRow(app, env, namespace, len(mine), sum(1 for p in mine if _ready(p)))


def _ready(pod: KubeObject) -> bool:
    status = pod.get("status") or {}
    conditions = status.get("conditions") or []
    return status.get("phase") == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in conditions
    )


def report_data(report: ClusterReport) -> dict[str, Any]:
    """The report as plain data: the API's answer and ``-o json|yaml``, the same both ways.
    Names no credential (the cluster record holds none)."""
    c = report.cluster
    return {
        "name": c.name,
        "server": c.server,
        "context": c.context,
        "sandbox": c.sandbox,
        "createdBy": c.created_by,
        "createdAt": c.created_at.isoformat(),
        "reachable": report.reachable,
        "version": report.version,
        "latencyMs": report.latency_ms,
        "live": report.live,
        "nodes": [
            {
                "name": n.name,
                "ready": n.ready,
                "roles": list(n.roles),
                "capacity": dict(n.capacity),
                "allocatable": dict(n.allocatable),
                "pressures": list(n.pressures),
                "taints": list(n.taints),
                "kubelet": n.kubelet,
                "cordoned": n.cordoned,
            }
            for n in report.nodes
        ],
        "pods": dict(report.pods),
        "components": [
            {"name": k.name, "ok": k.ok, "message": k.message} for k in report.components
        ],
        "apiServices": [
            {"name": k.name, "available": k.ok, "message": k.message} for k in report.api_services
        ],
        "environments": [{"name": e, "namespace": ns} for e, ns in report.environments],
        "applications": [
            {
                "name": a.name,
                "environment": a.environment,
                "namespace": a.namespace,
                "pods": a.pods,
                "ready": a.ready,
                "health": a.health,
            }
            for a in report.applications
        ],
        "errors": dict(report.errors),
    }


def cluster_data(cluster: Cluster, environments: list[str]) -> dict[str, Any]:
    """A registered cluster as plain data (``cluster list``): never its kubeconfig."""
    return {
        "name": cluster.name,
        "server": cluster.server,
        "context": cluster.context,
        "sandbox": cluster.sandbox,
        "createdBy": cluster.created_by,
        "createdAt": cluster.created_at.isoformat(),
        "environments": environments,
    }
