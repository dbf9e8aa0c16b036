"""The engine's ``shop`` on the live sandbox, and the sandbox's own kubectl."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from kapstan import sandbox
from kapstan.sandbox.versions import binaries
from tests.engine.conftest import Shop, shop

__all__ = ["Shop", "kubectl", "shop"]

Kubectl = Callable[..., str]


@pytest.fixture()
def kubectl(sandbox_cluster: sandbox.SandboxState) -> Kubectl:
    """``kubectl("apply", "-f", "-", input=...)`` against the sandbox, as a user would."""
    binary = binaries().kubectl
    assert binary.exists(), f"the sandbox's kubectl is not built at {binary}"

    def run(*args: str, input: str | None = None) -> str:
        done = subprocess.run(
            [str(binary), f"--kubeconfig={Path(sandbox_cluster.kubeconfig)}", *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    return run
