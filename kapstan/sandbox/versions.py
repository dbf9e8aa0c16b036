"""Pinned versions of the upstream components and where their binaries are cached."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from kapstan.gobuild import cache_root

KUBERNETES_VERSION = "v1.36.3"
ETCD_VERSION = "v3.6.10"
KWOK_VERSION = "v0.8.0"
# v0.9.0, not v0.9.1: v0.9.1's go.mod asks for Go 1.26.10 and the build never fetches a toolchain.
METRICS_SERVER_VERSION = "v0.9.0"
# Custom metrics (``sandbox up --custom-metrics``), built only when asked for. Its module has
# no replace directives, but the proxy refuses its version list, so ``go install @v`` (which
# looks for a deprecation notice there) fails: it is built from a wrapper module instead.
PROMETHEUS_ADAPTER_VERSION = "v0.12.0"

KUBE_BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")


@dataclass(frozen=True)
class Binaries:
    """Paths of every binary a sandbox runs."""

    etcd: Path
    kube_apiserver: Path
    kube_controller_manager: Path
    kube_scheduler: Path
    kubectl: Path
    kwok: Path
    metrics_server: Path

    def all(self) -> tuple[Path, ...]:
        return (
            self.etcd,
            self.kube_apiserver,
            self.kube_controller_manager,
            self.kube_scheduler,
            self.kubectl,
            self.kwok,
            self.metrics_server,
        )


def state_root() -> Path:
    """``$KAPSTAN_SANDBOX_DIR`` or the user's state directory: one folder per sandbox."""
    override = os.environ.get("KAPSTAN_SANDBOX_DIR")
    return (
        Path(override) if override else Path(platformdirs.user_state_dir("kapstan")) / "sandboxes"
    )


def binaries(root: Path | None = None) -> Binaries:
    """Where each pinned binary lives in the cache (whether or not it is built yet)."""
    base = root or cache_root()
    kube = base / f"k8s-{KUBERNETES_VERSION}"
    return Binaries(
        etcd=base / f"etcd-{ETCD_VERSION}" / "etcd",
        kube_apiserver=kube / "kube-apiserver",
        kube_controller_manager=kube / "kube-controller-manager",
        kube_scheduler=kube / "kube-scheduler",
        kubectl=kube / "kubectl",
        kwok=base / f"kwok-{KWOK_VERSION}" / "kwok",
        metrics_server=base / f"metrics-server-{METRICS_SERVER_VERSION}" / "metrics-server",
    )


def adapter_binary(root: Path | None = None) -> Path:
    """Where the pinned prometheus-adapter lives in the cache (whether or not it is built)."""
    base = root or cache_root()
    return base / f"prometheus-adapter-{PROMETHEUS_ADAPTER_VERSION}" / "prometheus-adapter"
