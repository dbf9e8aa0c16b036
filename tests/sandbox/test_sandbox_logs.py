"""Pod logs on the sandbox: the apiserver's log endpoint and ``kubectl logs`` answer, from
kwok's kubelet-like server, with the lines a test appended."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from kapstan import sandbox
from kapstan.errors import SandboxError
from kapstan.sandbox import api
from tests.sandbox.live import admin, kubectl, namespace, pod, running_pod

NS = "sandbox-logs"


@pytest.fixture(scope="module")
def client(sandbox_cluster: sandbox.SandboxState) -> Iterator[api.SandboxClient]:
    with admin(sandbox_cluster) as c:
        namespace(c, NS)
        yield c


@pytest.fixture(scope="module")
def chatty(sandbox_cluster: sandbox.SandboxState, client: api.SandboxClient) -> str:
    """A running pod of two containers; ``app`` said two lines an hour ago and two now."""
    running_pod(client, NS, pod("chatty", ["app", "sidecar"]))
    hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    sandbox.append_log(sandbox_cluster, NS, "chatty", "app", ["booting", "ready"], at=hour_ago)
    sandbox.append_log(sandbox_cluster, NS, "chatty", "app", ["GET / 200", "GET /cart 500"])
    return "chatty"


def _log(client: api.SandboxClient, name: str, **params: str) -> str:
    r = client.http.get(f"/api/v1/namespaces/{NS}/pods/{name}/log", params=params)
    assert r.status_code == 200, r.text
    return r.text


def test_kubectl_logs_shows_the_appended_lines(
    sandbox_cluster: sandbox.SandboxState, chatty: str
) -> None:
    out = kubectl(sandbox_cluster, "logs", "-n", NS, chatty, "-c", "app")
    assert out.splitlines() == ["booting", "ready", "GET / 200", "GET /cart 500"]


def test_log_endpoint_takes_tail_lines_and_since_seconds(
    client: api.SandboxClient, chatty: str
) -> None:
    assert _log(client, chatty, container="app", tailLines="1") == "GET /cart 500\n"
    assert _log(client, chatty, container="app", sinceSeconds="600") == "GET / 200\nGET /cart 500\n"
    stamped = _log(client, chatty, container="app", tailLines="1", timestamps="true")
    assert stamped.endswith("Z GET /cart 500\n")


def test_a_container_that_said_nothing_has_empty_logs(
    client: api.SandboxClient, chatty: str
) -> None:
    assert _log(client, chatty, container="sidecar") == ""


def test_follow_streams_lines_appended_later(
    sandbox_cluster: sandbox.SandboxState, client: api.SandboxClient, chatty: str
) -> None:
    url = f"/api/v1/namespaces/{NS}/pods/{chatty}/log"
    params = {"container": "app", "follow": "true", "tailLines": "1"}
    with client.http.stream("GET", url, params=params, timeout=30.0) as r:
        assert r.status_code == 200
        lines = r.iter_lines()
        assert next(lines) == "GET /cart 500"
        sandbox.append_log(sandbox_cluster, NS, chatty, "app", ["GET /checkout 201"])
        assert next(lines) == "GET /checkout 201"


def test_previous_reads_the_log_of_the_container_before_a_restart(
    sandbox_cluster: sandbox.SandboxState, client: api.SandboxClient
) -> None:
    running_pod(client, NS, pod("restarted", ["app"]))
    sandbox.append_log(sandbox_cluster, NS, "restarted", "app", ["panic: boom"], previous=True)
    sandbox.append_log(sandbox_cluster, NS, "restarted", "app", ["started again"])
    assert _log(client, "restarted", container="app", previous="true") == "panic: boom\n"
    assert _log(client, "restarted", container="app") == "started again\n"


def test_append_log_names_the_containers_a_pod_has(
    sandbox_cluster: sandbox.SandboxState, chatty: str
) -> None:
    with pytest.raises(SandboxError, match=r"no container 'web' \(it has app, sidecar\)"):
        sandbox.append_log(sandbox_cluster, NS, chatty, "web", ["x"])
