"""Readiness by shared watches and planning in parallel, at the engine level, on the sandbox.

The cluster is the real adapter with some calls counted (``Counting``): how many watch
requests, how many open at once per kind and namespace, how many dry runs at once. The
journal and revisions are in memory (``tests.engine.enginerun``: Kapstan's own ports).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kapstan import sandbox
from kapstan.actions.clock import SYSTEM_CLOCK
from kapstan.engine import planning
from kapstan.engine.deploy import Deployer, DeployOptions, DeployOutcome, DeployTarget
from kapstan.engine.watches import Key, WatchHub, is_newer
from kapstan.errors import ClusterError, ClusterUnavailableError
from kapstan.kube import KubeClient, config, connect
from kapstan.model.operation import Step
from kapstan.model.rendered import KubeObject, RenderedService
from kapstan.render.labels import APP_LABEL, label
from tests.engine.enginerun import MemoryRevisions, RecordingJournal, make_ready, pod

DEPLOYMENT: Key = ("apps/v1", "Deployment", None)  # namespace filled in per test
RENDEZVOUS = 10.0  # bound on how long a counted call waits for its partner (never reached)


class Counting(KubeClient):
    """The real client; watches, applies and dry runs counted, one apply held on request."""

    def __init__(self, kubeconfig: Path) -> None:
        super().__init__(config.load(kubeconfig, None), "kapstan", 30, None)
        self.lock = threading.Lock()
        self.watches: list[tuple[Key, str | None]] = []
        self.open: Counter[Key] = Counter()
        self.peak: Counter[Key] = Counter()
        self.applied: list[str] = []  # names, in the order their apply returned
        self.reads: Counter[tuple[str, str]] = Counter()  # (kind, name): how many GETs
        self.lists: Counter[str] = Counter()  # kind: how many bounded LISTs
        # Called as a watch is resumed (with a resourceVersion) until it returns True.
        self.on_resume: Callable[[], bool] | None = None
        # (held, released by): the apply of ``held`` waits until ``released by`` is applied.
        self.hold: tuple[str, str] | None = None
        self.released = threading.Event()
        self.held_while: list[str] = []  # what was applied while ``held`` waited
        self.dry_runs = 0
        self.dry_peak = 0
        self.partner = threading.Event()  # a second dry run is in flight

    def __enter__(self) -> Counting:
        return self

    def watch(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        *,
        labels: Mapping[str, str] | None = None,
        resource_version: str | None = None,
        timeout_seconds: int = 10,
    ) -> Iterator[tuple[str, KubeObject]]:
        key = (api_version, kind, namespace)
        with self.lock:
            self.watches.append((key, resource_version))
        if resource_version and self.on_resume is not None and self.on_resume():
            self.on_resume = None
        inner = super().watch(
            api_version,
            kind,
            namespace,
            labels=labels,
            resource_version=resource_version,
            timeout_seconds=timeout_seconds,
        )
        return self._open(key, inner)

    def _open(
        self, key: Key, inner: Iterator[tuple[str, KubeObject]]
    ) -> Iterator[tuple[str, KubeObject]]:
        with self.lock:
            self.open[key] += 1
            self.peak[key] = max(self.peak[key], self.open[key])
        try:
            yield from inner
        finally:
            with self.lock:
                self.open[key] -= 1

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> KubeObject | None:
        with self.lock:
            self.reads[kind, name] += 1
        return super().get(api_version, kind, name, namespace)

    def list_bounded(
        self, api_version: str, kind: str, namespace: str | None, limit: int
    ) -> list[KubeObject] | None:
        with self.lock:
            self.lists[kind] += 1
        return super().list_bounded(api_version, kind, namespace, limit)

    def apply(
        self,
        obj: Mapping[str, Any],
        *,
        dry_run: bool = False,
        force: bool = True,
        field_manager: str | None = None,
    ) -> KubeObject:
        name = str((obj.get("metadata") or {}).get("name"))
        if dry_run:
            return self._dry_run(obj, force)
        if self.hold is not None and self.hold[0] == name:
            self.released.wait(RENDEZVOUS)
            with self.lock:
                self.held_while = list(self.applied)
        result = super().apply(obj, force=force, field_manager=field_manager)
        with self.lock:
            self.applied.append(name)
        if self.hold is not None and self.hold[1] == name:
            self.released.set()
        return result

    def _dry_run(self, obj: Mapping[str, Any], force: bool) -> KubeObject:
        with self.lock:
            self.dry_runs += 1
            self.dry_peak = max(self.dry_peak, self.dry_runs)
            first = self.dry_peak == 1 and not self.partner.is_set()
            if self.dry_runs >= 2:
                self.partner.set()
        try:
            if first:  # the first waits for a second to overlap: there is one if in parallel
                self.partner.wait(RENDEZVOUS)
            return super().apply(obj, dry_run=True, force=force)
        finally:
            with self.lock:
                self.dry_runs -= 1


def service(app: str, namespace: str, name: str) -> RenderedService:
    """A ConfigMap and a one-replica Deployment (ready at once in the sandbox)."""
    objects: list[KubeObject] = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{name}-config"},
            "data": {"service": name},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": name, "image": f"shop/{name}:1"}]},
                },
            },
        },
    ]
    for obj in objects:
        label(obj, app=app, service=name, template="t", namespace=namespace)
    return RenderedService(name, tuple(objects), f"hash-{name}", {}, {})


def deploy(
    cluster: Counting,
    namespace: str,
    services: Sequence[RenderedService],
    depends_on: Mapping[str, tuple[str, ...]] | None = None,
    *,
    watches: WatchHub | None = None,
) -> DeployOutcome:
    target = DeployTarget(
        "watched",
        namespace,
        {s.name: s for s in services},
        dict(depends_on or {}),
        template_version=1,
        config_version=1,
        environment="test",
    )
    journal, revisions, options = RecordingJournal(), MemoryRevisions(), DeployOptions(timeout=60)
    # The hub only when given: the default is the Deployer's own, as in a real deploy.
    deployer = (
        Deployer(cluster, journal, revisions, target, options, clock=SYSTEM_CLOCK)
        if watches is None
        else Deployer(
            cluster, journal, revisions, target, options, clock=SYSTEM_CLOCK, watches=watches
        )
    )
    return deployer.run([s.name for s in services])


@dataclass
class Deployed:
    cluster: Counting
    namespace: str
    outcome: DeployOutcome
    services: int


@pytest.fixture(scope="module")
def many(sandbox_cluster: sandbox.SandboxState) -> Iterator[Deployed]:
    """Ten services in flight at once; ``late`` depends on ``first``, while ``slow``'s
    Deployment apply is held until ``late``'s is done (or RENDEZVOUS has passed)."""
    namespace = f"watch-{uuid.uuid4().hex[:8]}"
    names = ["first", "slow", "late"] + [f"svc-{i}" for i in range(7)]
    services = [service("watched", namespace, n) for n in names]
    with Counting(sandbox_cluster.kubeconfig) as cluster:
        cluster.hold = ("slow", "late")
        outcome = deploy(cluster, namespace, services, {"late": ("first",)})
        yield Deployed(cluster, namespace, outcome, len(services))


