"""The deploy engine schedules the dependency graph, not waves, and applies through a pool.

One deploy shared by several assertions (module scope), driven through ``Deployer`` on the
sandbox with a journal that keeps the order things happened in: that order, never the wall
clock, shows who waited for whom.

    gate        a pod, made ready by the test once early is ready
    base        a pod, made ready by the test once gate and base are both running (waiting)
    early -> base           after-gate -> gate
    broken (crashes)        blocked -> broken         free-0..3 (independent)
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kapstan.actions.clock import SYSTEM_CLOCK
from kapstan.engine.deploy import Deployer, DeployOptions, DeployOutcome
from kapstan.kube import KubeClient, RetryPolicy, config, connect
from kapstan.model.operation import Step
from kapstan.model.rendered import KubeObject
from kapstan.sandbox import SandboxState
from tests.engine.enginerun import (
    Entry,
    MemoryRevisions,
    RecordingJournal,
    config_map,
    make_ready,
    pod,
    target,
)
from tests.kube.faultproxy import FaultProxy, Rule

pytestmark = pytest.mark.cluster

FREE = [f"free-{i}" for i in range(4)]


@dataclass
class Run:
    outcome: DeployOutcome
    journal: RecordingJournal


@pytest.fixture(scope="module")
def graph_run(sandbox_cluster: SandboxState) -> Run:
    ns = f"sched-{uuid.uuid4().hex[:8]}"
    services: dict[str, list[KubeObject]] = {
        "gate": [pod("gate", ns, "never-ready")],
        "base": [pod("base", ns, "never-ready")],
        "early": [config_map("early", ns)],
        "broken": [pod("broken", ns, "crash")],
        "blocked": [config_map("blocked", ns)],
        "after-gate": [config_map("after-gate", ns)],
        **{name: [config_map(name, ns)] for name in FREE},
    }
    depends_on = {"early": ("base",), "blocked": ("broken",), "after-gate": ("gate",)}
    seen: set[str] = set()
    lock = threading.Lock()
    # Each pod is made ready once what it waits for is seen, and once only.
    releases = {"base": {"gate running", "base running"}, "gate": {"early ready"}}

    def on_entry(entry: Entry) -> None:
        if entry.message == f"container {entry.service} not ready":
            seen_now = f"{entry.service} running"  # kwok is done: its status is ours to set
        elif entry.kind == "state":
            seen_now = f"{entry.service} {entry.status}"
        else:
            return
        with lock:
            seen.add(seen_now)
            due = [p for p, needs in releases.items() if needs <= seen]
            for name in due:
                del releases[name]
        for name in due:
            make_ready(sandbox_cluster, ns, name)

    journal = RecordingJournal(on_entry)
    # One apply slot: were a service waiting for readiness to hold it, nothing else could
    # apply while the gate waits, and the gate would never be released.
    options = DeployOptions(timeout=20, max_inflight=1)
    with connect(sandbox_cluster.kubeconfig) as cluster:
        deployer = Deployer(
            cluster,
            journal,
            MemoryRevisions(),
            target(ns, services, depends_on),
            options,
            clock=SYSTEM_CLOCK,
        )
        outcome = deployer.run(list(services))
    return Run(outcome, journal)


def test_a_service_starts_once_its_own_dependencies_are_ready(graph_run: Run) -> None:
    journal, steps = graph_run.journal, graph_run.outcome.services
    # early shares a level with after-gate (both depend on a first-level service), yet it
    # started and finished while the gate, in the first level, was still waiting.
    assert journal.first("early", "applied") > journal.first("base", "ready")
    assert journal.first("early", "ready") < journal.first("gate", "ready")
    assert steps["gate"].step is Step.READY, steps["gate"].message
    assert journal.first("after-gate", "applied") > journal.first("gate", "ready")


def test_waiting_for_readiness_holds_no_apply_slot(graph_run: Run) -> None:
    journal = graph_run.journal
    # With one slot, early applied while both gate and base were waiting for readiness.
    early = journal.first("early", "applied")
    assert journal.first("gate", "waiting") < early < journal.first("gate", "ready")
    assert journal.first("base", "waiting") < early


def test_a_failed_dependency_skips_its_dependents_only(graph_run: Run) -> None:
    steps = graph_run.outcome.services
    assert not graph_run.outcome.ok
    assert steps["broken"].step is Step.FAILED
    assert steps["blocked"].step is Step.SKIPPED
    assert steps["blocked"].message == "not started: dependency broken did not become ready"
    assert not [
        e for e in graph_run.journal.entries if e.service == "blocked" and e.kind == "event"
    ]
    others = {s: o.step for s, o in steps.items() if s not in ("broken", "blocked")}
    assert set(others.values()) == {Step.READY}, others


POOL = 2
RETRY_AFTER = 1.0


class CountingClient(KubeClient):
    """The real adapter, counting the applies in flight (planning's dry runs aside).

    The first ``POOL`` applies meet at a barrier before they are sent: the deploy fails
    (BrokenBarrierError) unless that many can be in flight at once.
    """

    def __init__(self, kubeconfig: Path, policy: RetryPolicy) -> None:
        super().__init__(config.load(kubeconfig, None), "kapstan", 30.0, policy)
        self.in_flight = self.peak = self.calls = 0
        self.barrier = threading.Barrier(POOL, timeout=30)
        self.lock = threading.Lock()

    def apply(self, obj: Any, *, dry_run: bool = False, **kwargs: Any) -> KubeObject:
        if dry_run:
            return super().apply(obj, dry_run=True, **kwargs)
        with self.lock:
            self.in_flight += 1
            self.calls += 1
            self.peak = max(self.peak, self.in_flight)
            meet = self.calls <= POOL
        try:
            if meet:
                self.barrier.wait()
            return super().apply(obj, **kwargs)
        finally:
            with self.lock:
                self.in_flight -= 1


@dataclass
class PoolRun:
    outcome: DeployOutcome
    client: CountingClient
    proxy: FaultProxy
    patches_while_held: int  # PATCHes that reached the apiserver during the Retry-After


@pytest.fixture(scope="module")
def pool_run(
    sandbox_cluster: SandboxState, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PoolRun]:
    ns = f"pool-{uuid.uuid4().hex[:8]}"
    services = {f"s{i}": [config_map(f"s{i}-{j}", ns) for j in range(3)] for i in range(8)}
    held: list[int] = []

    with FaultProxy(sandbox_cluster) as proxy:

        def sleep(seconds: float) -> None:
            if seconds < RETRY_AFTER:
                time.sleep(seconds)
                return
            # The told request's wait (the hold is set by now); the others are held until it
            # ends. Counted just before its end: those released with it are not counted.
            before = len(proxy.seen)
            time.sleep(seconds - 0.2)
            held.append(sum(1 for m, _ in proxy.seen[before:] if m == "PATCH"))
            time.sleep(0.2)

        def on_entry(entry: Entry) -> None:
            if entry.status == Step.APPLYING.value and not proxy.rules:  # not the dry runs
                proxy.add(Rule("PATCH", "/configmaps/", status=429, retry_after="1"))

        policy = RetryPolicy(base_delay=0.05, sleep=sleep)
        client = CountingClient(proxy.write_kubeconfig(tmp_path_factory.mktemp("pool")), policy)
        with client:
            deployer = Deployer(
                client,
                RecordingJournal(on_entry),
                MemoryRevisions(),
                target(ns, services, {}),
                DeployOptions(timeout=30, max_inflight=POOL),
                clock=SYSTEM_CLOCK,
            )
            outcome = deployer.run(list(services))
        yield PoolRun(outcome, client, proxy, sum(held))


def test_applies_in_flight_never_exceed_the_bound(pool_run: PoolRun) -> None:
    assert pool_run.outcome.ok, pool_run.outcome.failed()
    assert pool_run.client.calls == 24
    assert pool_run.client.peak == POOL  # reached (the barrier), never passed


def test_a_429_holds_back_every_apply_for_its_retry_after(pool_run: PoolRun) -> None:
    assert len(pool_run.proxy.faulted) == 1, "the 429 was answered"
    assert pool_run.proxy.count("PATCH", f"{pool_run.proxy.faulted[0][1]}$") == 2
    assert pool_run.outcome.ok, "and the request told was sent again"
    # Only the other slot's request may be on its way when the 429 comes back; none is
    # sent after that until the Retry-After is over.
    assert pool_run.patches_while_held <= POOL - 1
