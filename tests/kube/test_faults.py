"""Faults a real cluster will not produce on demand, injected by our own proxy in front of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kapstan.errors import ClusterConflictError, ClusterUnavailableError
from kapstan.kube import KubeClient, RetryPolicy, connect
from kapstan.sandbox import SandboxState
from tests.kube.conftest import config_map
from tests.kube.faultproxy import FaultProxy, Rule

FAST = RetryPolicy(max_attempts=4, max_total=20.0, base_delay=0.05, max_delay=0.2)


@pytest.fixture()
def proxy(sandbox_cluster: SandboxState) -> Iterator[FaultProxy]:
    with FaultProxy(sandbox_cluster) as running:
        yield running


@pytest.fixture()
def faulty(proxy: FaultProxy, tmp_path: Path) -> Iterator[KubeClient]:
    with connect(proxy.write_kubeconfig(tmp_path), retry=FAST) as client:
        yield client


@pytest.fixture(scope="module")
def settings(kube: KubeClient, namespace: str) -> str:
    kube.apply(config_map("settings", namespace, {"k": "v"}))
    return f"/namespaces/{namespace}/configmaps/settings$"


def test_429_is_retried_after_retry_after(
    proxy: FaultProxy, faulty: KubeClient, namespace: str, settings: str
) -> None:
    proxy.add(Rule("GET", settings, status=429, retry_after="1", times=2))

    live = faulty.get("v1", "ConfigMap", "settings", namespace)

    assert live is not None and live["data"] == {"k": "v"}
    assert proxy.count("GET", settings) == 3


def test_503_forever_gives_up_naming_the_attempts(
    proxy: FaultProxy, faulty: KubeClient, namespace: str, settings: str
) -> None:
    proxy.add(Rule("GET", settings, status=503, times=None))

    with pytest.raises(ClusterUnavailableError) as info:
        faulty.get("v1", "ConfigMap", "settings", namespace)

    message = str(info.value)
    assert message.startswith(f"ConfigMap {namespace}/settings: the apiserver answered 503")
    assert "gave up after 4 attempts" in message
    assert proxy.count("GET", settings) == 4


def test_500_on_apply_is_retried(proxy: FaultProxy, faulty: KubeClient, namespace: str) -> None:
    path = f"/namespaces/{namespace}/configmaps/retried$"
    proxy.add(Rule("PATCH", path, status=500, times=1))

    result = faulty.apply(config_map("retried", namespace, {"a": "1"}))

    assert result["data"] == {"a": "1"}
    assert proxy.count("PATCH", path) == 2


def test_a_dropped_connection_is_retried(
    proxy: FaultProxy, faulty: KubeClient, namespace: str, settings: str
) -> None:
    proxy.add(Rule("GET", settings, drop=True, times=1))

    live = faulty.get("v1", "ConfigMap", "settings", namespace)

    assert live is not None
    assert proxy.count("GET", settings) == 2


def test_a_conflict_is_raised_at_once(
    proxy: FaultProxy, faulty: KubeClient, namespace: str
) -> None:
    path = f"/namespaces/{namespace}/configmaps/contested$"
    proxy.add(Rule("PATCH", path, status=409, times=None))

    with pytest.raises(ClusterConflictError, match=f"ConfigMap {namespace}/contested: "):
        faulty.apply(config_map("contested", namespace, {}))

    assert proxy.count("PATCH", path) == 1


def test_a_list_survives_a_dropped_connection(
    proxy: FaultProxy, faulty: KubeClient, namespace: str, settings: str
) -> None:
    path = f"/namespaces/{namespace}/configmaps$"
    proxy.add(Rule("GET", path, drop=True, times=2))

    names = [o["metadata"]["name"] for o in faulty.list("v1", "ConfigMap", namespace)]

    assert "settings" in names
    assert proxy.count("GET", path) == 3


def test_reachable_says_why_once_the_server_is_gone(
    sandbox_cluster: SandboxState, tmp_path: Path
) -> None:
    with FaultProxy(sandbox_cluster) as proxy:
        client = connect(proxy.write_kubeconfig(tmp_path), retry=FAST)
    try:
        ok, why = client.reachable()
    finally:
        client.close()
    assert not ok
    assert why.startswith(f"cannot reach {proxy.url} (kubeconfig ")
