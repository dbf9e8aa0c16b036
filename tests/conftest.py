"""Fixtures shared by every test directory.

``sandbox_cluster`` gives cluster tests one live sandbox for the whole session; tests that
use it carry the ``cluster`` marker, so ``pytest -m "not cluster"`` runs the fast suite alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from kapstan import sandbox


@pytest.fixture(scope="session")
def sandbox_cluster() -> Iterator[sandbox.SandboxState]:
    name = f"pytest-{os.getpid()}"
    state = sandbox.up(name, nodes=3, progress=lambda _msg: None)
    try:
        yield state
    finally:
        sandbox.down(name)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test that asks for the live cluster is a cluster test, whether or not it says so.
    for item in items:
        if "sandbox_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.cluster)
