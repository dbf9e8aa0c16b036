"""Building the pinned upstream binaries from Go modules, once, into the cache.

k8s.io/kubernetes replaces its staging modules with local paths, so ``go install`` refuses
it; a small wrapper module requires it and points every staging module at its published
version instead. etcd's server module has replace directives too, so it gets its own
wrapper. kwok and metrics-server have none and are installed directly.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from kapstan.errors import BuildError, SandboxError
from kapstan.gobuild import Progress, find_go, install, log_tail, run_go, workdir
from kapstan.sandbox import versions

_STAGING_RE = re.compile(r"^\s*(k8s\.io/[\w.-]+)\s*=>\s*\./staging/", re.MULTILINE)


def ensure_binaries(progress: Progress = print, root: Path | None = None) -> versions.Binaries:
    """Return the pinned binaries, building whichever are missing from the cache."""
    bins = versions.binaries(root)
    missing = [p for p in bins.all() if not p.exists()]
    if not missing:
        return bins
    try:
        go = find_go("the sandbox builds Kubernetes")
        if not bins.etcd.exists():
            _build_etcd(go, bins.etcd, progress)
        if not bins.kwok.exists():
            _build_kwok(go, bins.kwok, progress)
        if not bins.metrics_server.exists():
            _build_metrics_server(go, bins.metrics_server, progress)
        kube = (
            bins.kube_apiserver,
            bins.kube_controller_manager,
            bins.kube_scheduler,
            bins.kubectl,
        )
        if not all(p.exists() for p in kube):
            _build_kubernetes(go, bins.kube_apiserver.parent, progress)
    except BuildError as exc:
        # The sandbox's callers handle SandboxError: a failed build means no sandbox.
        raise SandboxError(exc.message) from exc
    return bins


def _build_etcd(go: str, target: Path, progress: Progress) -> None:
    progress(f"building etcd {versions.ETCD_VERSION} (about a minute)")
    work = workdir("etcd")
    log = work / "build.log"
    (work / "go.mod").write_text(
        f"module kapstan.local/etcdbuild\n\ngo 1.26.0\n\n"
        f"require go.etcd.io/etcd/server/v3 {versions.ETCD_VERSION}\n"
    )
    (work / "main.go").write_text(
        'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\n'
        "func main() { etcdmain.Main(os.Args) }\n"
    )
    run_go(go, ["mod", "tidy"], work, "etcd", log)
    run_go(go, ["build", "-trimpath", "-ldflags", "-s -w", "-o", "etcd", "."], work, "etcd", log)
    install(work / "etcd", target)
    shutil.rmtree(work, ignore_errors=True)


def _go_install(go: str, what: str, package: str, target: Path, ldflags: str = "") -> None:
    """``go install PACKAGE@VERSION`` for a module without replace directives."""
    work = workdir(target.name)
    log = work / "build.log"
    env_bin = work / "bin"
    env_bin.mkdir()
    args = ["install", "-trimpath", "-ldflags", f"-s -w {ldflags}".strip(), package]
    run_go(go, args, work, what, log, {"GOBIN": str(env_bin)})
    install(env_bin / target.name, target)
    shutil.rmtree(work, ignore_errors=True)


def _build_kwok(go: str, target: Path, progress: Progress) -> None:
    progress(f"building kwok {versions.KWOK_VERSION} (about a minute)")
    _go_install(go, "kwok", f"sigs.k8s.io/kwok/cmd/kwok@{versions.KWOK_VERSION}", target)


def _build_metrics_server(go: str, target: Path, progress: Progress) -> None:
    v = versions.METRICS_SERVER_VERSION
    progress(f"building metrics-server {v} (a few minutes)")
    # Its Makefile stamps the version the same way; `--version` and logs then name it.
    _go_install(
        go,
        "metrics-server",
        f"sigs.k8s.io/metrics-server/cmd/metrics-server@{v}",
        target,
        f"-X k8s.io/client-go/pkg/version.gitVersion={v}",
    )


def ensure_adapter(progress: Progress = print, root: Path | None = None) -> Path:
    """The pinned prometheus-adapter (custom metrics), built into the cache if missing."""
    target = versions.adapter_binary(root)
    if target.exists():
        return target
    try:
        go = find_go("the sandbox builds prometheus-adapter")
        v = versions.PROMETHEUS_ADAPTER_VERSION
        progress(f"building prometheus-adapter {v} (a few minutes)")
        work = workdir("prometheus-adapter")
        log = work / "build.log"
        (work / "go.mod").write_text(
            f"module kapstan.local/adapterbuild\n\ngo 1.26.0\n\n"
            f"require sigs.k8s.io/prometheus-adapter {v}\n"
        )
        package = "sigs.k8s.io/prometheus-adapter/cmd/adapter"
        args = ["build", "-mod=mod", "-trimpath", "-ldflags", "-s -w", "-o", "adapter", package]
        run_go(go, args, work, "prometheus-adapter", log)
        install(work / "adapter", target)
        shutil.rmtree(work, ignore_errors=True)
    except BuildError as exc:
        raise SandboxError(exc.message) from exc
    return target


def _staging_modules(go: str, work: Path, log: Path) -> list[str]:
    """The staging modules k8s.io/kubernetes replaces, read from its own go.mod."""
    mod = f"k8s.io/kubernetes@{versions.KUBERNETES_VERSION}"
    done = subprocess.run(
        [go, "mod", "download", "-json", mod], cwd=work, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        log.write_text(done.stdout + done.stderr)
        raise SandboxError(f"cannot download {mod} from the Go module proxy:\n{log_tail(log)}")
    gomod = re.search(r'"GoMod":\s*"([^"]+)"', done.stdout)
    if gomod is None:
        raise SandboxError(f"`go mod download -json {mod}` did not say where its go.mod is")
    return sorted(set(_STAGING_RE.findall(Path(gomod[1]).read_text())))


def _build_kubernetes(go: str, target_dir: Path, progress: Progress) -> None:
    kv = versions.KUBERNETES_VERSION
    progress(f"building Kubernetes {kv}: kube-apiserver, controller-manager, scheduler, kubectl")
    progress("  this takes 5 to 15 minutes on a fresh machine, once; later runs use the cache")
    work = workdir("k8s")
    log = work / "build.log"
    (work / "go.mod").write_text("module kapstan.local/k8sbuild\n\ngo 1.26.0\n")
    staging = _staging_modules(go, work, log)
    minor = kv.split(".")[1]
    replaces = "".join(f"\t{m} => {m} v0.{minor}.{kv.split('.')[2]}\n" for m in staging)
    (work / "go.mod").write_text(
        f"module kapstan.local/k8sbuild\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes {kv}\n\n"
        f"replace (\n{replaces})\n"
    )
    imports = "".join(f'\t_ "k8s.io/kubernetes/cmd/{b}"\n' for b in versions.KUBE_BINARIES)
    (work / "tools.go").write_text(f"//go:build tools\n\npackage tools\n\nimport (\n{imports})\n")
    progress("  resolving modules")
    run_go(go, ["mod", "tidy"], work, "Kubernetes", log)
    ldflags = " ".join(
        [
            "-s -w",
            f"-X k8s.io/component-base/version.gitVersion={kv}",
            f"-X k8s.io/component-base/version.gitMajor={kv.split('.')[0].lstrip('v')}",
            f"-X k8s.io/component-base/version.gitMinor={minor}",
            f"-X k8s.io/client-go/pkg/version.gitVersion={kv}",
            "-X k8s.io/component-base/version.gitTreeState=clean",
        ]
    )
    out = work / "bin"
    out.mkdir()
    pkgs = [f"k8s.io/kubernetes/cmd/{b}" for b in versions.KUBE_BINARIES]
    progress("  compiling (go build)")
    run_go(
        go,
        ["build", "-trimpath", "-ldflags", ldflags, "-o", str(out) + "/", *pkgs],
        work,
        "Kubernetes",
        log,
    )
    for b in versions.KUBE_BINARIES:
        install(out / b, target_dir / b)
    shutil.rmtree(work, ignore_errors=True)
