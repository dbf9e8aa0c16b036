"""Small helpers for tests of the running sandbox: an admin client, objects, bounded waits."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from kapstan import sandbox
from kapstan.sandbox import api, certs, versions

T = TypeVar("T")
WAIT = 60.0  # bound on every wait: a test fails, never hangs


@contextmanager
def admin(state: sandbox.SandboxState) -> Iterator[api.SandboxClient]:
    client = api.SandboxClient(state.server, certs.paths(Path(state.directory) / "pki"))
    try:
        yield client
    finally:
        client.close()


def eventually(what: str, probe: Callable[[], T | None], timeout: float = WAIT) -> T:
    """``probe()`` until it gives a value (not None); AssertionError naming ``what`` if never."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached within {timeout:.0f}s")
        time.sleep(0.2)


def namespace(client: api.SandboxClient, name: str) -> None:
    client.apply(
        f"/api/v1/namespaces/{name}",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
    )


def pod(name: str, containers: list[str], labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {"app": name}},
        "spec": {"containers": [{"name": c, "image": f"example/{c}:1"} for c in containers]},
    }


def running_pod(client: api.SandboxClient, ns: str, obj: dict[str, Any]) -> dict[str, Any]:
    """Create ``obj`` in ``ns`` and wait until kwok has it Running."""
    name = obj["metadata"]["name"]
    path = f"/api/v1/namespaces/{ns}/pods/{name}"
    client.apply(path, obj)

    def running() -> dict[str, Any] | None:
        got = client.get(path)
        return got if got and got.get("status", {}).get("phase") == "Running" else None

    return eventually(f"pod {ns}/{name} Running", running)


def kubectl(state: sandbox.SandboxState, *args: str) -> str:
    done = subprocess.run(
        [str(versions.binaries().kubectl), f"--kubeconfig={state.kubeconfig}", *args],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 0, f"kubectl {' '.join(args)}: {done.stderr}"
    return done.stdout
