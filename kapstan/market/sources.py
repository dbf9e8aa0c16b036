"""Where a catalog comes from: a local directory, or a git repository cloned with ``git``.

Cloning uses the ``git`` binary (no library): it already knows the user's credentials,
proxies and SSH keys. Prompts are disabled so a private repository fails instead of hanging.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from kapstan.errors import InputError, KapstanError

GIT_SCHEMES = ("http://", "https://", "ssh://", "git://", "file://", "git@")
CLONE_TIMEOUT = 300.0


def is_git_source(source: str) -> bool:
    """A URL git understands (``https://``, ``ssh://``, ``git@host:``, ``file://``), or ``*.git``."""
    return source.startswith(GIT_SCHEMES) or source.rstrip("/").endswith(".git")


def clone(url: str, dest: Path) -> None:
    """A shallow clone of ``url`` into ``dest`` (which must not exist); nothing left on failure."""
    git = shutil.which("git")
    if git is None:
        raise KapstanError(f"cannot clone {url}: the git command is not installed")
    dest.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    try:
        done = subprocess.run(
            [git, "clone", "--quiet", "--depth", "1", "--", url, str(dest)],
            capture_output=True,
            text=True,
            env=env,
            timeout=CLONE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(dest, ignore_errors=True)
        raise KapstanError(f"git clone {url} took longer than {CLONE_TIMEOUT:.0f}s") from None
    if done.returncode != 0:
        shutil.rmtree(dest, ignore_errors=True)
        reason = done.stderr.strip().splitlines()
        raise InputError(
            f"git clone {url} failed: {reason[-1] if reason else f'exit code {done.returncode}'}"
        )
