"""Building pinned upstream tools from Go modules, once, into Kapstan's binary cache.

Shared by the sandbox (etcd, Kubernetes, kwok) and the helm importer (helm): each finds a
recent enough Go, runs ``go`` in a throwaway work folder under the cache with its output in
a build log, and renames the result into place. Nothing here knows what is being built;
failures are ``BuildError`` naming the tool and showing the end of its build log.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import platformdirs

from kapstan.errors import BuildError

Progress = Callable[[str], None]

GO_MIN_VERSION = (1, 26)
LOG_TAIL_LINES = 25


def cache_root() -> Path:
    """``$KAPSTAN_CACHE_DIR`` or the user's cache directory (``~/.cache/kapstan``)."""
    override = os.environ.get("KAPSTAN_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("kapstan"))


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a log file, indented, for an error message."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "    (no log written)"
    tail = text.splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in tail) or "    (log is empty)"


def find_go(needed_for: str) -> str:
    """The ``go`` on PATH, if it is ``GO_MIN_VERSION`` or newer; ``needed_for`` says why."""
    wanted = ".".join(map(str, GO_MIN_VERSION))
    go = shutil.which("go")
    if go is None:
        raise BuildError(
            f"Go is not installed (no `go` on PATH): {needed_for} from Go modules and needs "
            f"Go {wanted} or newer."
        )
    out = subprocess.run([go, "version"], capture_output=True, text=True, check=False).stdout
    found = re.search(r"go(\d+)\.(\d+)", out)
    if found is None or (int(found[1]), int(found[2])) < GO_MIN_VERSION:
        raise BuildError(
            f"`go version` says {out.strip()!r}; {needed_for}: needs Go {wanted} or newer."
        )
    return go


def run_go(
    go: str,
    args: list[str],
    cwd: Path,
    what: str,
    log: Path,
    extra_env: dict[str, str] | None = None,
) -> None:
    """``go ARGS`` in ``cwd``, output appended to ``log``; BuildError naming ``what`` if it fails."""
    # Static binaries, no VCS stamping: the work folder is not a repository.
    env = {**os.environ, "GOFLAGS": "-buildvcs=false", "CGO_ENABLED": "0", **(extra_env or {})}
    with log.open("ab") as out:
        done = subprocess.run([go, *args], cwd=cwd, env=env, stdout=out, stderr=out, check=False)
    if done.returncode != 0:
        raise BuildError(
            f"building {what} failed (go {' '.join(args[:2])} exited {done.returncode}); "
            f"log {log}:\n{log_tail(log)}"
        )


def workdir(name: str) -> Path:
    """A fresh work folder for one build, under the cache (same file system as the target)."""
    base = cache_root() / "build"
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=base))


def install(built: Path, target: Path) -> None:
    """Copy a built binary to ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Rename into place so a half-written binary never looks like a cached one.
    tmp = target.with_suffix(".partial")
    shutil.copy2(built, tmp)
    tmp.replace(target)
