"""The pure parts of ``bench_deploy.py``: what is deployed, and how the figures are read.

No cluster, no processes: the application's files (a Kapstan template whose services are
a ConfigMap, a Secret, a Service and a Deployment each), the helm chart holding the same
rendered manifests, the reading of the apiserver's audit log (requests and writes of one
client, by user agent, in one window), a Deployment's readiness as ``kubectl rollout
status`` judges it, and the medians and ratios the report prints. ``tests/unit/
test_bench_deploykit.py`` checks them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})
GREETING = "hello"

# --- the application -----------------------------------------------------------------------


def service_name(level: int, index: int) -> str:
    return f"l{level}-s{index:03d}"


def levels_of(services: int, depth: int) -> list[list[str]]:
    """``depth`` levels of ``services`` each (depth 1: independent services)."""
    return [[service_name(lv, i) for i in range(services)] for lv in range(depth)]


def greeting_key(service: str) -> str:
    """The config key the one-key change (scenario c) changes: used by that service only."""
    return f"{service}.greeting"


def service_manifests(service: str) -> list[dict[str, Any]]:
    """One service: its ConfigMap (with the greeting placeholder), Secret, Service, Deployment."""
    labels = {"app": service}
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": service},
            "data": {"greeting": f"${{{greeting_key(service)}:-{GREETING}}}"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": service},
            "stringData": {"token": f"bench-token-{service}"},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": service},
            "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": service},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [
                            {
                                "name": "app",
                                "image": f"registry.example.com/{service}:1.0",
                                "ports": [{"containerPort": 8080}],
                                "envFrom": [
                                    {"configMapRef": {"name": service}},
                                    {"secretRef": {"name": service}},
                                ],
                            }
                        ]
                    },
                },
            },
        },
    ]


def template_files(name: str, levels: Sequence[Sequence[str]]) -> dict[str, str]:
    """A Kapstan template: each service of a level depends on every service of the one before."""
    services: dict[str, Any] = {}
    files: dict[str, str] = {}
    for depth, level in enumerate(levels):
        for service in level:
            path = f"services/{service}.yaml"
            spec: dict[str, Any] = {"manifests": [path]}
            if depth:
                spec["dependsOn"] = list(levels[depth - 1])
            services[service] = spec
            files[path] = yaml.safe_dump_all(service_manifests(service), sort_keys=False)
    files["kapstan.yaml"] = yaml.safe_dump({"name": name, "services": services}, sort_keys=False)
    return files


def without_namespace(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``obj`` with no metadata.namespace: kubectl and helm are told where (-n)."""
    meta = {k: v for k, v in obj["metadata"].items() if k != "namespace"}
    return {**obj, "metadata": meta}


def manifests_yaml(objects: Iterable[Mapping[str, Any]]) -> str:
    return yaml.safe_dump_all([without_namespace(o) for o in objects], sort_keys=False)


_ACTION = re.compile(r"\{\{")


def escape_for_helm(text: str) -> str:
    """Text helm's template engine renders back to itself: each ``{{`` is printed by an action."""
    return _ACTION.sub('{{ "{{" }}', text)


def chart_files(name: str, by_service: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, str]:
    """A helm chart holding the rendered manifests as they are: one template file per service."""
    chart = {"apiVersion": "v2", "name": name, "version": "0.1.0", "type": "application"}
    files = {"Chart.yaml": yaml.safe_dump(chart, sort_keys=False)}
    for service, objects in by_service.items():
        files[f"templates/{service}.yaml"] = escape_for_helm(manifests_yaml(objects))
    return files


# --- readiness -----------------------------------------------------------------------------


def object_keys(services: Iterable[str]) -> list[ObjectKey]:
    """The (resource, name) of each object ``service_manifests`` makes for these services."""
    plural = {"ConfigMap": "configmaps", "Secret": "secrets", "Service": "services"}
    plural["Deployment"] = "deployments"
    return [
        (plural[o["kind"]], o["metadata"]["name"]) for s in services for o in service_manifests(s)
    ]