def test_readiness_of_services_in_flight_shares_one_watch_per_kind_and_namespace(
    many: Deployed,
) -> None:
    assert many.outcome.ok, many.outcome.failed()
    assert set(many.cluster.peak.values()) == {1}, many.cluster.peak
    deployments = [
        w for w in many.cluster.watches if w[0] == ("apps/v1", "Deployment", many.namespace)
    ]
    # One stream for every Deployment of the deploy, resumed only when the apiserver ends it.
    assert 1 <= len(deployments) < many.services // 2, many.cluster.watches
    assert not [w for w in many.cluster.watches if w[0][1] == "ConfigMap"], (
        "ready at the first read: never watched"
    )


def test_a_wait_reads_nothing_back_it_starts_from_the_apply_answer(many: Deployed) -> None:
    reads = many.cluster.reads
    # The plan lists each kind once instead of reading each object; a Deployment's wait
    # starts from what its apply answered, then follows it on the watch: no GET of either.
    assert many.cluster.lists == {"ConfigMap": 1, "Deployment": 1}, many.cluster.lists
    assert not [k for (k, _) in reads if k in ("ConfigMap", "Deployment")], reads


def test_readiness_reached_while_another_service_is_applying_starts_its_dependents(
    many: Deployed,
) -> None:
    # ``late`` waits for ``first`` only: it is applied while ``slow`` is still applying.
    assert "late" in many.cluster.held_while, many.cluster.held_while
    assert many.outcome.services["slow"].step is Step.READY


