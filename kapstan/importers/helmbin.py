"""The ``helm`` binary: found on PATH, or built once from Go modules into the cache.

``go install helm.sh/helm/v3/cmd/helm@VERSION`` works without a wrapper module (helm's
go.mod has no replace directives), so the build is one command, run with the sandbox's
Go helpers; the binary lands in ``<cache_root>/helm-<version>/helm``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kapstan.errors import InputError
from kapstan.sandbox import versions
from kapstan.sandbox.build import Progress, _find_go, _install, _run_go, _workdir

HELM_VERSION = "v3.22.0"
HELM_PACKAGE = "helm.sh/helm/v3/cmd/helm"
_LDFLAGS = f"-s -w -X helm.sh/helm/v3/internal/version.version={HELM_VERSION}"


def cached_helm(root: Path | None = None) -> Path:
    """Where the built helm lives (whether or not it is built yet)."""
    return (root or versions.cache_root()) / f"helm-{HELM_VERSION}" / "helm"


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
    go = _find_go()
    progress(f"building helm {HELM_VERSION} from Go modules (a few minutes, once)")
    work = _workdir("helm")
    log = work / "build.log"
    bin_dir = work / "bin"
    bin_dir.mkdir()
    args = ["install", "-trimpath", "-ldflags", _LDFLAGS, f"{HELM_PACKAGE}@{HELM_VERSION}"]
    _run_go(go, args, work, "helm", log, {"GOBIN": str(bin_dir)})
    _install(bin_dir / "helm", target)
    shutil.rmtree(work, ignore_errors=True)
    return target
