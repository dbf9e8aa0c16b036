"""The drain's pure parts (issue 17): which pods a drain leaves, how an eviction refusal is
read and which budget it names, which nodes ``--count`` picks and when removal is refused,
and the "what moved" text; that ``cluster create`` fails cleanly and refuses before starting
anything; and that a server starts no sandbox unless its operator said so. No cluster."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kapstan import sandbox
from kapstan.actions import drainlocks
from kapstan.actions.clusterlife import (
    NodeState,
    _choose,
    add_nodes,
    create_cluster,
    delete_cluster,
)
from kapstan.actions.nodedrains import refusals
from kapstan.actions.providers import ClusterProvider, CreatedCluster, NodeShape
from kapstan.cli.cluster_cmd import format_removal
from kapstan.errors import (
    ClusterError,
    ConflictError,
    InputError,
    NotFoundError,
    SecretKeyError,
)
from kapstan.kube import drain
from kapstan.schemas.clusters import NodesRemove
from kapstan.store import Store
from kapstan.store.crypto import generate_key
from tests.api.conftest import open_api
from tests.clusters.conftest import closed_port, run_kapstan
from tests.sqlitestores import migrated_sqlite


def pod(owner: str | None = None, **annotations: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "p", "namespace": "ns", "annotations": annotations}
    if owner:
        kind, name = owner.split("/")
        meta["ownerReferences"] = [{"kind": kind, "name": name, "controller": True}]
    return {"metadata": meta}


@pytest.mark.parametrize(
    ("obj", "kept"),
    [
        (pod("ReplicaSet/web-1"), None),
        (pod(), None),
        (pod("DaemonSet/logs"), "DaemonSet logs (runs on every node)"),
        (pod(**{drain.MIRROR_ANNOTATION: "x"}), "mirror pod (the node's kubelet owns it)"),
    ],
)
def test_daemonset_and_mirror_pods_are_left_like_kubectl_drain(
    obj: dict[str, Any], kept: str | None
) -> None:
    assert drain.kept_reason(obj) == kept


BUDGET_429 = {
    "kind": "Status",
    "message": "Cannot evict pod as it would violate the pod's disruption budget.",
    "reason": "TooManyRequests",
    "details": {
        "causes": [
            {
                "reason": "DisruptionBudget",
                "message": "The disruption budget web needs 2 healthy pods and has 2 currently",
            }
        ]
    },
    "code": 429,
}


def test_a_budget_refusal_is_told_from_an_overloaded_apiserver() -> None:
    why = drain.refusal(429, BUDGET_429)
    assert why == "The disruption budget web needs 2 healthy pods and has 2 currently"
    assert drain.budget_named(why) == "web"
    overloaded = {"kind": "Status", "message": "Too many requests", "code": 429}
    assert drain.refusal(429, overloaded) is None  # retried as any 429, not a refusal
    assert drain.refusal(201, {}) is None
    two = {"message": "This pod has more than one PodDisruptionBudget, which the eviction ..."}
    assert drain.refusal(500, two) == two["message"]
    assert drain.budget_named("The disruption budget db is still being processed") == "db"


def nodes(*spec: tuple[str, int, bool]) -> list[NodeState]:
    return [NodeState(n, True, cordoned, {}, busy) for n, busy, cordoned in spec]


def test_count_picks_the_least_busy_and_the_last_schedulable_node_is_kept() -> None:
    three = nodes(("a", 5, False), ("b", 0, False), ("c", 0, False))
    assert _choose("x", three, [], 2) == ["c", "b"]
    assert _choose("x", three, ["a"], None) == ["a"]
    with pytest.raises(ConflictError, match="no Ready, schedulable node"):
        _choose("x", three, [], 3)
    with pytest.raises(ConflictError, match="nodes add x"):
        _choose("x", nodes(("a", 1, False), ("b", 0, True)), ["a"], None)  # b is cordoned
    with pytest.raises(NotFoundError, match="no node z"):
        _choose("x", three, ["z"], None)
    with pytest.raises(InputError, match="not both"):
        _choose("x", three, ["a"], 1)


def test_what_moved_names_each_pod_its_owner_and_where_it_went() -> None:
    text = format_removal(
        {
            "node": "n1",
            "moved": [
                {
                    "pod": "s/web-1",
                    "owner": "Deployment web",
                    "replacement": "s/web-2",
                    "node": "n2",
                },
                {"pod": "s/solo", "owner": None, "replacement": None, "node": None},
            ],
            "kept": [{"pod": "s/logs-1", "reason": "DaemonSet logs (runs on every node)"}],
        }
    )
    assert text.splitlines() == [
        "node n1 removed (cordoned, drained, deleted)",
        "  evicted s/web-1 (Deployment web): replaced by s/web-2 on n2",
        "  evicted s/solo (no controller): not replaced",
        "  left s/logs-1: DaemonSet logs (runs on every node)",
    ]


def test_a_server_starts_no_sandbox_unless_told_to(tmp_path: Path) -> None:
    name = f"never{os.getpid()}"
    with contextmanager(open_api)(str(tmp_path / "kapstan.db"), tmp_path) as api:
        refused = api.post("/api/v1/clusters/create", {"name": name}, user="vic")
        assert refused.status_code == 403  # administrators only
        answer = api.post("/api/v1/clusters/create", {"name": name})
        assert answer.status_code == 422, answer.text
        assert "KAPSTAN_CLUSTER_PROVIDER=sandbox" in answer.text
        assert api.get("/api/v1/clusters").json() == []
    assert sandbox.load(name) is None


class FailingProvider:
    """A provider (Kapstan's own port) that "starts" a cluster whose kubeconfig cannot be
    read: the step after it fails, as a registration would on a broken start-up."""

    kind = "fake"

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.created: list[str] = []
        self.deleted: list[str] = []

    def create(self, name: str, *, nodes: int, metrics: bool) -> CreatedCluster:
        self.created.append(name)
        return CreatedCluster(handle=f"h-{name}", kubeconfig=self.tmp / "missing.kubeconfig")

    def delete(self, handle: str) -> None:
        self.deleted.append(handle)

    def add_nodes(self, handle: str, count: int, shape: NodeShape) -> list[str]:
        raise AssertionError("not called")

    def remove_node(self, handle: str, node: str) -> None:
        raise AssertionError("not called")


def test_create_fails_cleanly_and_refuses_a_taken_name_before_starting_anything(
    tmp_path: Path,
) -> None:
    db = migrated_sqlite(tmp_path / "kapstan.db")
    provider = FailingProvider(tmp_path)
    assert isinstance(provider, ClusterProvider)
    with Store.open(f"sqlite:///{db}", environ={"KAPSTAN_SECRET_KEY": generate_key()}) as store:
        with pytest.raises(InputError, match=r"missing\.kubeconfig"):
            create_cluster(store, provider, "dev", author="ana", via="test")
        assert provider.deleted == ["h-dev"] and store.list_clusters() == []
        store.add_cluster(
            "taken", kubeconfig="{}", context=None, server="https://x", created_by="ana"
        )
        with pytest.raises(ConflictError, match="registered already"):
            create_cluster(store, provider, "taken", author="ana", via="test")
        with pytest.raises(InputError, match="not created by Kapstan"):
            delete_cluster(store, provider, "taken", author="ana", via="test")
    assert provider.created == ["dev"]  # nothing started for the refused ones
    with Store.open(f"sqlite:///{db}", environ={}) as store, pytest.raises(SecretKeyError):
        create_cluster(store, provider, "nokey", author="ana", via="test")
    assert provider.created == ["dev"]


def running(obj: dict[str, Any], phase: str = "Running", **volumes: dict[str, Any]) -> Any:
    obj["status"] = {"phase": phase}
    obj["spec"] = {"volumes": [{"name": n, **v} for n, v in volumes.items()]}
    return obj


def test_pods_a_drain_would_lose_are_refused_by_name_unless_the_caller_agrees() -> None:
    solo = running(pod(), scratch={"emptyDir": {}}, conf={"configMap": {"name": "c"}})
    web = running(pod("ReplicaSet/web-1"), cache={"emptyDir": {"medium": "Memory"}})
    done = running(pod(), "Succeeded", scratch={"emptyDir": {}})  # finished: nothing lost
    logs = running(pod("DaemonSet/logs"), buf={"emptyDir": {}})  # left on the node anyway
    assert drain.unreplaced(solo) and not drain.unreplaced(web) and not drain.unreplaced(done)
    assert drain.local_volumes(solo) == ["scratch"] and drain.local_volumes(done) == []
    lines = refusals("n1", [solo, web, done, logs], False, False)
    assert lines == [
        "  node n1 runs pods no controller would replace once evicted: ns/p; delete them, or "
        "run them under a controller (a Deployment), or pass --force to evict them anyway "
        "(they are not replaced)",
        "  node n1 runs pods with emptyDir volumes, whose data an eviction deletes: "
        "ns/p (volumes scratch), ns/p (volumes cache); pass --delete-emptydir-data to evict "
        "them anyway",
    ]
    assert [line.split(":")[0] for line in refusals("n1", [solo], True, False)] == [
        "  node n1 runs pods with emptyDir volumes, whose data an eviction deletes"
    ]
    assert refusals("n1", [solo, web, done, logs], True, True) == []
    assert refusals("n1", [done, logs, running(pod("StatefulSet/db"))], False, False) == []


NOW = datetime(2026, 12, 6, 6, 40, 1, tzinfo=UTC)


def test_the_drain_lock_names_its_holder_and_tells_a_stopped_removal_from_a_running_one() -> None:
    body = drainlocks.lease_body(
        "bob via api #abc123", acquired=NOW, now=NOW, seconds=180.2, node="kwok-node-2"
    )
    assert body["spec"]["renewTime"] == "2026-12-06T06:40:01.000000Z"
    assert body["spec"]["leaseDurationSeconds"] == 181  # never shorter than asked
    held = drainlocks.holder_of(body)
    assert held is not None and held.manager == "kapstan-drain-abc123"
    assert held.describe() == "bob via api, since 2026-12-06 06:40:01 UTC, on node kwok-node-2"
    assert not held.stale(NOW + timedelta(seconds=181)) and held.stale(NOW + timedelta(seconds=182))
    busy = drainlocks.busy_message("dev", held)
    assert "another node removal is in progress (bob via api, since" in busy
    assert "by 2026-12-06 06:43:02 UTC at the latest" in busy and "--force does not" in busy
    stale = drainlocks.stale_message("dev", held)
    assert "stopped mid-way" in stale and "`kapstan cluster nodes dev`" in stale
    assert "pass --force" in stale
    # Released (the holder's fields gone) or never taken: free.
    assert drainlocks.holder_of({"metadata": {"name": "kapstan-drain"}, "spec": {}}) is None
    assert drainlocks.holder_of(None) is None
    # A holder that is not a Kapstan removal: named, no manager to release it as.
    other = drainlocks.holder_of({"spec": {"holderIdentity": "ops-script"}})
    assert other is not None and other.who == "ops-script" and other.manager is None
    assert other.stale(NOW)  # no times at all: long past


def test_force_and_emptydir_consent_are_accepted_by_cli_and_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = NodesRemove.model_validate({"force": True, "deleteEmptydirData": True})
    assert form.force and form.delete_emptydir_data
    assert not NodesRemove.model_validate({}).force
    db, key = migrated_sqlite(tmp_path / "kapstan.db"), generate_key()
    with Store.open(f"sqlite:///{db}", environ={"KAPSTAN_SECRET_KEY": key}) as store:
        store.add_cluster("reg", kubeconfig="{}", context=None, server="https://x", created_by="a")
    monkeypatch.setenv("KAPSTAN_DB", f"sqlite:///{db}")
    monkeypatch.setenv("KAPSTAN_SECRET_KEY", key)
    monkeypatch.delenv("KAPSTAN_SERVER", raising=False)
    flags = ("--force", "--delete-emptydir-data")
    code, _, err = run_kapstan("cluster", "nodes", "remove", "reg", "n1", *flags)
    assert code != 0 and "not created by Kapstan" in err, err  # past the flags, to the action


class AddingProvider(FailingProvider):
    """Makes nodes (their names) on a cluster whose API then cannot be reached."""

    def add_nodes(self, handle: str, count: int, shape: NodeShape) -> list[str]:
        return [f"n{i}" for i in range(count)]


def test_nodes_a_provider_made_are_audited_even_when_they_never_become_ready(
    tmp_path: Path,
) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": f"https://127.0.0.1:{closed_port()}"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    db = migrated_sqlite(tmp_path / "kapstan.db")
    with Store.open(f"sqlite:///{db}", environ={"KAPSTAN_SECRET_KEY": generate_key()}) as store:
        store.add_cluster(
            "dev",
            kubeconfig=json.dumps(config),
            context=None,
            server="https://x",
            created_by="ana",
            sandbox="h-dev",
        )
        with pytest.raises(ClusterError, match="cluster dev"):
            add_nodes(store, AddingProvider(tmp_path), "dev", count=2, author="ana", via="test")
        [entry] = store.list_audit(kind="cluster", name="dev")
    assert entry.action == "cluster.nodes.add" and entry.details["nodes"] == ["n0", "n1"]