def test_a_watch_the_apiserver_ends_is_resumed_from_its_resource_version(
    sandbox_cluster: sandbox.SandboxState,
) -> None:
    namespace = f"watch-{uuid.uuid4().hex[:8]}"
    obj = pod("patient", namespace, "never-ready")
    label(obj, app="watched", service="patient", template="t", namespace=namespace)
    patient = RenderedService("patient", (obj,), "hash-patient", {}, {})
    with Counting(sandbox_cluster.kubeconfig) as cluster:

        def ready_once_resumed() -> bool:
            # Made ready only on a resumed watch, once kwok has started its container: the
            # deploy can only succeed if that watch sees it.
            live = KubeClient.get(cluster, "v1", "Pod", "patient", namespace) or {}
            if not (live.get("status") or {}).get("containerStatuses"):
                return False
            make_ready(sandbox_cluster, namespace, "patient")
            return True

        cluster.on_resume = ready_once_resumed
        hub = WatchHub(cluster, labels={APP_LABEL: "watched"}, slice_seconds=1)
        outcome = deploy(cluster, namespace, [patient], watches=hub)
        hub.close()
    assert outcome.ok, outcome.failed()
    streams = [w for w in cluster.watches if w[0] == ("v1", "Pod", namespace)]
    assert len(streams) >= 2, streams
    assert streams[0][1] is None and all(version for _, version in streams[1:]), streams


def _config_services(namespace: str, count: int, value: str) -> list[RenderedService]:
    out = []
    for i in range(count):
        obj: KubeObject = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"planned-{i:02d}"},
            "data": {"value": value},
        }
        label(obj, app="planned", service=f"svc-{i:02d}", template="t", namespace=namespace)
        out.append(RenderedService(f"svc-{i:02d}", (obj,), f"hash-{i}-{value}", {}, {}))
    return out


def test_planning_many_services_in_parallel_matches_sequential_within_its_bound(
    sandbox_cluster: sandbox.SandboxState,
) -> None:
    namespace = f"plan-{uuid.uuid4().hex[:8]}"
    with connect(sandbox_cluster.kubeconfig) as real:
        real.ensure_namespace(namespace)
        for rendered in _config_services(namespace, 12, "old"):
            real.apply(rendered.objects[0])
        changed = _config_services(namespace, 12, "new")
        sequential = planning.plan_services(real, changed, {}, namespace=namespace)
    with Counting(sandbox_cluster.kubeconfig) as cluster:
        parallel = planning.plan_services(cluster, changed, {}, namespace=namespace, max_parallel=3)
    assert parallel == sequential
    assert [p.action for p in parallel] == ["update"] * 12
    assert 2 <= cluster.dry_peak <= 3


class Failing(Counting):
    """A 503 for the kind's list and for one object's read: the plan reads the objects one
    by one instead, and its error must say which service it was."""

    def list_bounded(
        self, api_version: str, kind: str, namespace: str | None, limit: int
    ) -> list[KubeObject] | None:
        raise ClusterUnavailableError(f"list {kind}: 503 Service Unavailable")

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> KubeObject | None:
        if name == "planned-07":
            raise ClusterUnavailableError(f"get ConfigMap {name}: 503 Service Unavailable")
        return super().get(api_version, kind, name, namespace)


def test_a_failed_plan_in_parallel_names_its_service(
    sandbox_cluster: sandbox.SandboxState,
) -> None:
    namespace = f"plan-{uuid.uuid4().hex[:8]}"
    services = _config_services(namespace, 9, "x")
    match = "planning service svc-07: get ConfigMap"
    with (
        Failing(sandbox_cluster.kubeconfig) as cluster,
        pytest.raises(ClusterUnavailableError, match=match),
    ):
        planning.plan_services(cluster, services, {}, namespace=namespace, max_parallel=4)


