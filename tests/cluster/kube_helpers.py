"""Small helpers for cluster tests: a lightkube client on the sandbox, bounded waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import yaml
from lightkube import Client, KubeConfig
from lightkube.codecs import from_dict

from kapstan.sandbox import SandboxState


def client_for(state: SandboxState, namespace: str = "default") -> Client:
    return Client(
        KubeConfig.from_file(str(state.kubeconfig)),
        namespace=namespace,
        field_manager="kapstan-tests",
    )


def objects(text: str) -> list[Any]:
    return [from_dict(d) for d in yaml.safe_load_all(text) if d]


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll ``check`` until true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
