"""connect(): a missing file, a missing context and an unreachable server each say so plainly."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from kapstan.errors import ClusterError, ClusterUnavailableError
from kapstan.kube import connect
from kapstan.sandbox import SandboxState, certs


def _kubeconfig(
    directory: Path, server: str, cluster: dict[str, str] | None = None, user: Any = None
) -> Path:
    path = directory / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server, **(cluster or {})}}],
                "users": [{"name": "u", "user": user or {"token": "t"}}],
                "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "ctx",
            }
        )
    )
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_missing_kubeconfig_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "kubeconfig"
    with pytest.raises(ClusterError, match=f"kubeconfig {missing} does not exist"):
        connect(missing)


def test_a_missing_context_is_named_with_the_ones_there_are(tmp_path: Path) -> None:
    path = _kubeconfig(tmp_path, "https://127.0.0.1:1")
    with pytest.raises(ClusterError) as info:
        connect(path, "prod")
    assert str(info.value) == f"context 'prod' is not in kubeconfig {path}; it has: ctx"


def test_an_unreadable_kubeconfig_is_named(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text("clusters: [\n")
    with pytest.raises(ClusterError, match=f"kubeconfig {path}:2:1: YAML syntax error"):
        connect(path)


def test_an_unreachable_server_fails_at_connect(tmp_path: Path) -> None:
    server = f"https://127.0.0.1:{_free_port()}"
    path = _kubeconfig(tmp_path, server)
    with pytest.raises(ClusterUnavailableError) as info:
        connect(path)
    assert str(info.value) == (
        f"cannot reach {server} (kubeconfig {path}, context ctx): connection refused"
    )


def test_reachable_reports_the_server_version(sandbox_cluster: SandboxState) -> None:
    with connect(sandbox_cluster.kubeconfig, field_manager="kapstan-tests") as kube:
        ok, version = kube.reachable()
    assert ok
    assert version.startswith("v1.")


def test_an_untrusted_server_certificate_is_not_retried(
    sandbox_cluster: SandboxState, tmp_path: Path
) -> None:
    stranger = certs.generate(tmp_path / "other-pki")
    pki = Path(sandbox_cluster.directory) / "pki"
    path = _kubeconfig(
        tmp_path,
        sandbox_cluster.server,
        {"certificate-authority": str(stranger.ca_cert)},
        {"client-certificate": str(pki / "admin.crt"), "client-key": str(pki / "admin.key")},
    )
    with pytest.raises(ClusterError) as info:
        connect(path)
    assert not isinstance(info.value, ClusterUnavailableError)
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)
    assert "check the kubeconfig's certificate-authority" in str(info.value)