def test_a_plan_lists_a_kind_once_and_reads_by_name_past_its_bound(
    sandbox_cluster: sandbox.SandboxState, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace = f"plan-{uuid.uuid4().hex[:8]}"
    few, many = _config_services(namespace, 2, "new"), _config_services(namespace, 6, "new")
    with connect(sandbox_cluster.kubeconfig) as real:
        real.ensure_namespace(namespace)
        for rendered in _config_services(namespace, 4, "old"):
            real.apply(rendered.objects[0])
        for other in ("other-1", "other-2"):  # not the plan's: with kube-root-ca.crt, 3
            meta = {"name": other, "namespace": namespace}
            real.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta})
        by_name = planning.plan_services(real, few, {}, namespace=namespace)
    with Counting(sandbox_cluster.kubeconfig) as cluster:
        listed = planning.plan_services(cluster, many, {}, namespace=namespace)
    # Six ConfigMaps: one LIST, and what it found decides update (4 live) or create (2 not).
    assert (cluster.lists, _config_reads(cluster)) == ({"ConfigMap": 1}, 0), cluster.reads
    assert [p.action for p in listed] == ["update"] * 4 + ["create"] * 2
    assert listed[:2] == by_name
    with Counting(sandbox_cluster.kubeconfig) as cluster:
        planning.plan_services(cluster, few, {}, namespace=namespace)
    assert not cluster.lists and _config_reads(cluster) == 2, "two objects: read by name"
    # More live objects besides the plan's than the bound allows: each object is read.
    monkeypatch.setattr(planning, "LIST_BOUND", 0)
    with Counting(sandbox_cluster.kubeconfig) as cluster:
        bounded = planning.plan_services(cluster, many, {}, namespace=namespace)
    assert cluster.lists == {"ConfigMap": 1} and _config_reads(cluster) == 6, cluster.reads
    assert bounded == listed


def _config_reads(cluster: Counting) -> int:
    return sum(n for (kind, _), n in cluster.reads.items() if kind == "ConfigMap")


def _obj(version: str, uid: str = "u1", generation: int = 1) -> KubeObject:
    meta = {"resourceVersion": version, "uid": uid, "generation": generation}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta}


@pytest.mark.parametrize(
    ("seen", "read", "newer"),
    [
        (_obj("12"), _obj("11"), True),
        (_obj("9"), _obj("11"), False),  # a stream behind a read made meanwhile
        (_obj("11"), _obj("11"), False),
        (_obj("b"), _obj("a"), True),  # opaque versions: same object, same generation
        (_obj("b", uid="u2"), _obj("a"), False),  # another object of that name
        (_obj("b", generation=1), _obj("a", generation=2), False),
        (_obj("9"), None, True),  # read as missing: anything seen since is news
    ],
)
def test_a_stream_state_counts_only_when_later_than_the_read(
    seen: KubeObject, read: KubeObject | None, newer: bool
) -> None:
    assert is_newer(seen, read) is newer


def test_closing_the_client_ends_a_watch_another_thread_is_reading(
    sandbox_cluster: sandbox.SandboxState,
) -> None:
    # Left open, the reader would sit on a socket the client closes and whose descriptor
    # the next connection reuses: the TLS layers of both then read each other's bytes.
    ended: list[str] = []
    reading = threading.Event()
    with connect(sandbox_cluster.kubeconfig) as cluster:
        # kube-root-ca.crt is in every namespace: the watch starts with it (ADDED).
        stream = cluster.watch("v1", "ConfigMap", "default", timeout_seconds=300)

        def read() -> None:
            try:
                for _ in stream:
                    reading.set()
                ended.append("end of stream")
            except ClusterError as exc:
                ended.append(type(exc).__name__)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert reading.wait(RENDEZVOUS)
    reader.join(RENDEZVOUS)
    assert not reader.is_alive() and ended, "the reader let go when the client closed"
