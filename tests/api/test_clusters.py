"""``Clusters``: kube clients kept per kubeconfig and context for a while, leased like
``kapstan.kube.connect`` (the server asked at every lease), closed once expired and idle.

The "cluster" is a small HTTP server on 127.0.0.1 answering ``/version`` (what a lease
asks), or a closed port (a cluster that is down).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kapstan.api.clusters import Clusters, build_client
from kapstan.errors import ClusterError
from kapstan.kube import KubeClient, RetryPolicy, connect

KUBECONFIG = """\
apiVersion: v1
kind: Config
current-context: one
clusters:
  - {{name: one, cluster: {{server: '{server}'}}}}
contexts:
  - {{name: one, context: {{cluster: one, user: u}}}}
  - {{name: two, context: {{cluster: one, user: u}}}}
users: [{{name: u, user: {{token: not-a-real-token}}}}]
"""


class _Version(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"gitVersion": "v1.30.0-fake"}).encode()
        self.send_response(200 if self.path == "/version" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Version)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Builds:
    """The real ``build_client``, counting calls and keeping what it built."""

    def __init__(self) -> None:
        self.built: list[KubeClient] = []

    def __call__(
        self,
        kubeconfig: str,
        context: str | None,
        timeout: float,
        retry: RetryPolicy | None,
        impersonate: str | None = None,
    ) -> KubeClient:
        client = build_client(kubeconfig, context, timeout, retry, impersonate)
        self.built.append(client)
        return client


def closed(client: KubeClient) -> bool:
    return bool(client._http.is_closed)


@pytest.fixture
def kubeconfig(tmp_path: Path, server: str) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG.format(server=server))
    return path


def test_a_client_is_built_once_and_leased_again(kubeconfig: Path) -> None:
    builds, clock = Builds(), Clock()
    with Clusters(ttl=30, clock=clock, build=builds) as clusters:
        with clusters.connect(str(kubeconfig)) as first:
            assert first.version() == "v1.30.0-fake"
            with clusters.connect(str(kubeconfig)) as second:  # a lease held meanwhile
                assert second is first
        clock.now += 29
        with clusters.connect(str(kubeconfig)) as third:
            assert third is first
        assert len(builds.built) == 1 and not closed(first)
        # Another context, or other settings: another client.
        with clusters.connect(str(kubeconfig), "two") as other:
            assert other is not first
        with clusters.connect(str(kubeconfig), timeout=5, retry=RetryPolicy(max_attempts=2)):
            pass
        assert len(builds.built) == 3 and len(clusters) == 3
    assert all(closed(c) for c in builds.built)  # closing the pool closes them


def test_an_expired_client_is_closed_once_no_lease_holds_it(kubeconfig: Path) -> None:
    builds, clock = Builds(), Clock()
    with Clusters(ttl=30, clock=clock, build=builds) as clusters:
        with clusters.connect(str(kubeconfig)) as old:
            clock.now += 30
            with clusters.connect(str(kubeconfig)) as new:
                assert new is not old
                assert not closed(old)  # still in use by the outer lease
            assert old.version() == "v1.30.0-fake"
        assert closed(old) and not closed(new)
        assert len(clusters) == 1


def test_a_changed_kubeconfig_file_gets_a_new_client(kubeconfig: Path, server: str) -> None:
    builds = Builds()
    with Clusters(build=builds) as clusters:
        with clusters.connect(str(kubeconfig)) as before:
            pass
        kubeconfig.write_text(KUBECONFIG.format(server=server) + "preferences: {}\n")
        with clusters.connect(str(kubeconfig)) as after:
            assert after is not before
        assert len(builds.built) == 2


def test_at_most_max_entries_are_kept_oldest_out(tmp_path: Path, server: str) -> None:
    builds, clock = Builds(), Clock()
    with Clusters(max_entries=2, clock=clock, build=builds) as clusters:
        for i in range(3):
            path = tmp_path / f"kubeconfig-{i}"
            path.write_text(KUBECONFIG.format(server=server))
            with clusters.connect(str(path)):
                clock.now += 1
        assert len(clusters) == 2
        assert [closed(c) for c in builds.built] == [True, False, False]


def test_a_down_cluster_fails_every_lease_as_connect_does(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig-down"
    path.write_text(KUBECONFIG.format(server=f"https://127.0.0.1:{closed_port()}"))
    builds = Builds()
    with pytest.raises(ClusterError) as direct:
        connect(str(path))
    with Clusters(build=builds) as clusters:
        for _ in range(2):
            with pytest.raises(ClusterError) as pooled, clusters.connect(str(path)):
                pass
            assert pooled.value.message == direct.value.message
        assert len(builds.built) == 1  # the cluster being down is asked again, not the file


def test_a_missing_kubeconfig_is_refused_as_connect_does(tmp_path: Path) -> None:
    path = tmp_path / "nowhere"
    with pytest.raises(ClusterError) as direct:
        connect(str(path))
    with Clusters() as clusters:
        with pytest.raises(ClusterError) as pooled, clusters.connect(str(path)):
            pass
        assert pooled.value.message == direct.value.message
        assert len(clusters) == 0


def test_concurrent_first_views_share_one_build(kubeconfig: Path) -> None:
    builds = Builds()
    with Clusters(build=builds) as clusters:

        def view(_: int) -> KubeClient:
            with clusters.connect(str(kubeconfig)) as client:
                assert client.version() == "v1.30.0-fake"
                return client

        with ThreadPoolExecutor(max_workers=16) as pool:
            used = set(pool.map(view, range(64)))
        assert len(builds.built) == 1 and used == set(builds.built)
    assert closed(builds.built[0])
