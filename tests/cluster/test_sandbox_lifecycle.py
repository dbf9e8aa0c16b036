"""Sandboxes run side by side, and ``down`` stops exactly its own processes."""

from __future__ import annotations

import os
import ssl

import httpx
import pytest

from kapstan import sandbox
from kapstan.cli.main import main
from kapstan.sandbox import processes

pytestmark = pytest.mark.cluster


def _nodes(state: sandbox.SandboxState) -> int:
    d = os.path.join(state.directory, "pki")
    ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.crt"))
    ctx.load_cert_chain(os.path.join(d, "admin.crt"), os.path.join(d, "admin.key"))
    with httpx.Client(verify=ctx, timeout=5) as http:
        r = http.get(f"{state.server}/api/v1/nodes")
        r.raise_for_status()
        return len(r.json()["items"])


def test_a_second_sandbox_runs_beside_the_first_and_stops_alone(
    sandbox_cluster: sandbox.SandboxState, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"pytest-side-{os.getpid()}"
    assert main(["sandbox", "up", "--nodes", "1", "--name", name]) == 0
    second = sandbox.load(name)
    assert second is not None
    try:
        assert capsys.readouterr().out.strip() == str(second.kubeconfig)
        assert second.apiserver_port != sandbox_cluster.apiserver_port
        assert _nodes(second) == 1
        assert _nodes(sandbox_cluster) == sandbox_cluster.nodes

        assert main(["sandbox", "status", "-o", "json"]) == 0
        assert f'"name": "{name}"' in capsys.readouterr().out

        assert main(["sandbox", "up", "--name", name]) == 1
        assert "already running" in capsys.readouterr().err
    finally:
        assert main(["sandbox", "down", "--name", name]) == 0
    assert not any(processes.is_running(p) for p in second.processes)
    assert not os.path.exists(second.directory)
    # The first sandbox's processes are untouched and it still answers.
    assert all(processes.is_running(p) for p in sandbox_cluster.processes)
    assert _nodes(sandbox_cluster) == sandbox_cluster.nodes
    assert main(["sandbox", "kubeconfig", "--name", name]) == 1
