"""The ``helm`` binary: found on PATH, or built once from Go modules into the cache.

``go install helm.sh/helm/v3/cmd/helm@VERSION`` works without a wrapper module (helm's
go.mod has no replace directives), so the build is one command, run with the Go helpers
the sandbox uses too (``kapstan.gobuild``); the binary lands in
``<cache_root>/helm-<version>-kube<major>.<minor>/helm``.

The link flags stamp what helm's own Makefile stamps: its version, and the Kubernetes
version of the client-go it is built with (``HELM_KUBE_VERSION``, checked against helm's
go.mod at build time) as the default ``.Capabilities.KubeVersion``. Without that a
``go install`` build believes it talks to Kubernetes v1.20, so charts that require a newer
``kubeVersion`` fail and charts choosing API versions by version get old ones. The kube
version is part of the cache folder's name so a machine holding the unstamped build
builds this one.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from kapstan import gobuild
from kapstan.errors import BuildError, InputError
from kapstan.gobuild import Progress

HELM_VERSION = "v3.22.0"
# helm v3.22.0's go.mod requires k8s.io/client-go v0.37.0: Kubernetes 1.37 (Makefile rule).
HELM_KUBE_VERSION = (1, 37)
HELM_MODULE = "helm.sh/helm/v3"
HELM_PACKAGE = f"{HELM_MODULE}/cmd/helm"


def link_flags() -> str:
    """``-ldflags`` as helm's Makefile sets them (version, and the Kubernetes version twice)."""
    major, minor = HELM_KUBE_VERSION
    flags = ["-s", "-w", f"-X {HELM_MODULE}/internal/version.version={HELM_VERSION}"]
    for package in ("pkg/chartutil", "pkg/lint/rules"):
        flags.append(f"-X {HELM_MODULE}/{package}.k8sVersionMajor={major}")
        flags.append(f"-X {HELM_MODULE}/{package}.k8sVersionMinor={minor}")
    return " ".join(flags)


def cached_helm(root: Path | None = None) -> Path:
    """Where the built helm lives (whether or not it is built yet)."""
    major, minor = HELM_KUBE_VERSION
    return (root or gobuild.cache_root()) / f"helm-{HELM_VERSION}-kube{major}.{minor}" / "helm"


def find_helm(root: Path | None = None) -> Path | None:
    """``helm`` on PATH, else the cached build, else None."""
    on_path = shutil.which("helm")
    if on_path:
        return Path(on_path)
    cached = cached_helm(root)
    return cached if cached.exists() else None


def require_helm(root: Path | None = None) -> Path:
    found = find_helm(root)
    if found is None:
        raise InputError(
            "helm is not installed (not on PATH, not in the cache at "
            f"{cached_helm(root)}): run `kapstan import helm --build CHART` or "
            "`bash scripts/setup.sh`, which build it from Go modules once"
        )
    return found


def ensure_helm(progress: Progress = print, root: Path | None = None) -> Path:
    """The cached helm, built from Go modules if it is missing (a few minutes, once)."""
    target = cached_helm(root)
    if target.exists():
        return target
    go = gobuild.find_go("helm is built")
    progress(f"building helm {HELM_VERSION} from Go modules (a few minutes, once)")
    work = gobuild.workdir("helm")
    log = work / "build.log"
    bin_dir = work / "bin"
    bin_dir.mkdir()
    args = ["install", "-trimpath", "-ldflags", link_flags(), f"{HELM_PACKAGE}@{HELM_VERSION}"]
    env = {"GOBIN": str(bin_dir)}
    gobuild.run_go(go, args, work, "helm", log, env)
    _check_kube_version(go, work, log, env)
    gobuild.install(bin_dir / "helm", target)
    shutil.rmtree(work, ignore_errors=True)
    return target


def _check_kube_version(go: str, work: Path, log: Path, env: dict[str, str]) -> None:
    """Refuse a build whose stamped Kubernetes version is not its client-go's (a helm bump)."""
    gobuild.run_go(
        go, ["mod", "download", "-json", f"{HELM_MODULE}@{HELM_VERSION}"], work, "helm", log, env
    )
    found = re.findall(r"k8s\.io/client-go v0\.(\d+)\.", _go_mod_text(log))
    wanted = HELM_KUBE_VERSION[1]
    if found and int(found[-1]) != wanted:
        raise BuildError(
            f"helm {HELM_VERSION} is built with client-go v0.{found[-1]}, but HELM_KUBE_VERSION "
            f"says 1.{wanted}: update HELM_KUBE_VERSION in kapstan/importers/helmbin.py"
        )


def _go_mod_text(log: Path) -> str:
    """helm's go.mod, named by the ``GoMod`` path in ``go mod download -json`` output."""
    paths = re.findall(r'"GoMod": "([^"]+)"', log.read_text(errors="replace"))
    return Path(paths[-1]).read_text() if paths else ""
