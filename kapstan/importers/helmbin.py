"""The ``helm`` binary: found on PATH, or built once from Go modules into the cache.

``go install helm.sh/helm/v3/cmd/helm@VERSION`` works without a wrapper module (helm's
go.mod has no replace directives), so the build is one command, run with the Go helpers
the sandbox uses too (``kapstan.gobuild``); the binary lands in
``<cache_root>/helm-<version>/helm``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kapstan import gobuild
from kapstan.errors import InputError
from kapstan.gobuild import Progress

HELM_VERSION = "v3.22.0"
HELM_PACKAGE = "helm.sh/helm/v3/cmd/helm"
_LDFLAGS = f"-s -w -X helm.sh/helm/v3/internal/version.version={HELM_VERSION}"


def cached_helm(root: Path | None = None) -> Path:
    """Where the built helm lives (whether or not it is built yet)."""
    return (root or gobuild.cache_root()) / f"helm-{HELM_VERSION}" / "helm"


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
    args = ["install", "-trimpath", "-ldflags", _LDFLAGS, f"{HELM_PACKAGE}@{HELM_VERSION}"]
    gobuild.run_go(go, args, work, "helm", log, {"GOBIN": str(bin_dir)})
    gobuild.install(bin_dir / "helm", target)
    shutil.rmtree(work, ignore_errors=True)
    return target
