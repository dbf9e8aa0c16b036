"""The sandbox's failure paths: clear errors with the failing component's log, nothing left running."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest
import yaml

from kapstan import sandbox
from kapstan.errors import SandboxError
from kapstan.sandbox import build, processes, stages, versions


@pytest.fixture()
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KAPSTAN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("KAPSTAN_SANDBOX_DIR", str(tmp_path / "sandboxes"))
    return tmp_path


def _script(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _fake_binaries(etcd_body: str) -> versions.Binaries:
    bins = versions.binaries()
    for p in bins.all():
        _script(p, "sleep 30")
    _script(bins.etcd, etcd_body)
    return bins


def test_go_missing_is_named(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(isolated / "empty-bin"))
    with pytest.raises(SandboxError, match=r"Go is not installed \(no `go` on PATH\)"):
        build.ensure_binaries(lambda _m: None)


def test_cached_binaries_are_not_rebuilt(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bins = _fake_binaries("exit 0")
    monkeypatch.setenv("PATH", str(isolated / "empty-bin"))  # a build would fail: no Go
    assert build.ensure_binaries(lambda _m: None) == bins


def test_a_build_failure_shows_the_go_log(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_go = isolated / "bin" / "go"
    _script(
        fake_go,
        'if [ "$1" = version ]; then echo "go version go1.26.8 linux/amd64"; exit 0; fi\n'
        'echo "cannot find module providing package go.etcd.io/etcd" >&2; exit 1',
    )
    monkeypatch.setenv("PATH", str(fake_go.parent))
    with pytest.raises(SandboxError) as err:
        build.ensure_binaries(lambda _m: None)
    assert "building etcd failed" in str(err.value)
    assert "cannot find module providing package go.etcd.io/etcd" in str(err.value)
    assert not versions.binaries().etcd.exists(), "no half-built binary is left in the cache"


def test_an_old_go_is_refused(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_go = isolated / "bin" / "go"
    _script(fake_go, 'echo "go version go1.21.0 linux/amd64"')
    monkeypatch.setenv("PATH", str(fake_go.parent))
    with pytest.raises(SandboxError, match=r"needs Go 1\.26 or newer"):
        build.ensure_binaries(lambda _m: None)


def test_a_component_that_dies_is_reported_with_its_log_and_cleaned_up(isolated: Path) -> None:
    _fake_binaries('echo "etcdmain: listener failed: address already in use" >&2; exit 1')
    with pytest.raises(SandboxError) as err:
        sandbox.up("broken", nodes=1, progress=lambda _m: None)
    message = str(err.value)
    assert "etcd exited while the sandbox was starting" in message
    assert "listener failed: address already in use" in message
    assert sandbox.load("broken") is None, "a failed up leaves no state behind"
    assert not (isolated / "sandboxes" / "broken").exists()


def test_a_port_in_use_is_named() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(
            SandboxError, match=rf"port 127\.0\.0\.1:{port} for etcd is already in use"
        ):
            processes.ensure_port_free(port, "etcd")


def test_stop_never_signals_a_process_whose_pid_was_reused() -> None:
    me = processes.ProcessRecord("etcd", os.getpid(), start_ticks=1, log="/dev/null")
    processes.stop(me, grace=0.1)  # our own pid with another start time: not ours to kill
    assert processes._start_ticks(os.getpid()) is not None


def test_stop_ends_a_started_process(tmp_path: Path) -> None:
    rec = processes.start("sleeper", ["/bin/sleep", "60"], tmp_path / "sleeper.log")
    assert processes.is_running(rec)
    processes.stop(rec, grace=5)
    assert not processes.is_running(rec)


def test_bad_names_and_node_counts_are_refused(isolated: Path) -> None:
    with pytest.raises(SandboxError, match="sandbox name 'Bad_Name' is not valid"):
        sandbox.up("Bad_Name")
    with pytest.raises(SandboxError, match="--nodes must be between 1 and 100, not 0"):
        sandbox.up("ok", nodes=0)


def test_stages_cover_every_fault_and_are_valid_kwok_documents(tmp_path: Path) -> None:
    path = tmp_path / "stages.yaml"
    stages.write(str(path))
    docs = list(yaml.safe_load_all(path.read_text()))
    assert all(d["kind"] == "Stage" and d["apiVersion"] == "kwok.x-k8s.io/v1alpha1" for d in docs)
    names = {d["metadata"]["name"] for d in docs}
    assert {
        "node-initialize",
        "pod-ready",
        "pod-delete",
        "pod-complete",
        "pvc-provision",
        "pv-bind",
    } <= names
    fault_values = {
        v
        for d in docs
        for e in d["spec"]["selector"]["matchExpressions"]
        if e.get("key", "").endswith(f'["{stages.FAULT_LABEL}"]') and e["operator"] == "In"
        for v in e["values"]
    }
    assert fault_values == set(stages.FAULTS)
    ready = next(d for d in docs if d["metadata"]["name"] == "pod-ready")
    # A pod with a fault label must never match the stage that makes pods Ready.
    assert {
        "key": f'.metadata.labels["{stages.FAULT_LABEL}"]',
        "operator": "NotIn",
        "values": list(stages.FAULTS),
    } in ready["spec"]["selector"]["matchExpressions"]