def deployment_ready(obj: Mapping[str, Any]) -> bool:
    """Rolled out: the controller saw this generation and every replica is updated and available."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    generation = (obj.get("metadata") or {}).get("generation", 0)
    want = spec.get("replicas", 1)
    return bool(
        status.get("observedGeneration", 0) >= generation
        and status.get("updatedReplicas", 0) == want
        and status.get("availableReplicas", 0) == want
        and status.get("replicas", 0) == want
    )


# --- the audit log -------------------------------------------------------------------------


def audit_time(stamp: str) -> float:
    """Seconds since the epoch of an audit timestamp (``2026-12-05T23:30:00.123456Z``)."""
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def audit_events(text: str) -> list[dict[str, Any]]:
    """The events in a chunk of the log; a last line still being written is left out."""
    events = []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict) and "auditID" in event:
            events.append(event)
    return events


ObjectKey = tuple[str, str]  # (resource, name), e.g. ("configmaps", "l0-s001")


@dataclass
class Tally:
    """One client's requests in one window, read from the audit log."""

    requests: int = 0  # distinct requests (a watch counts once)
    watches: int = 0
    dry_runs: int = 0
    writes: int = 0  # successful writes that were not dry runs, in the namespace
    first_request: float | None = None  # epoch seconds
    first_write: dict[ObjectKey, float] = field(default_factory=dict)  # completion time
    by_verb: dict[str, int] = field(default_factory=dict)

    def written(self, among: Iterable[ObjectKey] | None = None) -> list[ObjectKey]:
        """The objects written (of ``among`` only, when given), sorted."""
        keys = self.first_write if among is None else set(among) & set(self.first_write)
        return sorted(keys)

    def all_applied(self, among: Iterable[ObjectKey] | None = None) -> float | None:
        """When the last object got its first write (epoch seconds), None if none was."""
        return max((self.first_write[k] for k in self.written(among)), default=None)

    def first_applied(self, among: Iterable[ObjectKey]) -> float | None:
        return min((self.first_write[k] for k in self.written(among)), default=None)


def tally(events: Iterable[Mapping[str, Any]], agent: re.Pattern[str], namespace: str) -> Tally:
    """What the client whose user agent matches ``agent`` asked of the apiserver."""
    out = Tally()
    seen: set[str] = set()
    for e in events:
        if not agent.search(e.get("userAgent", "")):
            continue
        received = audit_time(e["requestReceivedTimestamp"])
        if out.first_request is None or received < out.first_request:
            out.first_request = received
        if e["auditID"] not in seen:
            seen.add(e["auditID"])
            out.requests += 1
            verb = e.get("verb", "")
            out.by_verb[verb] = out.by_verb.get(verb, 0) + 1
            out.watches += verb == "watch"
            out.dry_runs += "dryRun=" in e.get("requestURI", "")
        if e.get("stage") != "ResponseComplete":
            continue
        ref = e.get("objectRef") or {}
        code = (e.get("responseStatus") or {}).get("code", 0)
        if (
            e.get("verb") in WRITE_VERBS
            and "dryRun=" not in e.get("requestURI", "")
            and ref.get("namespace") == namespace
            and not ref.get("subresource")
            and 200 <= code < 300
        ):
            out.writes += 1
            key = (ref.get("resource", ""), ref.get("name", ""))
            done = audit_time(e["stageTimestamp"])
            out.first_write[key] = min(done, out.first_write.get(key, done))
    return out


def busiest_second(
    events: Iterable[Mapping[str, Any]], agent: re.Pattern[str], namespace: str
) -> tuple[int, int]:
    """(requests, the most in any one second) of the clients whose user agent matches
    ``agent``, in ``namespace``: how hard a controller worked, against its rate limit."""
    per_second: dict[int, int] = {}
    total = 0
    for e in events:
        ref = e.get("objectRef") or {}
        if (
            e.get("stage") != "ResponseComplete"
            or ref.get("namespace") != namespace
            or not agent.search(e.get("userAgent", ""))
        ):
            continue
        total += 1
        second = int(audit_time(e["requestReceivedTimestamp"]))
        per_second[second] = per_second.get(second, 0) + 1
    return total, max(per_second.values(), default=0)


# --- figures -------------------------------------------------------------------------------


def median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def ratio(ours: float | None, theirs: float | None) -> float | None:
    if ours is None or theirs is None or theirs <= 0:
        return None
    return ours / theirs


@dataclass(frozen=True)
class ClusterWork:
    """What one tool's run of scenario (a) cost the cluster, whatever the tool did."""

    tool: str
    cpu: float  # the sandbox's CPU seconds during the run, its idle use taken out
    controller_requests: int  # the deployment controller's, in the run's namespace


@dataclass(frozen=True)
class Floor:
    cpu: ClusterWork  # the run that cost the cluster the least CPU
    cores: int
    cpu_seconds: float
    controller_requests: int
    controller_seconds: float

    @property
    def seconds(self) -> float:
        return max(self.cpu_seconds, self.controller_seconds)


def cluster_floor(runs: Sequence[ClusterWork], cores: int, qps: float, burst: int) -> Floor | None:
    """The least time any tool could take to get (a)'s Deployments Available: the larger of
    two bounds, each the least over the tools' runs.

    cpu         the cluster's own CPU for the objects spread over every core, as if the tool
                used none and nothing ever waited: the sandbox's apiserver, etcd,
                controllers, scheduler and kwok share the tool's cores.
    controller  the deployment controller's requests beyond its burst at its client limit
                (``qps``): it writes every Deployment's status, one client for all of them.
    """
    if not runs:
        return None
    least = min(runs, key=lambda r: r.cpu)
    requests = min(r.controller_requests for r in runs)
    return Floor(
        cpu=least,
        cores=cores,
        cpu_seconds=least.cpu / cores,
        controller_requests=requests,
        controller_seconds=max(0, requests - burst) / qps,
    )
